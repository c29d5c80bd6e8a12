"""The warm cache's build temp: one locked file per cache, and the removal of stale ones.

Instead of a temp file per run (which killed runs leave behind, one each), a cache is built in
``.warm_cache.build.tmp`` under an advisory lock (``flock``) held while it is written: a second
instance that finds it locked does not build, and a temp nobody holds is a killed run's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import BinaryIO

from sloppy.store import files

try:
    import fcntl
except ImportError:  # Windows: temp files are judged by age alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: The one temp file a cache is built in: a fixed name, locked by the instance writing it.
TEMP_NAME = ".warm_cache.build.tmp"
#: Temp names of earlier versions (one random name per run): removed once this old.
LEGACY_TEMP = (".warm_cache.", files.TEMP_SUFFIX)
STALE_TEMP_S = 120.0


def _lock(fd: int) -> bool:
    """Take ``fd``'s advisory lock without waiting; False if another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def open_locked(path: Path) -> int | None:
    """``path`` opened (created if needed) and locked by us, or None if someone holds it.

    After the lock, the name must still lead to the locked file: a writer that finished
    renamed it away, and its inode then is the cache itself.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(5):
        fd = os.open(path, flags | os.O_NONBLOCK, 0o600)
        try:
            if not _lock(fd):
                os.close(fd)
                return None
            st, now = os.fstat(fd), os.stat(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise OSError(f"{path} is not a regular file")
        if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
            return fd
        os.close(fd)
    return None


def remove_stale_temps(directory: Path, atomic_names: tuple[str, ...] = ()) -> list[str]:
    """Remove the temp files killed runs left in ``directory``; returns their names.

    The build temp goes only when no process holds its lock (a live second instance keeps
    it). Older versions' randomly named build temps, and ``files.write_atomic``'s temps for
    ``atomic_names`` (``.<name>.*.tmp``), go once untouched for ``STALE_TEMP_S``: such a write
    takes milliseconds.
    """
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    prefixes = (LEGACY_TEMP[0], *(files.temp_prefix(n) for n in atomic_names))
    removed: list[str] = []
    for name in names:
        path = directory / name
        if name == TEMP_NAME:
            if _remove_unlocked(path):
                removed.append(name)
        elif name.startswith(prefixes) and name.endswith(files.TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and time.time() - st.st_mtime > STALE_TEMP_S:
                    os.unlink(path)
                    removed.append(name)
    if removed:
        log.info("removed %d stale temp file(s) in %s", len(removed), directory)
    return removed


def _remove_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if fcntl is None:
            if time.time() - os.fstat(fd).st_mtime <= STALE_TEMP_S:
                return False
        elif not _lock(fd):
            return False
        st, now = os.fstat(fd), os.lstat(path)
        if (st.st_dev, st.st_ino) != (now.st_dev, now.st_ino):
            return False
        os.unlink(path)  # while locked: a builder opening it now finds it busy and skips
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def drop(capture: BinaryIO, path: Path) -> None:
    """Close the build temp ``capture`` and remove it from ``path`` if it is still there."""
    # Unlink while still holding the lock, so no one else's fresh temp is removed.
    with contextlib.suppress(OSError):
        st, now = os.fstat(capture.fileno()), os.stat(path)
        if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
            os.unlink(path)
    with contextlib.suppress(OSError):
        capture.close()
