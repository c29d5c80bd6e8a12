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
from sloppy.warm_list import warm_modules
from tests.live import Proc
from tests.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.frozen]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    from sloppy_build import BuildResult, archive, build

    existing = os.environ.get("SLOPPY_TEST_BUNDLE")
    if existing:
        bundle = Path(existing) / "sloppy"
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
        cmd=[str(bundle / "sloppy")],
    )
    try:
        assert proc.popen.wait(180) == 0, "".join(proc.stderr)[-3000:]
    finally:
        proc.kill()
    return json.loads(report.read_text())


def test_build_trains_and_verifies(built) -> None:
    if built.checks:  # a fresh build ran every stage
        assert built.checks["training run"].startswith("ok")
        assert built.checks["headless"].startswith("ok")
        assert built.checks["--version"].startswith("sloppy ")
    assert len(built.content_hash) == 64
    internal = built.bundle / "_internal" / "sloppy"
    assert (internal / "build_id.txt").read_text().strip() == built.content_hash


def test_headless_smoke_archive_then_warm_cache(built, tmp_path: Path) -> None:
    heavy = warm_modules(hooks=True)
    first = run_bundle(
        built.bundle, tmp_path, "--headless", "--enable-test-hooks", "--hook-port", "0"
    )
    assert first["frozen"] is True and first["warmup"]["failed"] == []
    sources = {m["name"]: m["source"] for m in first["modules"]}
    assert all(sources[m] in ("archive", "warm-cache") for m in heavy), sources
    assert (tmp_path / "cache" / "warm_cache.bin").is_file()
    second = run_bundle(
        built.bundle, tmp_path, "--headless", "--enable-test-hooks", "--hook-port", "0"
    )
    sources = {m["name"]: m["source"] for m in second["modules"]}
    assert [m for m in heavy if sources[m] != "warm-cache"] == []


def test_first_launch_uses_the_baked_plan(built, tmp_path: Path) -> None:
    baked = json.loads(
        (built.bundle / "_internal" / "sloppy" / import_profile.BAKED_FILENAME).read_text()
    )
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


def test_two_builds_have_the_same_content_hash(built, tmp_path: Path) -> None:
    if os.environ.get("SLOPPY_TEST_BUNDLE"):
        pytest.skip("reproducibility needs two fresh builds")
    from sloppy_build import archive, stage1_pyinstaller

    again = stage1_pyinstaller.run(tmp_path / "dist", work=tmp_path / "work")
    assert archive.content_hash(again) == built.content_hash


def test_bench_compare_runs_a_bundle_against_itself(built, tmp_path: Path) -> None:
    """``sloppy bench compare DIST DIST``: timed metrics only (a frozen child has no shim)."""
    from sloppy_build.bench import Options, compare

    opts = Options(mode="headless", runs=4, cachegrind=False, log=lambda _m: None)
    result = compare(str(built.bundle), str(built.bundle), opts)
    assert result["base"]["kind"] == "bundle" and result["exit_code"] == 0
    assert set(result["metrics"]) == {"warm_done_s", "peak_rss_mib", "cpu_s"}
    assert result["runs"] == {"base": 4, "head": 4}
