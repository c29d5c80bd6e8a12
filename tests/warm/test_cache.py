"""The warm cache: built by one process, served to the next, with module semantics intact."""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import ROOT, engine_run
from tests.support.damage import DAMAGE_KINDS, apply_damage
from tests.support.interpreter import run_python

PKG = {
    "wcpkg/__init__.py": "from . import leaf\nVALUE = 'pkg'\n",
    "wcpkg/leaf.py": "def boom():\n    raise ValueError('from leaf')\n",
    "wcpkg/data.txt": "resource text\n",
}

CHILD = textwrap.dedent("""
    import importlib, importlib.machinery, importlib.resources, json, sys, threading, traceback
    sys.path.insert(0, {mods!r})
    from sloppy.warm import import_recorder, cache
    wc = cache.install()
    rec = import_recorder.install(execute=wc.execute if wc else None)
    out = {{}}
    if {validate!r} and wc is not None:
        out["stale"] = wc.validate()
    def work():
        pkg = importlib.import_module("wcpkg")
        out["file"] = pkg.__file__
        out["path"] = list(pkg.__path__)
        out["origin"] = pkg.__spec__.origin
        out["file_loader"] = isinstance(pkg.__loader__, importlib.machinery.SourceFileLoader)
        out["resource"] = importlib.resources.files("wcpkg").joinpath("data.txt").read_text()
        try:
            pkg.leaf.boom()
        except ValueError:
            tb = traceback.extract_tb(sys.exc_info()[2])
            out["tb"] = [tb[-1].filename, tb[-1].line]
        out["sources"] = {{n: rec.source_of(n) for n in ("wcpkg", "wcpkg.leaf")}}
    t = threading.Thread(target=work); t.start(); t.join()
    out["saved"] = wc.save() if wc else None
    out["status"] = wc.status if wc else None
    print(json.dumps(out))
""")


@pytest.fixture
def pkg_dir(tmp_path: Path) -> Path:
    root = tmp_path / "mods"
    for rel, text in PKG.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def child(pkg_dir: Path, *, validate: bool = False, **env: str) -> dict:
    out = run_python(CHILD.format(mods=str(pkg_dir), validate=validate), env=env)
    return json.loads(out.strip().splitlines()[-1])


def test_built_then_served_with_module_semantics(pkg_dir: Path, sloppy_home: Path) -> None:
    first = child(pkg_dir)
    assert first["sources"] == {"wcpkg": "filesystem", "wcpkg.leaf": "filesystem"}
    assert first["saved"] is True and first["status"] == "absent"
    second = child(pkg_dir)
    assert second["sources"] == {"wcpkg": "warm-cache", "wcpkg.leaf": "warm-cache"}
    assert second["file_loader"] is True  # a SourceFileLoader as far as anyone can tell
    for key in ("file", "path", "origin", "resource", "tb"):
        assert second[key] == first[key], key
    assert second["file"] == str(pkg_dir / "wcpkg" / "__init__.py")
    assert second["tb"] == [str(pkg_dir / "wcpkg" / "leaf.py"), "raise ValueError('from leaf')"]
    assert second["saved"] is False  # nothing new to write


@pytest.mark.parametrize("validate", [False, True], ids=["per-import", "batch"])
def test_changed_source_is_not_served_and_gets_rebuilt(
    pkg_dir: Path, sloppy_home: Path, validate: bool
) -> None:
    assert child(pkg_dir, validate=validate).get("stale", 0) == 0
    leaf = pkg_dir / "wcpkg" / "leaf.py"
    leaf.write_text("def boom():\n    raise ValueError('changed!')\n")
    os.utime(leaf, ns=(1, 1))
    second = child(pkg_dir, validate=validate)
    if validate:
        assert second["stale"] == 1
    assert second["sources"] == {"wcpkg": "warm-cache", "wcpkg.leaf": "filesystem"}
    assert second["tb"][1] == "raise ValueError('changed!')"
    assert second["saved"] is True
    third = child(pkg_dir)
    assert third["sources"]["wcpkg.leaf"] == "warm-cache"
    assert third["tb"][1] == "raise ValueError('changed!')"


