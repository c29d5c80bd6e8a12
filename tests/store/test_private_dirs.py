"""sloppy's folders are the user's alone: created 0700 whatever the umask, tightened when an
older sloppy left them open, refused when another user owns them; logs never follow a link.

The other user is ``nobody`` (``tests.support.other_user``), acting under umask 000.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sloppy.store import files, logs, paths
from tests.support import other_user


@pytest.fixture(autouse=True)
def _fresh_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "_warned", set())
    monkeypatch.setattr(paths, "_checked", set())


@pytest.fixture
def base(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    other_user.skip_unless_possible()
    with other_user.open_base() as folder:
        yield folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_are_created_0700_under_umask_000(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = base / "home"
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    with other_user.umask(0):
        made = [paths.ensure_dir(d) for d in paths.all_dirs().values()]
        files.write_atomic(paths.data_dir() / "discussions" / "x.json", b"{}")
    assert None not in made
    for folder in (home, *paths.all_dirs().values(), paths.data_dir() / "discussions"):
        assert _mode(folder) == 0o700, folder
    assert _mode(paths.data_dir() / "discussions" / "x.json") == 0o600
    assert not other_user.nobody_can_write(paths.cache_dir() / "warm_cache.bin")


def test_open_folders_sloppy_made_are_tightened_but_not_the_users_home(
    base: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = other_user.loose_home(base, "config", "cache", "data", "logs")
    (home / "data" / "discussions").mkdir()
    os.chmod(home / "data" / "discussions", 0o755)  # an older sloppy, umask 022
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    assert other_user.nobody_can_write(home / "cache" / "planted")
    with caplog.at_level(logging.INFO, logger="sloppy"):
        for folder in paths.all_dirs().values():
            assert paths.ensure_dir(folder) == folder
        assert paths.ensure_dir(home / "data" / "discussions") is not None
        for folder in paths.all_dirs().values():  # once per folder and process
            paths.ensure_dir(folder)
    for folder in paths.all_dirs().values():
        assert _mode(folder) == 0o700, folder
    assert _mode(home / "data" / "discussions") == 0o700
    assert _mode(home) == 0o777  # SLOPPY_HOME itself is the user's: never changed
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 4 and all("mode 777" in m for m in warned), warned
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1 and "mode 755" in infos[0]
    assert not other_user.nobody_can_write(home / "cache" / "planted2")


def test_a_folder_another_user_made_is_not_used(
    base: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = other_user.loose_home(base)
    other_user.as_nobody("import os, sys; os.mkdir(sys.argv[1], 0o777)", str(home / "cache"))
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    with caplog.at_level(logging.WARNING, logger="sloppy"):
        assert paths.ensure_dir(paths.cache_dir()) is None
        assert paths.ensure_dir(paths.cache_dir()) is None
    assert len(caplog.records) == 1
    assert f"owned by uid {other_user.NOBODY_UID}" in caplog.records[0].getMessage()
    with pytest.raises(OSError):
        files.write_atomic(paths.cache_dir() / "import_profile.json", b"{}")
    assert os.listdir(paths.cache_dir()) == []


@pytest.fixture
def log_handlers() -> Iterator[None]:
    logger = logging.getLogger("sloppy")
    before = list(logger.handlers)
    yield
    for handler in list(logger.handlers):
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()


def test_a_log_symlink_planted_by_another_user_is_set_aside_not_followed(
    base: Path, monkeypatch: pytest.MonkeyPatch, log_handlers: None
) -> None:
    home = other_user.loose_home(base, "logs")
    victim = base / "victim.txt"
    victim.write_text("the user's own file\n")
    other_user.as_nobody(
        "import os, sys; os.symlink(sys.argv[1], sys.argv[2])",
        str(victim),
        str(home / "logs" / logs.LOG_NAME),
    )
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    path = logs.attach_file()
    assert path == home / "logs" / logs.LOG_NAME
    logging.getLogger("sloppy.test").warning("a line for the log")
    for handler in logging.getLogger("sloppy").handlers:
        handler.flush()
    assert victim.read_text() == "the user's own file\n"
    assert not path.is_symlink() and "a line for the log" in path.read_text()
    assert _mode(path) == 0o600
    [aside] = list(path.parent.glob(f"{logs.LOG_NAME}.bad-*"))
    assert aside.is_symlink()  # moved as it was, never followed or deleted


def test_a_log_file_of_another_user_is_set_aside(
    base: Path, monkeypatch: pytest.MonkeyPatch, log_handlers: None
) -> None:
    home = other_user.loose_home(base, "logs")
    other_user.as_nobody(
        "import sys; open(sys.argv[1], 'w').write('planted\\n')",
        str(home / "logs" / logs.LOG_NAME),
    )
    monkeypatch.setenv("SLOPPY_HOME", str(home))
    path = logs.attach_file()
    assert path is not None and path.stat().st_uid == os.geteuid()
    assert len(list(path.parent.glob(f"{logs.LOG_NAME}.bad-*"))) == 1


def test_a_symlink_that_appears_before_a_reopen_is_not_followed(
    tmp_path: Path, sloppy_home: Path, log_handlers: None, caplog: pytest.LogCaptureFixture
) -> None:
    path = logs.attach_file()
    assert path is not None
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched\n")
    [handler] = [
        h
        for h in logging.getLogger("sloppy").handlers
        if isinstance(h, logging.FileHandler) and h.baseFilename == str(path)
    ]
    # The handler reopens its file by name (after a rotation, or once closed): someone has
    # swapped the name for a link meanwhile.
    handler.close()
    path.unlink()
    path.symlink_to(victim)
    for i in range(3):
        logging.getLogger("sloppy.test").warning("record %d", i)
    assert victim.read_text() == "untouched\n"
    said = [r.getMessage() for r in caplog.records if "cannot write the log file" in r.getMessage()]
    assert len(said) == 1 and "a symbolic link" in said[0]
