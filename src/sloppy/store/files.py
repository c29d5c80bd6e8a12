"""Files sloppy writes and reads back: atomic replacement and bounded, regular-file-only reads.

Instead of ``path.write_text(...)`` (which a crash can truncate), call ``write_atomic``;
instead of ``path.read_bytes()`` (which a FIFO blocks and /dev/zero never ends), call
``read_bounded``; instead of ``open(path, "a")`` (which follows a planted symlink), call
``open_append``. What cannot be read is set aside (``store.aside``), never deleted.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from sloppy.store import aside, paths

log = logging.getLogger(__name__)

#: ``write_atomic``'s temp files are ``.<name>.<random>.tmp`` beside the target.
TEMP_SUFFIX = ".tmp"


def temp_prefix(name: str) -> str:
    """The prefix of ``write_atomic``'s temp files for a target called ``name``."""
    return f".{name}."


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory and ``os.replace``.

    The temp file is ``mkstemp``'s (``O_EXCL``, a random name, 0600); a missing directory is
    created 0700 (``paths.prepare_dir``).
    """
    paths.prepare_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=path.parent)
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


class Unreadable(Exception):
    """A file that is there but cannot be used: not a regular file, too large, or unreadable."""


#: Open and read errors that say nothing about the file (out of descriptors or memory, an
#: interrupted or failing device): raised as the plain ``OSError``, so that the caller tries
#: again later instead of setting a healthy file aside.
TRANSIENT = frozenset(
    getattr(errno, name)
    for name in ("EMFILE", "ENFILE", "ENOMEM", "EINTR", "EAGAIN", "EIO", "ENOBUFS", "EBUSY")
    if hasattr(errno, name)
)


DEFAULT_LIMIT = 16 * 1024 * 1024


def open_regular(
    path: Path, *, limit: int, private: bool = False, transient: bool = False
) -> tuple[int, os.stat_result] | None:
    """Instead of ``open(path)``: a descriptor only for a regular file of at most ``limit`` bytes.

    A missing file gives None. Opened without blocking (a FIFO would) and checked on the open
    descriptor (no race between a check and the open); a directory, device, FIFO, a file over
    ``limit`` or an open error raise ``Unreadable`` with the reason. ``private``: the file must
    also be the user's own (``foreign``). ``transient``: an error in ``TRANSIENT`` is raised
    as the ``OSError`` it is (try later). The caller closes the fd.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if transient and exc.errno in TRANSIENT:
            raise
        raise Unreadable(f"cannot open: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not a regular file")
        if st.st_size > limit:
            raise Unreadable(f"{st.st_size} bytes, over the {limit}-byte limit")
        problem = foreign(st) if private else None
        if problem is not None:
            raise Unreadable(problem)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def foreign(st: os.stat_result) -> str | None:
    """Why a file is not safely the user's own (owned by another user, or writable by others),
    or None. Always None where owners mean nothing (Windows)."""
    if not hasattr(os, "geteuid"):
        return None
    if st.st_uid != os.geteuid():
        return f"owned by uid {st.st_uid}, not by you"
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o022:
        return f"writable by other users (mode {mode:o})"
    return None


def open_append(path: Path, *, encoding: str | None = None, errors: str | None = None) -> Any:
    """Instead of ``open(path, "a")``: a text stream appending to the user's own regular file,
    created 0600, never through a symbolic link (``O_NOFOLLOW``) or a second hard link.

    Anything else there raises ``Unreadable`` with the reason (set it aside); an open error
    other than a symlink's is an ``OSError``.
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable("a symbolic link") from exc
        raise
    try:
        st = os.fstat(fd)
        problem = "not a regular file" if not stat.S_ISREG(st.st_mode) else foreign(st)
        if problem is None and st.st_nlink > 1:
            problem = f"{st.st_nlink} hard links"
        if problem is not None:
            raise Unreadable(problem)
        return os.fdopen(fd, "a", encoding=encoding, errors=errors)
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: Path, *, limit: int = DEFAULT_LIMIT, private: bool = False) -> bytes | None:
    """Instead of ``path.read_bytes()``: regular files only (``open_regular``), at most ``limit``
    bytes; None when missing, ``Unreadable`` with the reason otherwise."""
    opened = open_regular(path, limit=limit, private=private)
    if opened is None:
        return None
    fd, _st = opened
    try:
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise Unreadable(f"grew past the {limit}-byte limit while read")
    return data


def read_text(path: Path, *, limit: int = DEFAULT_LIMIT, private: bool = False) -> str | None:
    """``read_bounded`` for a text file: UTF-8 without NUL bytes, else ``Unreadable``."""
    raw = read_bounded(path, limit=limit, private=private)
    if raw is None:
        return None
    if b"\0" in raw:
        raise Unreadable("binary data (NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start})") from exc


def read_json(
    path: Path, *, schema: int | None = None, limit: int = DEFAULT_LIMIT, prune_copies: bool = False
) -> Any | None:
    """Read a JSON document; a missing file gives None, a bad or foreign-schema one is set aside.

    With ``schema``, the document must be an object whose ``"schema"`` equals it. A file that is
    not a regular file, too large, too deeply nested or otherwise unparsable counts as bad.
    ``prune_copies``: a file sloppy can rebuild (``aside.set_aside``).
    """
    try:
        raw = read_bounded(path, limit=limit)
    except Unreadable as exc:
        aside.set_aside(path, str(exc), prune_copies=prune_copies)
        return None
    if raw is None:
        return None
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = f"not valid JSON: {exc.__class__.__name__}"
        aside.set_aside(path, reason, prune_copies=prune_copies)
        return None
    if schema is not None and (not isinstance(obj, dict) or obj.get("schema") != schema):
        found = obj.get("schema") if isinstance(obj, dict) else type(obj).__name__
        aside.set_aside(path, f"schema {found!r}, expected {schema}", prune_copies=prune_copies)
        return None
    return obj
