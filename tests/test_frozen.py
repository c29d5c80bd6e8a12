"""The PyInstaller bundle: build, training run, smoke tests headless and GUI, reproducibility.

The bundle is built once per session (about a minute and a half here); set
SLOPPY_TEST_BUNDLE=DIR to test an existing ``DIR/sloppy`` bundle instead.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sloppy import import_profile, warm_planner
from sloppy.paths import BUNDLE
from sloppy.warm_list import warm_modules
from tests.live import Proc
from tests.purity import check, profile_loads
from tests.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.frozen]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    from sloppy_build import BuildResult, archive, build

    existing = os.environ.get("SLOPPY_TEST_BUNDLE")
    if existing:
        bundle = BUNDLE.root(Path(existing))
        return BuildResult(bundle, 0.0, 0, archive.content_hash(bundle), {})
    dist = tmp_path_factory.mktemp("dist")
    result = build(dist, work=tmp_path_factory.mktemp("pyi-work"))
    print("\n" + result.summary())
    return result


def run_bundle(bundle: Path, home: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    report = home / f"report-{time.monotonic_ns()}.json"
    proc = Proc(
        [*args, "--exit-when-warm", "--startup-report", str(report)],
        {"SLOPPY_HOME": str(home), **(env or {})},
        cmd=[str(BUNDLE.exe(bundle))],
    )
    try:
        assert proc.popen.wait(180) == 0, "".join(proc.stderr)[-3000:]
    finally:
        proc.kill()
    return json.loads(report.read_text())


def check_purity(home: Path, expected: list[str]) -> None:
    """The purity check on the bundle's own load record (a bundle ignores PYTHONPATH, so the
    shim cannot ride along): the newest run in the saved import profile."""
    runs = import_profile.ProfileStore(home / "cache" / import_profile.FILENAME).runs()
    check(profile_loads(runs[-1]), expected)


def test_build_trains_and_verifies(built) -> None:
    if built.checks:  # a fresh build ran every stage
        assert built.checks["training run"].startswith("ok")
        assert built.checks["headless"].startswith("ok")
        assert built.checks["--version"].startswith("sloppy ")
    assert len(built.content_hash) == 64
    build_id = BUNDLE.inside(built.bundle, BUNDLE.build_id)
    assert build_id.read_text().strip() == built.content_hash


def test_headless_smoke_archive_then_warm_cache(built, tmp_path: Path) -> None:
    heavy = warm_modules(hooks=True)
    first = run_bundle(
        built.bundle, tmp_path, "--headless", "--enable-test-hooks", "--hook-port", "0"
    )
    assert first["frozen"] is True and first["warmup"]["failed"] == []
    check_purity(tmp_path, heavy)
    sources = {m["name"]: m["source"] for m in first["modules"]}
    assert all(sources[m] in ("archive", "warm-cache") for m in heavy), sources
    assert (tmp_path / "cache" / "warm_cache.bin").is_file()
    second = run_bundle(
        built.bundle, tmp_path, "--headless", "--enable-test-hooks", "--hook-port", "0"
    )
    sources = {m["name"]: m["source"] for m in second["modules"]}
    assert [m for m in heavy if sources[m] != "warm-cache"] == []


def test_flipped_cache_byte_falls_back_to_the_archive_and_rebuilds(built, tmp_path: Path) -> None:
    from tests.damage import apply_damage

    heavy = warm_modules(hooks=False)
    run_bundle(built.bundle, tmp_path, "--headless")
    cache = tmp_path / "cache" / "warm_cache.bin"
    apply_damage(cache, "flipped")
    damaged = run_bundle(built.bundle, tmp_path, "--headless")
    assert damaged["warmup"]["failed"] == [] and damaged["warmup"]["done"]
    assert len(list(cache.parent.glob("warm_cache.bin.bad-*"))) == 1
    again = run_bundle(built.bundle, tmp_path, "--headless")
    sources = {m["name"]: m["source"] for m in again["modules"]}
    assert [m for m in heavy if sources[m] != "warm-cache"] == []


def test_first_launch_uses_the_baked_plan(built, tmp_path: Path) -> None:
    baked = json.loads(BUNDLE.inside(built.bundle, BUNDLE.baked_profile).read_text())
    modules = warm_modules(hooks=True)
    expected = warm_planner.plan(modules, baked["runs"])
    assert expected != modules  # the training run taught it something
    r = run_bundle(
        built.bundle,
        tmp_path,
        "--headless",
        "--enable-test-hooks",
        "--hook-port",
        "0",
        env={"SLOPPY_WARM_CACHE": "off"},
    )
    assert r["warmup"]["order"] == expected


@pytest.mark.gui
def test_frozen_gui_presents_a_first_frame(built, tmp_path: Path) -> None:
    display = Display()
    try:
        r = run_bundle(built.bundle, tmp_path, env=display.env())
    finally:
        display.close()
    assert r["mode"] == "gui" and r["frozen"] is True
    assert r["process_start_epoch"] < r["first_frame_epoch"] < r["warm_done_epoch"]
    assert r["warmup"]["failed"] == []
    check_purity(tmp_path, warm_modules(hooks=False))


def test_two_builds_have_the_same_content_hash(built, tmp_path: Path) -> None:
    if os.environ.get("SLOPPY_TEST_BUNDLE"):
        pytest.skip("reproducibility needs two fresh builds")
    from sloppy_build import archive, stage1_pyinstaller

    again = stage1_pyinstaller.run(tmp_path / "dist", work=tmp_path / "work")
    assert archive.content_hash(again) == built.content_hash


def test_bundle_keys_in_the_keychain(
    built, stub, sloppy_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the bundle: paste a key, test, pick a model, send, restart signed in, remove."""
    from tests.test_gui_keys import frozen_backend, key_flow

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)  # keyringrc.cfg picks it
    backend, stored = frozen_backend(tmp_path)
    key_flow(stub, sloppy_home, tmp_path, backend, stored, cmd=[str(BUNDLE.exe(built.bundle))])