@pytest.mark.parametrize(
    "damage",
    [b"", b"SLOPPYWC", b"garbage" * 100, "truncate"],
)
def test_corrupt_cache_is_set_aside_and_rebuilt(pkg_dir: Path, sloppy_home: Path, damage) -> None:
    child(pkg_dir)
    path = sloppy_home / "cache" / "warm_cache.bin"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_bytes(damage)
    second = child(pkg_dir)
    assert second["sources"]["wcpkg"] == "filesystem"
    assert second["status"] in ("corrupt", "absent")
    assert second["saved"] is True
    assert child(pkg_dir)["sources"]["wcpkg"] == "warm-cache"
    if damage not in (b"",):
        assert list(path.parent.glob("warm_cache.bin.bad-*"))


def test_stale_key_is_ignored(pkg_dir: Path, sloppy_home: Path) -> None:
    child(pkg_dir)
    # Another app version: a different key, so nothing may be served from the old file.
    stale = run_python(
        "import sloppy; sloppy.__version__ = '99.0'\n"
        + CHILD.format(mods=str(pkg_dir), validate=False)
    )
    result = json.loads(stale.strip().splitlines()[-1])
    assert result["status"] == "stale"
    assert result["sources"]["wcpkg"] == "filesystem"


def test_off_switch(pkg_dir: Path, sloppy_home: Path) -> None:
    off = child(pkg_dir, SLOPPY_WARM_CACHE="off")
    assert off["saved"] is None
    assert not (sloppy_home / "cache" / "warm_cache.bin").exists()


def test_main_thread_is_served_too(pkg_dir: Path, sloppy_home: Path) -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(pkg_dir)!r})\n"
        "from sloppy.warm import import_recorder, cache\n"
        "wc = cache.install(); rec = import_recorder.install(execute=wc.execute)\n"
        "import wcpkg\n"
        "print(rec.source_of('wcpkg'), wc.save())\n"
    )
    assert run_python(code).split() == ["filesystem", "True"]
    assert run_python(code).split() == ["warm-cache", "False"]


# -- integrity, damage, disk errors, temp files (issue 11) ------------------------------------


def _cache(home: Path) -> Path:
    return home / "cache" / "warm_cache.bin"


def _aside(home: Path) -> list[Path]:
    return sorted((home / "cache").glob("warm_cache.bin.bad-*"))


def _expected_values() -> dict[str, str]:
    return {"wcpkg": "pkg", "wcmod_a": "model-aaaa-default", "wcmod_b": "b"}


def _assert_all_served(result: engine_run.Start) -> None:
    assert result.out["warm"] and not result.out["failed"], result.out
    assert {n: result.out["sources"][n] for n in engine_run.WARM} == dict.fromkeys(
        engine_run.WARM, "warm-cache"
    )


@pytest.fixture
def mods(tmp_path: Path) -> Path:
    return engine_run.write_modules(tmp_path / "engine-mods")


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_damage_matrix_cache(kind: str, mods: Path, sloppy_home: Path) -> None:
    first = engine_run.start(mods)
    assert first.out["warm"] and _cache(sloppy_home).is_file()
    apply_damage(_cache(sloppy_home), kind)
    damaged = engine_run.start(mods)
    # Still warm, with the right code, and only the bad file set aside, with one line.
    assert damaged.out["warm"] and not damaged.out["failed"], damaged.stderr[-2000:]
    assert damaged.out["values"] == _expected_values()
    assert len(_aside(sloppy_home)) == 1, damaged.log
    assert len(damaged.warnings()) == 1, damaged.log
    assert "warm_cache.bin" in damaged.warnings()[0]
    assert "Traceback" not in damaged.stderr
    # Rebuilt: the next start is served from a good cache again.
    _assert_all_served(engine_run.start(mods))


def _replace_once(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, new))


