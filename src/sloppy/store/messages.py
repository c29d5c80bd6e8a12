"""Plain data: a discussion and its messages, and how they are parsed from a saved file.

Stdlib only (on the first-frame path). Parsing is strict: anything malformed raises
``ValueError`` so that the caller sets the file aside instead of guessing.
"""

from __future__ import annotations

import math
import os
import time
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any


def _new_id() -> str:
    return os.urandom(12).hex()


@dataclass(slots=True)
class Message:
    """One turn: ``role`` is ``user`` or ``assistant``; ``id`` identifies it across instances."""

    role: str
    text: str
    at: float = field(default_factory=time.time)
    error: bool = False
    id: str = field(default_factory=_new_id)

    @classmethod
    def from_json(cls, m: Any) -> Message:
        """Parse one saved message; raises ValueError on anything malformed."""
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            raise ValueError("malformed message")
        role, text = _utf8(str(m.get("role", "user"))), _utf8(m["text"])
        at = _epoch(m.get("at", 0.0))
        given = m.get("id")
        # Files from before ids: the same message gets the same id in every instance.
        ident = given if isinstance(given, str) and given else _legacy_id(role, text, at)
        return cls(role=role, text=text, at=at, error=bool(m.get("error", False)), id=ident)


def _utf8(text: str) -> str:
    """``text`` if it can be drawn and sent; a lone surrogate (``"\\ud800"`` is valid JSON)
    raises UnicodeEncodeError, a ValueError."""
    text.encode("utf-8")
    return text


def _epoch(value: Any) -> float:
    """A finite timestamp, or ValueError (huge integers overflow, NaN never compares)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"timestamp is a {type(value).__name__}")
    try:
        at = float(value)
    except OverflowError as exc:
        raise ValueError("timestamp out of range") from exc
    if not math.isfinite(at):
        raise ValueError("timestamp is not finite")
    return at


def _legacy_id(role: str, text: str, at: float) -> str:
    # Two checksums of the same bytes: a cheap, stable id for what was saved before ids.
    data = f"{role}\0{at!r}\0{text}".encode(errors="surrogatepass")
    return f"legacy-{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


@dataclass(slots=True)
class Discussion:
    """A named conversation with its system prompt."""

    name: str = "default"
    system: str = "You are a helpful assistant."
    messages: list[Message] = field(default_factory=list)
    #: Messages at or before this epoch were cleared (so a merge does not bring them back).
    cleared_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, **asdict(self)}

    @classmethod
    def from_json(cls, obj: Any) -> Discussion:
        """Parse a saved discussion; raises ValueError on anything malformed."""
        if not isinstance(obj, dict) or obj.get("schema") != 1:
            raise ValueError("not a schema-1 discussion")
        raw = obj.get("messages")
        if not isinstance(raw, list):
            raise ValueError("messages is not a list")
        return cls(
            name=_utf8(str(obj.get("name", "default"))),
            system=_utf8(str(obj.get("system", ""))),
            messages=[Message.from_json(m) for m in raw],
            cleared_at=_epoch(obj.get("cleared_at", 0.0)),
        )
