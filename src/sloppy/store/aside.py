"""Setting aside what cannot be read: renamed beside itself, recorded, never deleted.

Instead of deleting a corrupt file (the user's data), call ``set_aside``: it becomes
``<name>.bad-<ms>`` with one log line, and the event is kept for the GUI's toasts and the hook
API's ``/api/status`` (``events``). Copies of files sloppy can rebuild (the warm cache, the
import profile, the hook key, the log) do not pile up: ``prune`` keeps the newest few, none
older than a month, and says what it removed. Never prune the user's data (discussions,
settings, API keys) without the user.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_lock = threading.Lock()
#: The latest set-aside events (a bounded record: a damaged home must not grow memory).
_events: collections.deque[dict[str, Any]] = collections.deque(maxlen=100)
_seq = itertools.count()
#: ``prune`` keeps this many set-aside copies of a file, the newest ...
KEEP = 3
#: ... and none set aside longer ago than this.
MAX_AGE_S = 30 * 86400.0
MARK = ".bad-"


def set_aside(path: Path, reason: str, *, prune_copies: bool = False) -> Path | None:
    """Rename an unreadable file to ``<name>.bad-<epoch>`` and log one line; never delete it.

    Every call is also recorded for ``events`` (the GUI's toasts, the hook API's status).
    ``prune_copies``: a file sloppy can rebuild; older copies are then pruned (``prune``).
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
    if prune_copies:
        prune(path)
    return target


def copies(path: Path) -> list[tuple[float, Path]]:
    """``path``'s set-aside copies with the epoch each was set aside at, oldest first."""
    prefix = path.name + MARK
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix)]
    except OSError:
        return []
    found = []
    for name in names:
        digits = name[len(prefix) :].split("-", 1)[0]
        if digits.isdigit():
            found.append((int(digits) / 1000, path.parent / name))
    return sorted(found)


def prune(path: Path, *, keep: int = KEEP, max_age_s: float = MAX_AGE_S) -> list[Path]:
    """Remove ``path``'s set-aside copies but the newest ``keep``, and any older than
    ``max_age_s``; one log line says how many. Only for files sloppy can rebuild.

    Folders are left alone (a folder found at a file's name is not sloppy's to delete).
    """
    found = copies(path)
    cutoff = time.time() - max_age_s
    doomed = [p for i, (at, p) in enumerate(found) if i < len(found) - keep or at < cutoff]
    removed = []
    for copy in doomed:
        try:
            if stat.S_ISDIR(os.lstat(copy).st_mode):
                continue
            os.unlink(copy)
        except OSError:
            continue
        removed.append(copy)
    if removed:
        log.info(
            "removed %d set-aside cop%s of %s (keeping the newest %d, none over %d days old)",
            len(removed),
            "y" if len(removed) == 1 else "ies",
            path,
            keep,
            max_age_s // 86400,
        )
    return removed


def prune_folder(directory: Path, *, keep: int = KEEP, max_age_s: float = MAX_AGE_S) -> list[Path]:
    """``prune`` every file with set-aside copies in ``directory`` (a folder of rebuildable
    files, such as the cache folder)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    bases = {n.split(MARK, 1)[0] for n in names if MARK in n}
    removed: list[Path] = []
    for base in sorted(bases):
        removed += prune(directory / base, keep=keep, max_age_s=max_age_s)
    return removed


def _record(path: Path, target: Path | None, reason: str) -> None:
    event = {
        "seq": next(_seq),
        "file": str(path),
        "set_aside_as": str(target) if target is not None else None,
        "reason": reason,
        "epoch": round(time.time(), 3),
    }
    with _lock:
        _events.append(event)


def events(after: int = -1) -> list[dict[str, Any]]:
    """The latest files set aside (or that could not be), oldest first, with ``seq > after``."""
    with _lock:
        return [dict(e) for e in _events if e["seq"] > after]
