"""Messages whose drawing crashed or froze sloppy: remembered, and shown as plain text after.

A message is saved before it is drawn, so one that crashes the renderer would crash every
later start. Before content is drawn for the first time, a line naming it is appended to
``render.marker`` (one ``write``, no fsync: what a crashing process wrote is still read back
by the next one); the marker is emptied once the frame has gone through. A marker still
there at the next start names what was being drawn when the process died: that message
joins ``render_suspects.json`` and is drawn as plain text. A draw that takes longer than
``FREEZE_S`` joins it too. Both files live in the cache directory; losing them costs at
most one more crash.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import threading
import zlib
from pathlib import Path
from typing import Any, NamedTuple

from sloppy.store import files, paths

log = logging.getLogger(__name__)

MARKER = "render.marker"
SUSPECTS = "render_suspects.json"
SCHEMA = 1
#: Suspects kept (the newest).
KEEP = 64
#: A draw of one message part longer than this counts as a freeze.
FREEZE_S = 1.0
#: A suspect's text prefix: matched on messages whose id changed (a streamed reply saved).
PREFIX = 4096
#: Shorter prefixes match by id only (too many messages start the same way).
MIN_PREFIX = 32


class Mark(NamedTuple):
    """What was drawn: the message's key (empty for a reply being streamed) and a checksum of
    its first ``n`` characters."""

    key: str
    n: int
    crc: int

    @classmethod
    def of(cls, key: str, text: str) -> Mark:
        head = text[:PREFIX]
        return cls(key, len(head), _crc(head))

    def matches(self, key: str, text: str) -> bool:
        if self.key and key == self.key:
            return True
        return self.n >= MIN_PREFIX and len(text) >= self.n and _crc(text[: self.n]) == self.crc


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _parse(obj: Any) -> Mark | None:
    if not isinstance(obj, dict):
        return None
    key, n, crc = obj.get("key"), obj.get("n"), obj.get("crc")
    if isinstance(key, str) and type(n) is int and type(crc) is int and n >= 0:
        return Mark(key, n, crc)
    return None


class Guard:
    """The marker and the suspects of one window. ``load`` runs on the pool; ``before`` and
    ``frame_done`` on the GUI thread (one small write each, only for new content)."""

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = directory
        self._lock = threading.Lock()
        self.suspects: list[Mark] = []
        #: Bumped whenever ``suspects`` changes: layouts re-check themselves.
        self.version = 0
        self.loaded = False
        self._fd = -1
        self._pending = False

    @property
    def directory(self) -> Path:
        return self._dir if self._dir is not None else paths.cache_dir()

    # -- on the pool -------------------------------------------------------------------

    def load(self) -> None:
        """Read the suspects; a marker left by a run that died adds its last entry to them."""
        directory = paths.ensure_dir(self.directory)
        if directory is None:
            self.loaded = True  # nowhere to keep a marker: draw as usual, unguarded
            return
        found = files.read_json(directory / SUSPECTS, schema=SCHEMA)
        suspects = [m for m in map(_parse, (found or {}).get("suspects", [])) if m is not None]
        marker = directory / MARKER
        try:
            raw = files.read_text(marker, limit=1 << 20)
        except files.Unreadable as exc:
            log.warning("render marker unreadable (%s): ignored", exc)
            raw = None
        culprit = None
        for line in reversed((raw or "").splitlines()):
            try:
                culprit = _parse(json.loads(line))
            except ValueError:
                continue
            if culprit is not None:
                break
        if culprit is not None:
            log.warning(
                "the last run stopped while drawing message %s: shown as plain text", culprit.key
            )
            suspects.append(culprit)
        with self._lock:
            self.suspects = (self.suspects + suspects)[-KEEP:]
            self.version += 1
        if culprit is not None:
            self.save()
        self._open_marker(directory / MARKER)
        # A normal exit empties it too (a crash or a kill does not run this).
        atexit.register(self.close)
        self.loaded = True

    def _open_marker(self, path: Path) -> None:
        # Opened once, emptied: never following a symlink planted in its place.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_NOFOLLOW
        try:
            self._fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            log.warning("cannot keep a render marker at %s: %s", path, exc)

    def save(self) -> None:
        with self._lock:
            rows = [m._asdict() for m in self.suspects]
        try:
            files.write_json_atomic(self.directory / SUSPECTS, {"schema": SCHEMA, "suspects": rows})
        except OSError as exc:
            log.warning("cannot save %s: %s", SUSPECTS, exc)

    # -- on the GUI thread -------------------------------------------------------------

    def is_suspect(self, key: str, text: str) -> bool:
        return any(m.matches(key, text) for m in self.suspects)

    def before(self, mark: Mark) -> None:
        """About to draw content not drawn before: name it in the marker."""
        if self._fd < 0:
            return
        line = json.dumps(mark._asdict()) + "\n"
        with contextlib.suppress(OSError):
            os.write(self._fd, line.encode())
            self._pending = True

    def frame_done(self) -> None:
        """The frame that drew new content went through: empty the marker."""
        if self._pending and self._fd >= 0:
            self._pending = False
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)

    def add(self, mark: Mark, why: str) -> None:
        """``mark`` froze (or was flagged): a suspect from now on. Save with ``save`` (pool)."""
        log.warning("drawing message %s %s: shown as plain text from now on", mark.key, why)
        with self._lock:
            self.suspects = [*self.suspects, mark][-KEEP:]
            self.version += 1

    def forgive(self, key: str, text: str) -> None:
        """The user asked to see this message formatted again. Save with ``save`` (pool)."""
        with self._lock:
            self.suspects = [m for m in self.suspects if not m.matches(key, text)]
            self.version += 1

    def close(self) -> None:
        """A clean exit: nothing crashed, no marker left."""
        atexit.unregister(self.close)
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.close(fd)
