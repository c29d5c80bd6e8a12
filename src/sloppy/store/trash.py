"""The trash: what the user deleted or cleared, kept for undo and pruned after a month.

``discard`` moves a file into ``<data>/trash/`` (one rename, no copy) and writes a small
metadata file beside it saying where it came from, so that a restart still finds it and
``restore`` can put it back. ``prune`` (run on the pool at start) removes what has been in the
trash longer than ``MAX_AGE_DAYS`` and logs one line with the count, never silently. A
metadata file that cannot be read is set aside (``store.aside``) and the rest carries on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sloppy.store import aside, files, paths

if TYPE_CHECKING:
    from concurrent.futures import Future

log = logging.getLogger(__name__)

MAX_AGE_DAYS = 30
#: The metadata file beside each trashed file is ``<trashed name>`` + this.
META = ".meta.json"
META_LIMIT = 64 * 1024


class Trashed(NamedTuple):
    """A file in the trash: where it is, where it came from, when and under what title."""

    path: Path
    origin: Path
    at: float
    title: str = ""


def directory() -> Path:
    return paths.data_dir() / "trash"


def discard(path: Path, *, title: str = "") -> Trashed | None:
    """Move ``path`` into the trash; None (and one log line) if it is missing or cannot move."""
    at = time.time()
    folder = directory()
    if paths.ensure_dir(folder) is None:
        log.warning("cannot move %s to the trash: %s is unusable", path, folder)
        return None
    # Time first (sorts and prunes by name), random next (two instances in one millisecond).
    target = folder / f"{int(at * 1000):013d}-{os.urandom(4).hex()}-{path.name}"
    item = Trashed(target, path, at, title)
    meta = _meta_of(target)
    try:
        # The metadata goes first: a crash between the two leaves a note without a file
        # (skipped, pruned later), never a file nobody can restore.
        files.write_json_atomic(meta, _to_json(item))
        os.replace(path, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            meta.unlink()
        log.warning("cannot move %s to the trash: %s", path, exc)
        return None
    log.info("moved %s to the trash as %s", path, target.name)
    return item


def restore(item: Trashed) -> Path:
    """Put ``item`` back where it was; if that name is taken now, beside it under a free name.

    Raises ``FileNotFoundError`` when the item is no longer in the trash (pruned, or restored
    by another instance), ``ValueError`` when its recorded origin names no usable place.
    """
    dest = anchored(item.origin)
    if dest.exists() or dest.is_symlink():
        stamp = int(time.time() * 1000)
        dest = dest.with_name(f"{dest.stem}-restored-{stamp}-{os.urandom(2).hex()}{dest.suffix}")
    paths.prepare_dir(dest.parent)
    os.replace(item.path, dest)
    with contextlib.suppress(OSError):
        _meta_of(item.path).unlink()
    log.info("restored %s from the trash to %s", item.path.name, dest)
    return dest


def anchored(origin: Path) -> Path:
    """Where ``origin`` is now: its folder's and file's names under today's data dir.

    The data dir may have moved since (another home, another machine), and a damaged metadata
    file must not make a restore write anywhere else.
    """
    folder, name = origin.parent.name, origin.name
    for part in (folder, name):
        if part in ("", ".", "..") or "/" in part or "\\" in part:
            raise ValueError(f"the trash names no usable place to restore to: {origin}")
    return paths.data_dir() / folder / name


def items() -> list[Trashed]:
    """Everything in the trash that can be restored, newest first. A metadata file that cannot
    be read is set aside (one log line) and its item skipped."""
    found = []
    for meta in _metas():
        item = _read_meta(meta)
        if item is not None and (item.path.exists() or item.path.is_symlink()):
            found.append(item)
    return sorted(found, key=lambda t: t.at, reverse=True)


def prune(max_age_days: float = MAX_AGE_DAYS) -> int:
    """Remove what has been in the trash longer than ``max_age_days``; returns how many items.

    Always logs one line (how many, from where). The age comes from the name's time stamp, so
    a file whose metadata was damaged is pruned too. Another instance pruning at the same time
    is harmless: each counts what it removed.
    """
    folder = directory()
    cutoff = time.time() - max_age_days * 86400
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        stamp = name.split("-", 1)[0]
        if not stamp.isdigit() or int(stamp) / 1000 >= cutoff or name.endswith(files.TEMP_SUFFIX):
            continue
        try:
            os.unlink(folder / name)
        except OSError:  # gone already (another instance), or a folder: not ours to remove
            continue
        if META not in name:  # a metadata file (or its set-aside copy) is not an item
            removed += 1
    log.info(
        "trash: removed %d item%s older than %g days from %s",
        removed,
        "" if removed == 1 else "s",
        max_age_days,
        folder,
    )
    return removed


def prune_after(first: Future[Any], max_age_days: float = MAX_AGE_DAYS) -> int:
    """``prune`` once ``first`` is done: at start, after the log file is attached, so that the
    one line reaches it. Queue it on the pool after ``first`` (waiting cannot starve the pool).
    """
    with contextlib.suppress(Exception):  # no log file: the line still goes to the console
        first.result(timeout=10)
    return prune(max_age_days)


def _meta_of(trashed: Path) -> Path:
    return trashed.with_name(trashed.name + META)


def _metas() -> list[Path]:
    try:
        return [directory() / n for n in os.listdir(directory()) if n.endswith(META)]
    except OSError:
        return []


def _to_json(item: Trashed) -> dict[str, Any]:
    return {
        "schema": 1,
        "name": item.path.name,
        "origin": str(item.origin),
        "at": item.at,
        "title": item.title,
    }


def _read_meta(meta: Path) -> Trashed | None:
    try:
        doc = files.read_json(meta, schema=1, limit=META_LIMIT)
    except OSError:
        return None
    if doc is None:
        return None  # gone, or set aside by read_json (logged there)
    try:
        origin, at, title = doc["origin"], doc["at"], doc.get("title", "")
        if not isinstance(origin, str) or not isinstance(title, str):
            raise ValueError("a field of the wrong type")
        if isinstance(at, bool) or not isinstance(at, int | float):
            raise ValueError("'at' is not a number")
        epoch = float(at)
    except (KeyError, ValueError, OverflowError) as exc:
        aside.set_aside(meta, f"trash metadata: {exc}")
        return None
    return Trashed(meta.with_name(meta.name[: -len(META)]), Path(origin), epoch, title)
