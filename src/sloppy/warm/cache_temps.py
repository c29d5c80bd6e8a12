"""The warm cache's build temps: one builder at a time, each in a fresh file, and the removal of
the ones killed runs left.

Instead of one fixed temp name (which another user could plant a file at, in a folder open to
them, and that file became the cache), each build writes a temp ``mkstemp`` creates
(``O_EXCL``, a random name, 0600), and holds the builder lock (``flock`` on
``.warm_cache.lock``) from its creation until it is renamed into place or removed: a second
instance that finds the lock held does not build, and while nobody holds it, every build temp
is a killed run's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO, NamedTuple

from sloppy.store import aside, files

try:
    import fcntl
except ImportError:  # Windows: temp files are judged by age alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: Build temps are ``.warm_cache.build.<random>.tmp``.
BUILD_PREFIX = ".warm_cache.build."
#: The builder lock: held while a build temp exists; never removed (its content is unused).
LOCK_NAME = ".warm_cache.lock"
#: The fixed build temp of earlier versions, locked by the instance writing it.
LEGACY_TEMP_NAME = ".warm_cache.build.tmp"
#: Temp names of still earlier versions (one random name per run): removed once this old.
LEGACY_TEMP = (".warm_cache.", files.TEMP_SUFFIX)
STALE_TEMP_S = 120.0

#: This process's build temp per directory: its lock is ours, every other temp there is dead.
_ours: dict[Path, Path] = {}
#: Taking the builder lock to build, or to remove temps, is one step per process.
_guard = threading.Lock()


class Build(NamedTuple):
    """A build in progress: its temp file (open), the temp's name and the builder lock's fd."""

    file: BinaryIO
    temp: Path
    lock: int


def start_build(directory: Path) -> Build | None:
    """A fresh build temp in ``directory``, or None if another instance is building there."""
    with _guard:
        lock = _take_lock(directory)
        if lock is None:
            return None
        try:
            fd, name = tempfile.mkstemp(
                prefix=BUILD_PREFIX, suffix=files.TEMP_SUFFIX, dir=directory
            )
        except BaseException:
            os.close(lock)
            raise
        temp = Path(name)
        _ours[directory] = temp
    return Build(os.fdopen(fd, "w+b"), temp, lock)


def finish_build(build: Build, target: Path) -> None:
    """Rename the finished temp to ``target``, then release the builder lock."""
    os.replace(build.temp, target)
    _release(build)


def drop(build: Build) -> None:
    """Remove an unfinished build's temp (while still holding the lock), then release it."""
    with contextlib.suppress(OSError):
        os.unlink(build.temp)
    _release(build)


def _release(build: Build) -> None:
    with _guard:
        if _ours.get(build.temp.parent) == build.temp:
            del _ours[build.temp.parent]
    with contextlib.suppress(OSError):
        build.file.close()
    with contextlib.suppress(OSError):
        os.close(build.lock)


def _take_lock(directory: Path) -> int | None:
    """The builder lock's fd, locked by us; None if another process holds it.

    The lock file must be the user's own regular file: one that is not (planted before its
    folder was made private) is set aside and replaced, once.
    """
    path = directory / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for attempt in range(2):
        problem: str | None
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:  # ELOOP: a symlink
            problem = f"cannot open: {exc.strerror or exc}"
        else:
            st = os.fstat(fd)
            problem = "not a regular file" if not stat.S_ISREG(st.st_mode) else files.foreign(st)
            if problem is None:
                if _lock(fd):
                    return fd
                os.close(fd)
                return None
            os.close(fd)
        if attempt or aside.set_aside(path, problem, prune_copies=True) is None:
            raise OSError(f"{path}: {problem}")
    return None


def _lock(fd: int) -> bool:
    """Take ``fd``'s advisory lock without waiting; False if another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def remove_stale_temps(directory: Path, atomic_names: tuple[str, ...] = ()) -> list[str]:
    """Remove the temp files killed runs left in ``directory``; returns their names.

    Build temps go when nobody else holds the builder lock (a live second instance keeps
    its own); the earlier fixed-name temp when nobody holds its own lock. Still earlier
    versions' randomly named build temps, and ``files.write_atomic``'s temps for
    ``atomic_names`` (``.<name>.*.tmp``), go once untouched for ``STALE_TEMP_S``: such a write
    takes milliseconds.
    """
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    prefixes = (LEGACY_TEMP[0], *(files.temp_prefix(n) for n in atomic_names))
    removed: list[str] = []
    with _guard:
        ours = _ours.get(directory)
        lock = None
        if ours is None and fcntl is not None:
            with contextlib.suppress(OSError):
                lock = _take_lock(directory)
        builds_dead = ours is not None or lock is not None
        try:
            for name in names:
                if not name.endswith(files.TEMP_SUFFIX):
                    continue
                path = directory / name
                if name == LEGACY_TEMP_NAME:
                    gone = _remove_unlocked(path)
                elif name.startswith(BUILD_PREFIX) and fcntl is not None:
                    gone = builds_dead and path != ours and _remove_regular(path, 0.0)
                elif name.startswith(prefixes):
                    gone = _remove_regular(path, STALE_TEMP_S)
                else:
                    gone = False
                if gone:
                    removed.append(name)
        finally:
            if lock is not None:
                os.close(lock)
    if removed:
        log.info("removed %d stale temp file(s) in %s", len(removed), directory)
    return removed


def _remove_regular(path: Path, older_than_s: float) -> bool:
    """Unlink ``path`` if it is a regular file untouched for ``older_than_s``."""
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and time.time() - st.st_mtime >= older_than_s:
            os.unlink(path)
            return True
    except OSError:
        pass
    return False


def _remove_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
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
