"""Discussions on disk: one JSON file each in the data dir, written atomically.

A file that cannot be parsed is set aside (renamed, never deleted) and reported to the caller.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from sloppy import paths, storage
from sloppy.models import Discussion

log = logging.getLogger(__name__)


def directory() -> Path:
    return paths.data_dir() / "discussions"


def _file(name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "discussion"
    return directory() / f"{safe}.json"


def save(discussion: Discussion) -> Path:
    """Write ``discussion`` atomically; a crash mid-save leaves the previous file intact."""
    path = _file(discussion.name)
    storage.write_atomic(path, json.dumps(discussion.to_json(), indent=1).encode("utf-8"))
    return path


def load(name: str) -> tuple[Discussion | None, str | None]:
    """``(discussion, problem)``: (None, None) if absent; a bad file is set aside and named."""
    path = _file(name)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot read {path}: {exc}"
    try:
        return Discussion.from_json(json.loads(raw)), None
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        aside = storage.set_aside(path, str(exc))
        where = aside.name if aside else path.name
        return None, f"discussion {name!r} was unreadable and set aside as {where}"


def names() -> list[str]:
    """Saved discussion names, newest first."""
    files = sorted(directory().glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [p.stem for p in files]
