from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from sloppy import log_setup


def test_file_log_attached_from_the_pool_and_pruned(sloppy_home: Path) -> None:
    logger = logging.getLogger("sloppy")
    before = list(logger.handlers)
    try:
        log_setup.configure()
        log_setup.configure()
        assert sum(getattr(h, "_sloppy", False) for h in logger.handlers) == 1
        path = log_setup.attach_file()
        assert path is not None and path.is_relative_to(sloppy_home)
        logging.getLogger("sloppy.test").info("hello file")
        for h in logger.handlers:
            h.flush()
        assert "hello file" in path.read_text()
        old = path.with_name(path.name + ".3")
        old.write_text("old")
        os.utime(old, (time.time() - 90 * 86400,) * 2)
        fresh = path.with_name(path.name + ".1")
        fresh.write_text("new")
        assert log_setup.prune_logs() == [old]
        assert fresh.exists() and path.exists()
    finally:
        for h in list(logger.handlers):
            if h not in before:
                logger.removeHandler(h)
                h.close()
