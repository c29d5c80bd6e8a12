from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sloppy.store import logs, paths
from tests.support.live import Proc
from tests.support.purity import shim_env, shim_loads


def test_configure_once_then_attach_and_prune(sloppy_home: Path) -> None:
    logger = logging.getLogger("sloppy")
    before = list(logger.handlers)
    try:
        logs.configure()
        logs.configure()
        assert sum(getattr(h, "_sloppy", False) for h in logger.handlers) == 1
        path = logs.attach_file()
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
        assert logs.prune_logs() == [old]
        assert fresh.exists() and path.exists()
    finally:
        for h in list(logger.handlers):
            if h not in before:
                logger.removeHandler(h)
                h.close()


@pytest.mark.slow
def test_a_real_run_attaches_the_file_and_prunes_from_the_pool(
    sloppy_home: Path, tmp_path: Path
) -> None:
    """In a real (headless) run, the log file is opened and old logs pruned on the pool."""
    log_dir = paths.ensure_dir(paths.log_dir())
    assert log_dir is not None
    old = log_dir / f"{logs.LOG_NAME}.4"
    old.write_text("old")
    os.utime(old, (time.time() - 90 * 86400,) * 2)
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "sloppy_log_failure.py").write_text("raise RuntimeError('for the log')\n")
    shim_log = tmp_path / "loads.tsv"
    env = shim_env(shim_log)
    env["PYTHONPATH"] += os.pathsep + str(mods)
    env.update(SLOPPY_HOME=str(sloppy_home), SLOPPY_WARM_EXTRA="sloppy_log_failure")
    proc = Proc(["--headless", "--exit-when-warm"], env)
    try:
        assert proc.popen.wait(120) == 0, "".join(proc.stderr)[-2000:]
    finally:
        proc.kill()
    (thread,) = {t for t, m in shim_loads(shim_log) if m == "logging.handlers"}
    assert thread.startswith("controller-io"), thread
    assert not old.exists()
    text = (log_dir / logs.LOG_NAME).read_text()
    assert "warmup of sloppy_log_failure failed" in text and "for the log" in text


def _sloppy_handlers() -> list[logging.Handler]:
    return list(logging.getLogger("sloppy").handlers)


@pytest.fixture
def fresh_logging() -> Iterator[list[logging.Handler]]:
    """The sloppy logger with no handlers (configure() binds stderr to the capture)."""
    logger = logging.getLogger("sloppy")
    saved = list(logger.handlers)
    for h in saved:
        logger.removeHandler(h)
    try:
        yield []
    finally:
        _restore([])
        for h in saved:
            logger.addHandler(h)


def test_an_unopenable_log_file_warns_once(
    sloppy_home: Path, capsys: pytest.CaptureFixture[str], fresh_logging: list[logging.Handler]
) -> None:
    before = fresh_logging
    try:
        logs.configure()
        (sloppy_home / "logs" / logs.LOG_NAME).mkdir(parents=True)  # cannot be opened
        assert logs.attach_file() is None
        for i in range(5):
            logging.getLogger("sloppy.test").warning("record %d", i)
        err = capsys.readouterr().err
        assert err.count("cannot write the log file") == 1
        assert "Logging error" not in err and err.count("record ") == 5
    finally:
        _restore(before)


def test_a_log_file_that_fails_later_warns_once_and_retires(
    sloppy_home: Path, capsys: pytest.CaptureFixture[str], fresh_logging: list[logging.Handler]
) -> None:
    before = fresh_logging
    try:
        logs.configure()
        path = logs.attach_file()
        assert path is not None
        [handler] = [h for h in _sloppy_handlers() if h not in before and not _is_stderr(h)]
        assert isinstance(handler, logging.FileHandler) and handler.stream is not None
        handler.stream.close()  # what a vanished or read-only file looks like to a write
        for i in range(5):
            logging.getLogger("sloppy.test").warning("record %d", i)
        err = capsys.readouterr().err
        assert err.count("cannot write the log file") == 1
        assert "Logging error" not in err and "Traceback" not in err
        assert handler not in _sloppy_handlers()
    finally:
        _restore(before)


def _is_stderr(h: logging.Handler) -> bool:
    return bool(getattr(h, "_sloppy", False))


def _restore(before: list[logging.Handler]) -> None:
    logger = logging.getLogger("sloppy")
    for h in list(logger.handlers):
        if h not in before:
            logger.removeHandler(h)
            h.close()
