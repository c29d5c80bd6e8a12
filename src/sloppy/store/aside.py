"""Setting aside what cannot be read: renamed beside itself, recorded, never deleted.

Instead of deleting a corrupt file (the user's data), call ``set_aside``: it becomes
``<name>.bad-<ms>`` with one log line, and the event is kept for the GUI's toasts and the hook
API's ``/api/status`` (``events``).
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
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


def set_aside(path: Path, reason: str) -> Path | None:
    """Rename an unreadable file to ``<name>.bad-<epoch>`` and log one line; never delete it.

    Every call is also recorded for ``events`` (the GUI's toasts, the hook API's status).
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
