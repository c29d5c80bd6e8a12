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


#: What older versions appended to a stopped reply's text (now the ``stopped`` flag).
OLD_STOP_MARKER = "\n\n*(stopped)*"
#: A title made from a first prompt is at most this long.
TITLE_CHARS = 60


@dataclass(slots=True)
class Message:
    """One turn: ``role`` is ``user`` or ``assistant``; ``id`` identifies it across instances.

    ``error``: the text is the error as shown, never sent to a model. ``stopped``: the user
    stopped the reply; the text is what had arrived, with no marker.
    """

    role: str
    text: str
    at: float = field(default_factory=time.time)
    error: bool = False
    id: str = field(default_factory=_new_id)
    stopped: bool = False

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
        error, stopped = bool(m.get("error", False)), bool(m.get("stopped", False))
        if role == "assistant" and not error and text.endswith(OLD_STOP_MARKER):
            text, stopped = text.removesuffix(OLD_STOP_MARKER), True
        return cls(role=role, text=text, at=at, error=error, id=ident, stopped=stopped)


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


def _ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise ValueError("dropped is not a list of ids")
    return value


def _legacy_id(role: str, text: str, at: float) -> str:
    # Two checksums of the same bytes: a cheap, stable id for what was saved before ids.
    data = f"{role}\0{at!r}\0{text}".encode(errors="surrogatepass")
    return f"legacy-{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def title_of(prompt: str) -> str:
    """A conversation's title from its first prompt: the first line, at most ``TITLE_CHARS``."""
    line = next((ln.strip() for ln in prompt.splitlines() if ln.strip()), "")
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_CHARS // 2 :] else cut).rstrip() + "\u2026"


@dataclass(slots=True)
class Discussion:
    """A conversation: ``name`` is its file's id (never changes), ``title`` what is shown.

    ``system`` is its system prompt (nothing is sent when empty); ``updated_at`` the epoch of
    its last activity (newest first in the list).
    """

    name: str = "default"
    system: str = ""
    messages: list[Message] = field(default_factory=list)
    #: Messages at or before this epoch were cleared (so a merge does not bring them back).
    cleared_at: float = 0.0
    title: str = ""
    updated_at: float = 0.0
    #: Ids of messages taken back (retried, regenerated, edited): a merge drops them too.
    dropped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, **asdict(self)}

    def shown_title(self) -> str:
        """The title, else the first prompt's (files from before titles), else ""."""
        if self.title:
            return self.title
        first = next((m for m in self.messages if m.role == "user"), None)
        return title_of(first.text) if first is not None else ""

    def last_activity(self) -> float:
        """``updated_at``, else the last message's time (files from before it)."""
        last = self.messages[-1].at if self.messages else 0.0
        return max(self.updated_at, last)

    @classmethod
    def from_json(cls, obj: Any) -> Discussion:
        """Parse a saved discussion; raises ValueError on anything malformed."""
        if not isinstance(obj, dict) or obj.get("schema") != 1:
            raise ValueError("not a schema-1 discussion")
        raw = obj.get("messages")
        if not isinstance(raw, list):
            raise ValueError("messages is not a list")
        found = cls(
            name=_utf8(str(obj.get("name", "default"))),
            system=_utf8(str(obj.get("system", ""))),
            messages=[Message.from_json(m) for m in raw],
            cleared_at=_epoch(obj.get("cleared_at", 0.0)),
            title=_utf8(str(obj.get("title", ""))),
            updated_at=_epoch(obj.get("updated_at", 0.0)),
            dropped=_ids(obj.get("dropped", [])),
        )
        # Files from before titles and activity times.
        found.title, found.updated_at = found.shown_title(), found.last_activity()
        return found
