"""Discussions on disk: one JSON file each in the data dir, merged and written atomically.

Instead of overwriting the file with what this process holds, ``save`` merges: under an
exclusive lock it re-reads the file, keeps every message either side has (by id) and writes
the union. Two instances on one home therefore never drop each other's messages. A file that
cannot be read is set aside (renamed, never deleted) and reported.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from sloppy.store import aside, files, paths
from sloppy.store.messages import Discussion

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; the merge still runs
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: A discussion file larger than this is not read (set aside instead): far past any real chat.
MAX_BYTES = 64 * 1024 * 1024


class Summary(NamedTuple):
    """One discussion in the list: ``name`` is its id (the file's), ``title`` what is shown."""

    name: str
    title: str
    updated_at: float
    count: int  # type: ignore[assignment]  # the number of messages (shadows tuple.count)


#: ``listing``'s summaries by file, with the (inode, mtime_ns, size) they were read at.
_listed: dict[str, tuple[tuple[int, int, int], Summary]] = {}
_cache_lock = threading.Lock()


class NotSaved(OSError):
    """The file on disk is unreadable and could not be set aside: it is left untouched."""


def directory() -> Path:
    return paths.data_dir() / "discussions"


def file_of(name: str) -> Path:
    """The file that holds discussion ``name`` (names are sanitised to stay in the directory)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "discussion"
    return directory() / f"{safe}.json"


def save(discussion: Discussion) -> Discussion:
    """Merge ``discussion`` with the file on disk and write the union atomically.

    Returns the merged discussion (the caller shows it). Raises ``NotSaved`` when the file on
    disk is unreadable and cannot be set aside: an unread file is never overwritten.
    """
    path = file_of(discussion.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        on_disk, problem = _read(path)
        if problem is not None and (path.exists() or path.is_symlink()):
            raise NotSaved(f"{path.name} is unreadable and could not be set aside: not saved")
        merged = merge(discussion, on_disk) if on_disk is not None else discussion
        files.write_atomic(path, json.dumps(merged.to_json(), indent=1).encode("utf-8"))
    return merged


def load(name: str) -> tuple[Discussion | None, str | None]:
    """``(discussion, problem)``: (None, None) if absent; a bad file is set aside and named."""
    path = file_of(name)
    with _locked(path):
        found, problem = _read(path)
    if problem is not None:
        return None, f"discussion {name!r} {problem}"
    return found, None


def names() -> list[str]:
    """The names of the discussions on disk (file stems; ``file_of`` maps each back)."""
    try:
        found = os.listdir(directory())
    except OSError:
        return []
    stems = [n[:-5] for n in found if n.endswith(".json") and not n.startswith(".")]
    return sorted(s for s in stems if file_of(s).name == f"{s}.json")


def exists(name: str) -> bool:
    return file_of(name).is_file()


def listing() -> list[Summary]:
    """Every discussion on disk, newest activity first; a bad file is set aside and skipped.

    A file unchanged since the last listing (same inode, size and modification time) is not
    read again: the list is redrawn after every reply.
    """
    found, seen = [], {}
    for name in names():
        path = str(file_of(name))
        try:
            st = os.stat(path)
        except OSError:
            continue
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # each save is a new file
        with _cache_lock:
            cached = _listed.get(path)
        if cached is not None and cached[0] == stamp:
            found.append(cached[1])
        else:
            d, _problem = load(name)  # a bad file: set aside and logged by ``_read``
            if d is None:
                continue
            d.name = name
            found.append(summary(d))
        seen[path] = (stamp, found[-1])
    with _cache_lock:
        _listed.clear()
        _listed.update(seen)
    return sorted(found, key=lambda s: s.updated_at, reverse=True)


def search(query: str) -> list[Summary]:
    """The discussions whose title or message text contains ``query`` (any case), newest first."""
    needle = query.casefold().strip()
    if not needle:
        return listing()

    def matches(d: Discussion) -> bool:
        return needle in d.title.casefold() or any(needle in m.text.casefold() for m in d.messages)

    return _summaries(matches)


def summary(d: Discussion) -> Summary:
    return Summary(d.name, d.shown_title(), d.last_activity(), len(d.messages))


def _summaries(keep: Callable[[Discussion], bool]) -> list[Summary]:
    found = []
    for name in names():
        d, _problem = load(name)  # a bad file: set aside and logged by ``_read``
        if d is not None:
            d.name = name
            if keep(d):
                found.append(summary(d))
    return sorted(found, key=lambda s: s.updated_at, reverse=True)


def merge(mine: Discussion, theirs: Discussion) -> Discussion:
    """Every message of both (by id, ``mine`` wins a tie) after the later clear, in time order;
    ``mine``'s title and system prompt (``theirs``' title if ``mine`` has none)."""
    cleared = max(mine.cleared_at, theirs.cleared_at)
    dropped = list(dict.fromkeys([*theirs.dropped, *mine.dropped]))
    gone = set(dropped)
    by_id = {m.id: m for m in theirs.messages}
    by_id.update({m.id: m for m in mine.messages})
    kept = [m for m in by_id.values() if m.at > cleared and m.id not in gone]
    kept.sort(key=lambda m: m.at)  # stable: equal times keep insertion order
    return Discussion(
        name=mine.name,
        system=mine.system,
        messages=kept,
        cleared_at=cleared,
        title=mine.title or theirs.title,
        updated_at=max(mine.updated_at, theirs.updated_at),
        dropped=dropped,
    )


def _read(path: Path) -> tuple[Discussion | None, str | None]:
    """Parse ``path``; anything that fails (even unexpectedly) sets the file aside."""
    try:
        raw = files.read_bounded(path, limit=MAX_BYTES)
        if raw is None:
            return None, None
        return Discussion.from_json(json.loads(raw)), None
    except Exception as exc:
        reason = str(exc) if isinstance(exc, files.Unreadable) else _describe(exc)
        moved = aside.set_aside(path, reason)
        if moved is None:
            return None, f"is unreadable ({reason}) and could not be set aside"
        return None, f"was unreadable ({reason}) and was set aside as {moved.name}"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock beside ``path`` for one read-merge-write (other processes)."""
    if fcntl is None or not path.parent.is_dir():
        yield
        return
    try:
        fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # read-only directory: nothing can be written, reading needs no lock
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
