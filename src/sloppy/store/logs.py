"""Logging: warnings to stderr at once, everything from INFO to a rotated file from the pool.

Instead of ``logging.basicConfig``, call ``configure()`` at start (stderr only: cheap), then
``attach_file()`` and ``prune_logs()`` on the pool: ``logging.handlers`` and the file open
stay off the path to the first frame. Nothing here ever formats a secret.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sloppy.store import aside, files, paths

H = TypeVar("H", bound=logging.FileHandler)

LOG_NAME = "sloppy.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
MAX_AGE_DAYS = 30


def configure(*, level: int = logging.INFO) -> None:
    """Set up the ``sloppy`` logger with a stderr handler for warnings (idempotent)."""
    logger = logging.getLogger("sloppy")
    if any(getattr(h, "_sloppy", False) for h in logger.handlers):
        return
    logger.setLevel(level)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(logging.Formatter("sloppy: %(levelname)s: %(message)s"))
    stderr._sloppy = True  # type: ignore[attr-defined]
    logger.addHandler(stderr)


def attach_file() -> Path | None:
    """Add the rotating log file (run on the pool); None if the log dir is unusable."""
    import logging.handlers

    logger = logging.getLogger("sloppy")
    directory = paths.ensure_dir(paths.log_dir())
    if directory is None:
        return None
    path = directory / LOG_NAME
    try:
        # Opened now, not at the first record: an unwritable log shows here, once.
        rotating = _quiet(logging.handlers.RotatingFileHandler)
        handler = _set_aside_once(
            path,
            lambda: rotating(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"),
        )
    except (OSError, files.Unreadable) as exc:
        logger.warning("cannot write the log file %s: %s (logging to stderr only)", path, exc)
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    return path


def _set_aside_once(path: Path, make: Callable[[], H]) -> H:
    """``make()``; if a symlink or another user's file is at ``path``, set it aside and retry."""
    try:
        return make()
    except files.Unreadable as exc:
        if aside.set_aside(path, str(exc), prune_copies=True) is None:
            raise
    return make()


def _quiet(base: type[H]) -> type[H]:
    """``base`` opened with ``files.open_append`` (no symlink, the user's own file) that, when
    the file cannot be written (read-only home, full disk), warns once on stderr and retires
    instead of printing ``--- Logging error ---`` for every record."""

    class QuietFileHandler(base):  # type: ignore[valid-type, misc]
        def _open(self) -> Any:
            # Never through a symlink or into another user's file (at start and each rotation).
            return files.open_append(
                Path(self.baseFilename), encoding=self.encoding, errors=self.errors
            )

        def handleError(self, record: logging.LogRecord) -> None:
            logger = logging.getLogger("sloppy")
            if self not in logger.handlers:
                return
            logger.removeHandler(self)
            exc = sys.exc_info()[1]
            logger.warning(
                "cannot write the log file %s: %s (logging to stderr only)", self.baseFilename, exc
            )

    return QuietFileHandler


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
