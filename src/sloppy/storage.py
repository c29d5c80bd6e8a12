"""Files sloppy writes: atomic replacement, and setting aside what cannot be read.

Instead of ``path.write_text(...)`` (which a crash can truncate), call ``write_atomic``;
instead of deleting a corrupt file, call ``set_aside`` so the user's data is never lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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
    """Rename an unreadable file to ``<name>.bad-<epoch>`` and log one line; never delete it."""
    target = path.with_name(f"{path.name}.bad-{int(time.time() * 1000)}")
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("%s is unreadable (%s) and could not be set aside: %s", path, reason, exc)
        return None
    log.warning("%s is unreadable (%s); set aside as %s", path, reason, target.name)
    return target


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
