"""Logging: warnings to stderr, everything from INFO to a rotated file in the log dir.

Instead of ``logging.basicConfig``, call ``configure()`` once at start; ``prune_logs`` runs on
the pool later. Nothing here ever formats a secret: callers never pass one.
"""

from __future__ import annotations

import logging
import logging.handlers
import time
from pathlib import Path

from sloppy import paths

LOG_NAME = "sloppy.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
MAX_AGE_DAYS = 30


def configure(*, level: int = logging.INFO) -> Path | None:
    """Set up the ``sloppy`` logger; returns the log file path, or None if the dir is unusable."""
    logger = logging.getLogger("sloppy")
    if getattr(configure, "_done", False):
        return None
    configure._done = True  # type: ignore[attr-defined]
    logger.setLevel(level)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(logging.Formatter("sloppy: %(levelname)s: %(message)s"))
    logger.addHandler(stderr)
    directory = paths.ensure_dir(paths.log_dir())
    if directory is None:
        return None
    path = directory / LOG_NAME
    try:
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    return path


def prune_logs(*, max_age_days: float = MAX_AGE_DAYS) -> list[Path]:
    """Remove sloppy's own rotated logs older than ``max_age_days``; returns what was removed."""
    removed: list[Path] = []
    cutoff = time.time() - max_age_days * 86400
    directory = paths.log_dir()
    for old in directory.glob(f"{LOG_NAME}.*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed.append(old)
        except OSError:
            continue
    return removed