@pytest.mark.parametrize("shift", [-24, -9, -3, 5])
def test_flipped_byte_inside_an_entry_is_never_executed(
    shift: int, mods: Path, sloppy_home: Path
) -> None:
    engine_run.start(mods)
    path = _cache(sloppy_home)
    data = bytearray(path.read_bytes())
    at = data.index(b"model-aaaa-default") + shift  # inside wcmod_a's marshalled code
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    second = engine_run.start(mods)
    assert second.out["warm"] and not second.out["failed"], second.stderr[-2000:]
    assert second.out["values"]["wcmod_a"] == "model-aaaa-default"
    assert second.out["sources"]["wcmod_a"] == "filesystem"  # the normal loader took it
    assert second.out["sources"]["wcmod_b"] == "warm-cache"  # the rest still served
    assert len(_aside(sloppy_home)) == 1  # set aside at exit, then rebuilt
    _assert_all_served(engine_run.start(mods))


def test_replaced_string_constant_is_detected(mods: Path, sloppy_home: Path) -> None:
    engine_run.start(mods)
    _replace_once(_cache(sloppy_home), b"model-aaaa-default", b"model-bbbb-default")
    second = engine_run.start(mods)
    assert second.out["values"]["wcmod_a"] == "model-aaaa-default"
    assert second.out["sources"]["wcmod_a"] == "filesystem"
    assert len(_aside(sloppy_home)) == 1
    assert len(second.warnings()) == 1
    third = engine_run.start(mods)
    _assert_all_served(third)
    assert third.out["values"]["wcmod_a"] == "model-aaaa-default"


def test_damaged_index_is_set_aside_at_open(mods: Path, sloppy_home: Path) -> None:
    engine_run.start(mods)
    path = _cache(sloppy_home)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01  # the index is last
    path.write_bytes(bytes(data))
    second = engine_run.start(mods)
    assert second.out["status"] == "corrupt"
    assert second.out["values"] == _expected_values()
    assert len(_aside(sloppy_home)) == 1


def test_sys_path_change_invalidates(mods: Path, sloppy_home: Path, tmp_path: Path) -> None:
    engine_run.start(mods)
    _assert_all_served(engine_run.start(mods))
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "wcmod_a.py").write_text("VALUE = 'shadow'\n")
    shadowed = engine_run.start(mods, env={"PYTHONPATH": str(shadow)})
    assert shadowed.out["status"] == "stale"
    assert shadowed.out["values"]["wcmod_a"] == "shadow"
    assert shadowed.out["sources"]["wcmod_a"] == "filesystem"
    assert not _aside(sloppy_home)  # stale is replaced, not set aside
    # Built under the new path, it serves the shadowing copy; the old path gets its own.
    again = engine_run.start(mods, env={"PYTHONPATH": str(shadow)})
    assert again.out["values"]["wcmod_a"] == "shadow"
    assert again.out["sources"]["wcmod_a"] == "warm-cache"
    back = engine_run.start(mods)
    assert back.out["values"]["wcmod_a"] == "model-aaaa-default"


def test_cache_never_shrinks(mods: Path, sloppy_home: Path) -> None:
    # No cache at start: warm-done writes the warm modules, a later load adds one at exit.
    first = engine_run.start(mods, after=["wcmod_late"])
    assert first.out["values"]["wcmod_late"] == "late"
    second = engine_run.start(mods, after=["wcmod_late"])
    _assert_all_served(second)
    assert second.out["sources"]["wcmod_late"] == "warm-cache"
    # A session that serves everything and loads one new module keeps all the rest.
    (mods / "wcmod_new.py").write_text("VALUE = 'new'\n")
    engine_run.start(mods, after=["wcmod_late", "wcmod_new"])
    third = engine_run.start(mods, after=["wcmod_late", "wcmod_new"])
    _assert_all_served(third)
    assert third.out["sources"]["wcmod_late"] == "warm-cache"
    assert third.out["sources"]["wcmod_new"] == "warm-cache"


HOLD_BUILD = textwrap.dedent("""
    import importlib, sys, threading, time
    sys.path.append({mods!r})
    from sloppy.warm import import_recorder, cache
    wc = cache.install()
    import_recorder.install(execute=wc.execute)
    t = threading.Thread(target=importlib.import_module, args=("wcmod_b",)); t.start(); t.join()
    print("building", flush=True)
    time.sleep(120)
""")


