"""The warm cache is executed, so only the user's own file is: never one another user planted
or can write, and never a file planted at a build temp's name.

The other user is ``nobody`` (``tests.support.other_user``), acting under umask 000 in folders an
older sloppy left open (0777). A forged cache has recomputed CRC32s: the checksums guard
against damage, and only the file's owner and mode against another user.
"""

from __future__ import annotations

import marshal
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sloppy.warm import cache_format
from sloppy.warm.cache_format import HEADER, Entry
from tests.support import engine_run, other_user

REAL, EVIL = b"model-aaaa-default", b"model-EVIL-default"


@pytest.fixture
def base() -> Iterator[Path]:
    other_user.skip_unless_possible()
    with other_user.open_base() as folder, other_user.umask(0):
        yield folder


@pytest.fixture
def mods(tmp_path: Path) -> Path:
    return engine_run.write_modules(tmp_path / "engine-mods")


def forge(cache: Path, out: Path) -> None:
    """A copy of ``cache`` whose ``wcmod_a`` says EVIL, with every CRC32 recomputed."""
    data = cache.read_bytes()
    _, _, index_offset, _, key_len, _ = HEADER.unpack_from(data, 0)
    key = data[HEADER.size : HEADER.size + key_len]
    body = bytearray(data[:index_offset])
    at = body.index(REAL)
    body[at : at + len(REAL)] = EVIL
    index = {}
    for name, fields in marshal.loads(data[index_offset:]).items():
        entry = Entry(*fields)
        if entry.offset <= at < entry.offset + entry.length:
            code = bytes(body[entry.offset : entry.offset + entry.length])
            entry = entry._replace(crc=cache_format.crc(code))
        index[name] = entry
    with out.open("wb+") as fh:
        fh.write(bytes(body))  # the header is rewritten by write_index
        cache_format.write_index(fh, key, index)
    os.chmod(out, 0o644)


def _start(mods: Path, home: Path) -> engine_run.Start:
    return engine_run.start(mods, env={"SLOPPY_HOME": str(home)})


def _aside(home: Path) -> list[Path]:
    return sorted((home / "cache").glob("warm_cache.bin.bad-*"))


def _assert_ours_and_closed(cache: Path) -> None:
    st = cache.stat()
    assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert not other_user.nobody_can_write(cache)
    assert not other_user.nobody_can_write(cache.parent / "planted")


def test_a_forged_cache_another_user_planted_is_never_executed(base: Path, mods: Path) -> None:
    home = base / "home"
    cache = home / "cache" / "warm_cache.bin"
    _start(mods, home)
    forged = base / "forged.bin"
    forge(cache, forged)
    # The forgery is well formed: the user's own copy of it is served (the CRCs pass).
    os.replace(cache, base / "clean.bin")
    cache.write_bytes(forged.read_bytes())
    os.chmod(cache, 0o600)
    control = _start(mods, home)
    assert control.out["values"]["wcmod_a"] == EVIL.decode()
    assert control.out["sources"]["wcmod_a"] == "warm-cache"
    os.replace(base / "clean.bin", cache)
    # An older sloppy left the folders open; nobody swaps in the forged cache.
    for folder in (home, cache.parent):
        os.chmod(folder, 0o777)
    other_user.as_nobody(
        "import os, shutil, sys\n"
        "shutil.copyfile(sys.argv[1], sys.argv[2] + '.plant')\n"
        "os.replace(sys.argv[2] + '.plant', sys.argv[2])\n",
        str(forged),
        str(cache),
    )
    assert cache.stat().st_uid == other_user.NOBODY_UID
    attacked = _start(mods, home)
    assert attacked.out["values"]["wcmod_a"] == REAL.decode()
    assert attacked.out["sources"]["wcmod_a"] == "filesystem"
    assert attacked.out["status"] == "corrupt"
    [aside] = _aside(home)
    assert aside.stat().st_uid == other_user.NOBODY_UID  # moved as it was
    [line] = attacked.warnings("warm_cache.bin")
    assert f"owned by uid {other_user.NOBODY_UID}" in line
    _assert_ours_and_closed(cache)
    again = _start(mods, home)
    assert set(again.out["sources"].values()) == {"warm-cache"}
    assert again.out["values"]["wcmod_a"] == REAL.decode()


def test_the_users_own_cache_writable_by_others_is_not_executed(base: Path, mods: Path) -> None:
    home = base / "home"
    cache = home / "cache" / "warm_cache.bin"
    _start(mods, home)
    os.chmod(cache, 0o666)
    result = _start(mods, home)
    assert result.out["sources"]["wcmod_a"] == "filesystem"
    [line] = result.warnings("warm_cache.bin")
    assert "writable by other users (mode 666)" in line
    assert len(_aside(home)) == 1
    _assert_ours_and_closed(cache)


HOLD_LOCK = (
    "import fcntl, sys, time\n"
    "fh = open(sys.argv[1], 'a')\n"
    "fcntl.flock(fh, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def test_files_planted_at_the_build_names_never_become_the_cache(base: Path, mods: Path) -> None:
    home = other_user.loose_home(base, "cache")
    folder = home / "cache"
    # nobody plants the old fixed build temp, and holds the builder lock to stop builds.
    other_user.as_nobody(
        "import sys; open(sys.argv[1], 'wb').write(b'planted')",
        str(folder / ".warm_cache.build.tmp"),
    )
    planted = (folder / ".warm_cache.build.tmp").stat().st_ino
    holder = other_user.as_nobody(HOLD_LOCK, str(folder / ".warm_cache.lock"), background=True)
    assert isinstance(holder, subprocess.Popen) and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        first = _start(mods, home)
        assert first.out["warm"] and not first.out["failed"]
        cache = folder / "warm_cache.bin"
        assert cache.stat().st_ino != planted
        _assert_ours_and_closed(cache)
        assert not list(folder.glob(".warm_cache.build*.tmp"))
        second = _start(mods, home)
        assert set(second.out["sources"].values()) == {"warm-cache"}
    finally:
        holder.kill()
        holder.wait()
