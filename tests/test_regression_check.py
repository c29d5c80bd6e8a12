"""The regression check: its comparison logic, and a quick real run against the baseline."""

from __future__ import annotations

import runpy

import pytest

from tests.conftest import ROOT, run_script

# A script, not a package module: load its functions by path (run_name keeps main() idle).
_script = runpy.run_path(str(ROOT / "scripts" / "check_regression.py"), run_name="check")
TOLERANCE, compare = _script["TOLERANCE"], _script["compare"]

BASE = {
    "tolerance": TOLERANCE,
    "ratios": {"sloppy": {"first_frame_ratio": 1.0, "warm_done_ratio": 6.0}},
}


def test_within_tolerance_passes() -> None:
    summary = {"sloppy": {"first_frame_ratio": 1.25, "warm_done_ratio": 9.0}}
    assert compare(BASE, summary) == []


def test_heavy_import_on_the_first_frame_is_caught() -> None:
    summary = {"sloppy": {"first_frame_ratio": 4.6, "warm_done_ratio": 6.1}}
    (problem,) = compare(BASE, summary)
    assert problem.startswith("sloppy first_frame_ratio: 4.60 > 1.30")


def test_missing_measurements_are_failures() -> None:
    assert compare(BASE, {}) == ["sloppy: not measured"]
    assert compare(BASE, {"sloppy": {"first_frame_ratio": 1.0}}) == [
        "sloppy warm_done_ratio: not measured"
    ]


@pytest.mark.slow
@pytest.mark.gui
def test_quick_regression_run_against_the_committed_baseline() -> None:
    out = run_script("scripts/check_regression.py", "--runs", "3", timeout=600)
    assert "no regression" in out
