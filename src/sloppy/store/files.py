"""Files sloppy writes: atomic replacement, and setting aside what cannot be read.

Instead of ``path.write_text(...)`` (which a crash can truncate), call ``write_atomic``;
instead of deleting a corrupt file, call ``set_aside`` so the user's data is never lost.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import os
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_set_aside_lock = threading.Lock()
#: The latest set-aside events (a bounded record: a damaged home must not grow memory).
_set_aside: collections.deque[dict[str, Any]] = collections.deque(maxlen=100)
_set_aside_seq = itertools.count()


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, obj: Any, *, indent: int | None = None) -> None:
    """``write_atomic`` for a JSON document."""
    write_atomic(path, json.dumps(obj, indent=indent, sort_keys=False).encode("utf-8"))


def set_aside(path: Path, reason: str) -> Path | None:
    """Rename an unreadable file to ``<name>.bad-<epoch>`` and log one line; never delete it.

    Every call is also recorded for ``set_aside_events`` (the GUI's toasts, the hook API's status).
    """
    target = path.with_name(f"{path.name}.bad-{int(time.time() * 1000)}")
    if target.exists() or target.is_symlink():  # two in one millisecond: never replace one
        fd, name = tempfile.mkstemp(prefix=f"{target.name}-", dir=path.parent)
        os.close(fd)
        target = Path(name)
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("%s is unreadable (%s) and could not be set aside: %s", path, reason, exc)
        _record(path, None, reason)
        return None
    log.warning("%s is unreadable (%s); set aside as %s", path, reason, target.name)
    _record(path, target, reason)
    return target


def _record(path: Path, target: Path | None, reason: str) -> None:
    event = {
        "seq": next(_set_aside_seq),
        "file": str(path),
        "set_aside_as": str(target) if target is not None else None,
        "reason": reason,
        "epoch": round(time.time(), 3),
    }
    with _set_aside_lock:
        _set_aside.append(event)


def set_aside_events(after: int = -1) -> list[dict[str, Any]]:
    """The latest files set aside (or that could not be), oldest first, with ``seq > after``."""
    with _set_aside_lock:
        return [dict(e) for e in _set_aside if e["seq"] > after]


class Unreadable(Exception):
    """A file that is there but cannot be used: not a regular file, too large, or unreadable."""


DEFAULT_LIMIT = 16 * 1024 * 1024


def read_bounded(path: Path, *, limit: int = DEFAULT_LIMIT) -> bytes | None:
    """Instead of ``path.read_bytes()``: regular files only, at most ``limit`` bytes.

    A missing file gives None. A directory, device, FIFO, a file over ``limit`` or a read
    error raise ``Unreadable`` with the reason; nothing is read past ``limit`` and a FIFO is
    never opened for reading (it would block).
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise Unreadable(f"cannot stat: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise Unreadable("not a regular file")
    if st.st_size > limit:
        raise Unreadable(f"{st.st_size} bytes, over the {limit}-byte limit")
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise Unreadable(f"grew past the {limit}-byte limit while read")
    return data


def read_text(path: Path, *, limit: int = DEFAULT_LIMIT) -> str | None:
    """``read_bounded`` for a text file: UTF-8 without NUL bytes, else ``Unreadable``."""
    raw = read_bounded(path, limit=limit)
    if raw is None:
        return None
    if b"\0" in raw:
        raise Unreadable("binary data (NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start})") from exc


def read_json(path: Path, *, schema: int | None = None, limit: int = DEFAULT_LIMIT) -> Any | None:
    """Read a JSON document; a missing file gives None, a bad or foreign-schema one is set aside.

    With ``schema``, the document must be an object whose ``"schema"`` equals it. A file that is
    not a regular file, too large, too deeply nested or otherwise unparsable counts as bad.
    """
    try:
        raw = read_bounded(path, limit=limit)
    except Unreadable as exc:
        set_aside(path, str(exc))
        return None
    if raw is None:
        return None
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        set_aside(path, f"not valid JSON: {exc.__class__.__name__}")
        return None
    if schema is not None and (not isinstance(obj, dict) or obj.get("schema") != schema):
        found = obj.get("schema") if isinstance(obj, dict) else type(obj).__name__
        set_aside(path, f"schema {found!r}, expected {schema}")
        return None
    return obj
