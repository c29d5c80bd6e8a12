"""Plain data: a discussion and its messages, and how they are parsed from a saved file.

Stdlib only (on the first-frame path): plain classes with ``__slots__`` rather than
dataclasses (the decorator's generated code costs import time; ``asdict``'s deep copy costs
every save). Parsing is strict: anything malformed raises ``ValueError`` so that the caller
sets the file aside instead of guessing.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
import zlib
from typing import Any

log = logging.getLogger(__name__)


def _new_id() -> str:
    return os.urandom(12).hex()


#: What older versions appended to a stopped reply's text (now the ``stopped`` flag).
OLD_STOP_MARKER = "\n\n*(stopped)*"
#: A title made from a first prompt is at most this long.
TITLE_CHARS = 60
#: Markdown a title does not show: a heading, quote or list mark at the start of the line, and
#: emphasis, code and strike-through marks around words.
_LINE_MARK = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)")
_INLINE_MARK = re.compile(r"\*\*|__|~~|`|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|\b_|_\b")


class Message:
    """One turn: ``role`` is ``user`` or ``assistant``; ``id`` identifies it across instances.

    ``error``: the text is the error as shown, never sent to a model. ``stopped``: the user
    stopped the reply; the text is what had arrived, with no marker.
    """

    __slots__ = ("at", "error", "id", "role", "stopped", "text")

    def __init__(
        self,
        role: str,
        text: str,
        at: float | None = None,
        error: bool = False,
        id: str | None = None,
        stopped: bool = False,
    ) -> None:
        self.role = role
        self.text = text
        self.at = time.time() if at is None else at
        self.error = error
        self.id = id or _new_id()
        self.stopped = stopped

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "text": self.text,
            "at": self.at,
            "error": self.error,
            "id": self.id,
            "stopped": self.stopped,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable: compared by value, never hashed

    def __repr__(self) -> str:
        flags = "".join(f", {f}=True" for f in ("error", "stopped") if getattr(self, f))
        return f"Message({self.role!r}, {self.text[:40]!r}{flags})"

    @classmethod
    def from_json(cls, m: Any) -> Message:
        """Parse one saved message; raises ValueError on anything malformed."""
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            raise ValueError("malformed message")
        role, text = _text(m, "role", strict=True) or "user", _utf8(m["text"])
        at = _epoch(m.get("at", 0.0))
        given = m.get("id")
        # Files from before ids: the same message gets the same id in every instance.
        ident = given if isinstance(given, str) and given else _legacy_id(role, text, at)
        error, stopped = _flag(m, "error"), _flag(m, "stopped")
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


def _flag(obj: dict[str, Any], key: str) -> bool:
    """A real bool (missing: False); ``"false"`` is not false, so anything else is malformed."""
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{key} is a {type(value).__name__}, not a bool")
    return value


def _text(obj: dict[str, Any], key: str, *, strict: bool) -> str:
    """A text field: missing or null is "" (never "None"); another type is malformed when
    ``strict``, else "" (a title that cannot be shown is made again from the first prompt)."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        if strict:
            raise ValueError(f"{key} is a {type(value).__name__}, not text")
        return ""
    return _utf8(value)


def unique(messages: list[Message], where: str) -> list[Message]:
    """``messages`` with one per id: a repeated id keeps its later copy (logged once)."""
    by_id = {m.id: m for m in messages}
    if len(by_id) == len(messages):
        return messages
    log.warning(
        "%s: %d messages repeat an id; the later copy is kept", where, len(messages) - len(by_id)
    )
    return list(by_id.values())


def is_schema(obj: dict[str, Any], number: int) -> bool:
    """``obj["schema"] == number`` for a real integer (``true == 1`` in Python)."""
    value = obj.get("schema")
    return type(value) is int and value == number


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
    line = _INLINE_MARK.sub("", _LINE_MARK.sub("", line)).strip() or line
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_CHARS // 2 :] else cut).rstrip() + "\u2026"


class Discussion:
    """A conversation: ``name`` is its file's id (never changes), ``title`` what is shown.

    ``system`` is its system prompt (nothing is sent when empty); ``updated_at`` the epoch of
    its last activity (newest first in the list); ``cleared_at``: messages at or before it were
    cleared (files from before the trash); ``dropped``: ids of messages taken back (retried,
    regenerated, edited). A merge brings back neither.
    """

    __slots__ = (
        "cleared_at",
        "dropped",
        "messages",
        "name",
        "saved",
        "system",
        "title",
        "updated_at",
    )

    def __init__(
        self,
        name: str = "default",
        system: str = "",
        messages: list[Message] | None = None,
        cleared_at: float = 0.0,
        title: str = "",
        updated_at: float = 0.0,
        dropped: list[str] | None = None,
    ) -> None:
        self.name = name
        self.system = system
        self.messages: list[Message] = [] if messages is None else messages
        self.cleared_at = cleared_at
        self.title = title
        self.updated_at = updated_at
        self.dropped: list[str] = [] if dropped is None else dropped
        #: ``(title, system)`` as the file had them when this copy was read or saved (None: a
        #: new copy); one that differs now was changed here and wins over the file's.
        self.saved: tuple[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": 1,
            "name": self.name,
            "system": self.system,
            "messages": [m.to_json() for m in self.messages],
            "cleared_at": self.cleared_at,
            "title": self.title,
            "updated_at": self.updated_at,
            "dropped": list(self.dropped),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Discussion):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable: compared by value, never hashed

    def __repr__(self) -> str:
        return f"Discussion({self.name!r}, {self.title!r}, {len(self.messages)} messages)"

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
        if not isinstance(obj, dict) or not is_schema(obj, 1):
            raise ValueError("not a schema-1 discussion")
        raw = obj.get("messages")
        if not isinstance(raw, list):
            raise ValueError("messages is not a list")
        found = cls(
            name=_text(obj, "name", strict=False) or "default",
            system=_text(obj, "system", strict=True),
            messages=unique([Message.from_json(m) for m in raw], "a discussion file"),
            cleared_at=_epoch(obj.get("cleared_at", 0.0)),
            title=_text(obj, "title", strict=False),
            updated_at=_epoch(obj.get("updated_at", 0.0)),
            dropped=_ids(obj.get("dropped", [])),
        )
        # Files from before titles and activity times.
        found.title, found.updated_at = found.shown_title(), found.last_activity()
        return found
