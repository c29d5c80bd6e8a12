"""The warm cache's file format: header, key, code area and index, each guarded by a CRC32.

Instead of ``.pyc`` files (one read per module), ``warm_cache.bin`` holds every module's
marshalled code in one file that ``map_file`` maps read-only and ``write_index`` finishes:

    header (HEADER) | key (JSON) | the code of each module, back to back | index (marshal)

The header's CRC32 covers its other fields, the key and the index; each index entry carries
its own code's CRC32, checked right before that code is unmarshalled (``warm.cache``). The key
says what the code depends on (``cache_key``): a file with another key is "stale".
"""

from __future__ import annotations

import binascii
import contextlib
import importlib.util
import json
import marshal
import mmap
import os
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from sloppy import __version__
from sloppy.store import files, paths

FORMAT = 2
MAGIC = b"SLOPPYWC"
# magic, format, index offset, index length, key length, then the CRC32 of everything in the
# header before it, the key and the index; the key's JSON follows the header.
HEADER = struct.Struct("<8sIQQII")
#: A cache larger than this is not mapped (a real one is tens of MB).
MAX_BYTES = 1 << 30


def _build_id() -> str:
    path = paths.BUNDLE.running(paths.BUNDLE.build_id)
    if path is not None:
        with contextlib.suppress(OSError):
            return path.read_text().strip()
    st = os.stat(sys.executable)
    return f"exe:{st.st_size}:{st.st_mtime_ns}"


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def cache_key() -> dict[str, Any]:
    """What the cached code depends on; any change means rebuild."""
    frozen = bool(getattr(sys, "frozen", False))
    key: dict[str, Any] = {
        "format": FORMAT,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "app": __version__,
        "optimize": sys.flags.optimize,
        "frozen": frozen,
    }
    search = [_absolute(p) for p in sys.path if isinstance(p, str)]
    if frozen:
        key["build"] = _build_id()
        key["path"] = search
    else:
        # Another search path (PYTHONPATH, a venv) can shadow a cached module; a directory's
        # mtime changes when a module or distribution is added to or removed from it. Not the
        # working directory's (``-m``, ``-c``): it changes all the time, and would rebuild
        # the cache on every start.
        cwd = _absolute("")
        key["path"] = [[p, -1 if p == cwd else _mtime(p)] for p in search]
    return key


def _absolute(path: str) -> str:
    try:
        return os.path.abspath(path)  # "" is the working directory
    except OSError:  # the working directory was removed
        return path


def key_bytes(key: dict[str, Any]) -> bytes:
    """``key`` as stored in the file and compared byte for byte."""
    # No digest, so opening the cache imports nothing.
    return json.dumps(key, sort_keys=True).encode()


def crc(data: bytes | memoryview | mmap.mmap, value: int = 0) -> int:
    """CRC32 of ``data`` (continuing from ``value``)."""
    # binascii, not zlib: zlib.crc32 releases the GIL on large buffers, and a release in the
    # middle of an import is what made the GUI's long frames (docs/design.md). It runs at
    # gigabytes per second, far below marshal's cost for the same bytes.
    return binascii.crc32(data, value)


class Entry(NamedTuple):
    offset: int
    length: int
    crc: int  # CRC32 of the marshalled code
    origin: str
    search: tuple[str, ...] | None  # a package's __path__
    mtime_ns: int  # -1 when frozen (no source file to check)
    size: int


class Mapped(NamedTuple):
    """One opened cache file: the mapping, its index and the file's identity."""

    data: mmap.mmap
    entries: dict[str, Entry]
    ident: tuple[int, int]  # (st_dev, st_ino)


def map_file(path: Path, key: bytes) -> Mapped | str | None:
    """The mapped cache at ``path``, None if there is none, or what is wrong with it.

    ``"stale"`` means a cache built for another key or format: replaced, not set aside.
    Only a regular file is opened, never blocking (a FIFO or a device is "not a regular file"),
    and only the user's own, which no other user can write (checked on the open descriptor):
    its code is executed.
    """
    try:
        opened = files.open_regular(path, limit=MAX_BYTES, private=True)
    except files.Unreadable as exc:
        return str(exc)
    if opened is None:
        return None
    fd, st = opened
    problem: str | None = None
    try:
        if st.st_size < HEADER.size:
            problem = f"{st.st_size} bytes: truncated"
        else:
            data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        problem = f"cannot map: {exc}"
    finally:
        os.close(fd)
    if problem is not None:
        return problem
    entries = _read_index(data, key)
    if isinstance(entries, str):
        data.close()
        return entries
    return Mapped(data, entries, (st.st_dev, st.st_ino))


def _check_header(view: memoryview, key: bytes) -> tuple[int, int] | str:
    """``(index offset, index length)``, or what is wrong: one CRC, cheap enough to open with."""
    magic, fmt, offset, length, key_len, stored = HEADER.unpack_from(view, 0)
    body = HEADER.size + key_len
    if magic != MAGIC:
        problem = "not a sloppy warm cache"
    elif fmt != FORMAT:
        problem = "stale" if 0 < fmt < FORMAT else f"unknown format {fmt}"
    elif body > offset or offset + length != len(view):
        problem = "truncated or misplaced index"
    else:
        found = crc(view[: HEADER.size - 4])
        found = crc(view[offset : offset + length], crc(view[HEADER.size : body], found))
        if found != stored:
            problem = "header checksum mismatch"
        elif view[HEADER.size : body] != key:
            problem = "stale"
        else:
            return offset, length
    return problem


def _read_index(data: mmap.mmap, key: bytes) -> dict[str, Entry] | str:
    """The index of a mapped cache, or what is wrong with it."""
    view = memoryview(data)
    try:
        checked = _check_header(view, key)
        if isinstance(checked, str):
            return checked
        offset, length = checked
        raw = marshal.loads(view[offset : offset + length])
        entries = {name: Entry(*fields) for name, fields in raw.items()}
        start = HEADER.size + len(key)
        if any(e.offset < start or e.offset + e.length > offset for e in entries.values()):
            return "entry outside the code area"
    except (ValueError, EOFError, TypeError, AttributeError) as exc:
        return f"garbled index: {exc.__class__.__name__}"
    finally:
        view.release()
    return entries


def start_file(out: BinaryIO, key: bytes) -> None:
    """Begin a cache in the empty ``out``: room for the header, then the key."""
    out.write(b"\0" * HEADER.size + key)


def write_index(out: BinaryIO, key: bytes, index: dict[str, Entry]) -> None:
    """Finish a cache whose code area ``out`` holds: append the index, fill in the header,
    and flush it to disk (``fsync``)."""
    raw = marshal.dumps({n: tuple(e) for n, e in index.items()})
    index_offset = out.tell()
    out.write(raw)
    fields = (MAGIC, FORMAT, index_offset, len(raw), len(key))
    prefix = HEADER.pack(*fields, 0)[: HEADER.size - 4]
    checksum = crc(raw, crc(key, crc(prefix)))
    out.seek(0)
    out.write(HEADER.pack(*fields, checksum))
    out.flush()
    os.fsync(out.fileno())