def _temps(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "cache").glob(".*.tmp"))


def test_one_build_temp_at_a_time_and_stale_ones_removed(mods: Path, sloppy_home: Path) -> None:
    live = subprocess.Popen(
        [sys.executable, "-c", HOLD_BUILD.format(mods=str(mods))],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert live.stdout is not None and live.stdout.readline().strip() == "building"
        assert len(_temps(sloppy_home)) == 1
        # A second instance meanwhile: it neither removes the live temp nor adds its own.
        second = engine_run.start(mods)
        assert second.out["warm"] and not second.out["failed"]
        assert len(_temps(sloppy_home)) == 1
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait()
    assert len(_temps(sloppy_home)) == 1  # what a killed run leaves
    engine_run.start(mods)
    assert _temps(sloppy_home) == []
    _assert_all_served(engine_run.start(mods))


def test_older_temp_files_removed_only_when_stale(mods: Path, sloppy_home: Path) -> None:
    cache_dir = sloppy_home / "cache"
    cache_dir.mkdir(parents=True)
    old = [".warm_cache.k2j3h4.tmp", ".import_profile.json.a8d7f6.tmp"]
    fresh = [".warm_cache.zz9y8x.tmp", ".import_profile.json.q1w2e3.tmp"]
    foreign = ["notes.tmp", ".settings.json.a8d7f6.tmp"]
    for name in old + fresh + foreign:
        (cache_dir / name).write_bytes(b"x" * 100)
    for name in old + foreign:
        os.utime(cache_dir / name, (1_000_000, 1_000_000))
    engine_run.start(mods)
    left = {p.name for p in cache_dir.iterdir()}
    assert not left & set(old)
    assert set(fresh + foreign) <= left


def test_unknown_switch_value_warns_once_and_means_off(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sloppy.warm import cache

    monkeypatch.setattr(cache, "_warned_value", False)
    monkeypatch.setenv("SLOPPY_WARM_CACHE", "maybe")
    with caplog.at_level(logging.WARNING):
        assert cache.enabled() is False
        assert cache.enabled() is False
    assert len(caplog.records) == 1 and "maybe" in caplog.records[0].getMessage()
    for value in ("on", "", "1", "TRUE"):
        monkeypatch.setenv("SLOPPY_WARM_CACHE", value)
        assert cache.enabled() is True
    for value in ("off", "0", "No"):
        monkeypatch.setenv("SLOPPY_WARM_CACHE", value)
        assert cache.enabled() is False


def test_unknown_switch_value_starts_without_a_cache(mods: Path, sloppy_home: Path) -> None:
    result = engine_run.start(mods, env={"SLOPPY_WARM_CACHE": "yes-please"})
    assert result.out["status"] is None and result.out["warm"]
    assert len(result.warnings("SLOPPY_WARM_CACHE")) == 1
    assert not _cache(sloppy_home).exists()


# -- disk errors ------------------------------------------------------------------------------


class _FullDisk:
    """A capture file whose writes fail after ``room`` bytes, like a filling disk."""

    def __init__(self, inner: Any, room: int) -> None:
        self._inner, self._room = inner, room

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._inner, attr)

    def write(self, data: bytes) -> int:
        self._room -= len(data)
        if self._room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._inner.write(data)


def _load(path: Path, name: str, cache: Any) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    cache.execute(spec.loader, module)
    return module


@pytest.mark.parametrize("room", [0, 200, 10_000])
def test_write_errors_never_reach_the_import(
    room: int,
    mods: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from sloppy.store import paths
    from sloppy.warm import cache

    monkeypatch.setattr(paths, "_warned", set())
    wc = cache.WarmCache(tmp_path / "c" / "warm_cache.bin")
    start_capture = cache.WarmCache._start_capture

    def filling(self: Any) -> bool:
        ok = start_capture(self)
        if ok and room < 10_000:
            self._capture = _FullDisk(self._capture, room)
        return ok

    monkeypatch.setattr(cache.WarmCache, "_start_capture", filling)
    if room == 10_000:  # the capture fits; the disk fills at the final flush
        monkeypatch.setattr(cache.os, "fsync", _raise_enospc)
    with caplog.at_level(logging.WARNING):
        a = _load(mods / "wcmod_a.py", "wc_full_a", wc)
        b = _load(mods / "wcmod_b.py", "wc_full_b", wc)
        assert wc.save() is False
        assert wc.save() is False
    assert a.VALUE == "model-aaaa-default" and b.VALUE == "b"
    assert len(caplog.records) == 1, caplog.records
    assert "No space left" in caplog.records[0].getMessage()
    assert not (tmp_path / "c" / "warm_cache.bin").exists()
    assert _temps_in(tmp_path / "c") == []


def _raise_enospc(*_a: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _temps_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob(".*.tmp"))


@contextlib.contextmanager
def _full_tmpfs(tmp_path: Path):
    mount = tmp_path / "full"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"mount not permitted: {proc.stderr.decode(errors='replace').strip()}")
    try:
        with contextlib.suppress(OSError), (mount / "filler").open("wb") as fh:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_runs_fully_and_says_once(mods: Path, tmp_path: Path) -> None:
    with _full_tmpfs(tmp_path) as home:
        env = {"SLOPPY_HOME": str(home)}
        for _ in range(2):
            result = engine_run.start(mods, env=env)
            assert result.out["warm"] and not result.out["failed"], result.stderr[-2000:]
            assert result.out["values"] == _expected_values()
            assert "Traceback" not in result.stderr
            warnings = result.warnings()
            assert len(warnings) == 1 and "No space left" in warnings[0], warnings
            assert _temps_in(home / "cache") == []


@pytest.mark.slow
def test_full_disk_app_start_warms_every_sdk(tmp_path: Path) -> None:
    """The issue's case: the real headless app on a full disk, twice (build, then no cache)."""
    from tests.support.live import SLOPPY

    report = tmp_path / "report.json"
    with _full_tmpfs(tmp_path) as home:
        for _ in range(2):
            proc = subprocess.run(
                [SLOPPY, "--headless", "--exit-when-warm", "--startup-report", str(report)],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
                env={**os.environ, "SLOPPY_HOME": str(home)},
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            warmup = json.loads(report.read_text())["warmup"]
            assert warmup["done"] and warmup["failed"] == [], warmup
            cache_lines = [ln for ln in proc.stderr.splitlines() if str(home / "cache") in ln]
            assert len(cache_lines) == 1 and "No space left" in cache_lines[0], proc.stderr
            assert _temps_in(home / "cache") == []


def test_key_follows_the_search_path_but_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sloppy.warm import cache_format

    extra, work = tmp_path / "extra", tmp_path / "work"
    extra.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", ["", str(extra), *sys.path])
    before = cache_format.cache_key()
    (work / "scratch.txt").write_text("the working directory changes all the time")
    os.utime(work, ns=(10**9, 10**9))
    assert cache_format.cache_key() == before
    (extra / "openai.py").write_text("VALUE = 'shadow'\n")  # a new module on the path
    os.utime(extra, ns=(2 * 10**9, 2 * 10**9))
    assert cache_format.cache_key() != before
    shorter = cache_format.cache_key()
    monkeypatch.setattr(sys, "path", sys.path[1:])
    assert cache_format.cache_key() != shorter


def _flip_positions() -> list[tuple[str, float]]:
    """Where to flip one byte: each header field, the key, the code area, the index."""
    fields = [("magic", 0), ("format", 8), ("index offset", 12), ("index length", 20)]
    fields += [("key length", 28), ("header crc", 32), ("key", 40)]
    spread = [("code", f) for f in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8)]
    return [*fields, *spread, ("index", -3.0), ("index", -200.0)]


@pytest.mark.parametrize(("where", "at"), _flip_positions(), ids=str)
def test_any_flipped_byte_is_detected_never_served(
    where: str, at: float, mods: Path, sloppy_home: Path
) -> None:
    from sloppy.warm import cache_format

    engine_run.start(mods)
    path = _cache(sloppy_home)
    data = bytearray(path.read_bytes())
    _, _, index_offset, _, key_len, _ = cache_format.HEADER.unpack_from(data, 0)
    if where == "code":
        start = cache_format.HEADER.size + key_len
        pos = start + int((index_offset - start) * at)
    elif where == "index":
        pos = len(data) + int(at)
    else:
        pos = int(at)
    data[pos] ^= 0x5A
    path.write_bytes(bytes(data))
    second = engine_run.start(mods)
    assert second.out["warm"] and not second.out["failed"], second.stderr[-2000:]
    assert second.out["values"] == _expected_values()
    assert "Traceback" not in second.stderr
    assert len(_aside(sloppy_home)) == 1, (where, pos, second.log)
    _assert_all_served(engine_run.start(mods))


DEFERRED_CHILD = textwrap.dedent("""
    import importlib, json, sys
    sys.path.insert(0, {mods!r})
    from sloppy.warm import import_recorder, cache
    wc = cache.install(deferred=True)
    rec = import_recorder.install(execute=wc.execute)
    importlib.import_module("wcpkg")
    out = {{"before": wc.status, "source": rec.source_of("wcpkg")}}
    wc.validate()
    out["after"] = wc.status
    del sys.modules["wcpkg.leaf"]
    importlib.import_module("wcpkg.leaf")
    out["leaf"] = rec.source_of("wcpkg.leaf")
    out["saved"] = wc.save()
    print(json.dumps(out))
""")


def test_a_deferred_cache_opens_on_validate_and_never_shrinks(
    pkg_dir: Path, sloppy_home: Path
) -> None:
    child(pkg_dir)  # builds the cache
    out = json.loads(run_python(DEFERRED_CHILD.format(mods=str(pkg_dir))).strip().splitlines()[-1])
    # Before validate (the lane), imports pass through to the normal finders, uncaptured.
    assert out["before"] == "unopened" and out["source"] == "filesystem"
    assert out["after"].startswith("loaded") and out["leaf"] == "warm-cache"
    assert out["saved"] is False
    assert child(pkg_dir)["sources"] == {"wcpkg": "warm-cache", "wcpkg.leaf": "warm-cache"}


RELEASE_CHILD = textwrap.dedent("""
    import importlib, json, sys
    sys.path.insert(0, {mods!r})
    from sloppy.warm import import_recorder, cache
    wc = cache.install()
    rec = import_recorder.install(execute=wc.execute)

    def resident_kb():
        lines, inside = [], False
        for line in open("/proc/self/smaps"):
            if line[0] in "0123456789abcdef" and "-" in line.split()[0]:
                inside = line.rstrip().endswith("warm_cache.bin")
            elif inside and line.startswith("Rss:"):
                lines.append(int(line.split()[1]))
        return sum(lines)

    importlib.import_module("wcpkg")
    out = {{"before": resident_kb()}}
    wc.release()
    out["after"] = resident_kb()
    del sys.modules["wcpkg.leaf"]
    importlib.import_module("wcpkg.leaf")
    out["leaf"] = rec.source_of("wcpkg.leaf")
    out["value"] = sys.modules["wcpkg"].VALUE
    print(json.dumps(out))
""")


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs /proc/self/smaps")
def test_released_pages_leave_the_rss_and_entries_are_still_served(
    pkg_dir: Path, sloppy_home: Path
) -> None:
    child(pkg_dir)  # builds the cache
    out = json.loads(run_python(RELEASE_CHILD.format(mods=str(pkg_dir))).strip().splitlines()[-1])
    assert out["before"] > 0 and out["after"] == 0
    assert out["leaf"] == "warm-cache" and out["value"] == "pkg"


def test_first_frame_needs_the_cache_only_without_current_pyc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sloppy.warm import cache

    monkeypatch.setattr(cache, "_compiled_here", lambda: True)
    assert cache.first_frame_needs_it() is False
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert cache.first_frame_needs_it() is True
    monkeypatch.delattr(sys, "frozen")
    monkeypatch.setattr(cache, "_compiled_here", lambda: False)
    assert cache.first_frame_needs_it() is True
