"""The hook key is the user's own file: one another user planted (and so knows), or one others
can write, is set aside and replaced, never used.

The other user is ``nobody`` (``tests.support.other_user``), acting under umask 000 in a config
folder an older sloppy left open (0777).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sloppy.hooks import hook_key
from sloppy.store import paths
from tests.support import other_user

PLANTED = "key-chosen-by-another-user-0123456789"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    other_user.skip_unless_possible()
    monkeypatch.setattr(paths, "_checked", set())
    with other_user.open_base() as base, other_user.umask(0):
        folder = other_user.loose_home(base, "config")
        monkeypatch.setenv("SLOPPY_HOME", str(folder))
        yield folder


def _assert_replaced(key: str, path: Path | None) -> None:
    assert path is not None and key != PLANTED and hook_key.usable(key)
    st = path.stat()
    assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o600
    assert path.read_text() == key
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    [aside] = list(path.parent.glob("hook_key.bad-*"))
    assert aside.read_text() == PLANTED
    assert not other_user.nobody_can_write(path)


def test_a_key_another_user_planted_is_not_used(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = home / "config" / hook_key.KEY_FILE
    other_user.as_nobody(
        "import os, sys\n"
        "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)\n"
        "os.write(fd, sys.argv[2].encode())\n",
        str(path),
        PLANTED,
    )
    key, found = hook_key.resolve_key()
    _assert_replaced(key, found)
    assert any(f"owned by uid {other_user.NOBODY_UID}" in r.getMessage() for r in caplog.records)


def test_the_users_own_key_writable_by_others_is_replaced(home: Path) -> None:
    path = home / "config" / hook_key.KEY_FILE
    path.write_text(PLANTED)
    os.chmod(path, 0o666)
    key, found = hook_key.resolve_key()
    _assert_replaced(key, found)


def test_a_config_folder_of_another_user_stops_the_key(home: Path) -> None:
    os.rmdir(home / "config")
    other_user.as_nobody("import os, sys; os.mkdir(sys.argv[1], 0o777)", str(home / "config"))
    with pytest.raises(OSError, match=f"owned by uid {other_user.NOBODY_UID}"):
        hook_key.resolve_key()
    assert os.listdir(home / "config") == []
