"""Frames while warming, seen from outside: none while nothing changes, one at once per input.

A warm module that sleeps holds the lane still for a few seconds; the mouse moves every
quarter second meanwhile (XTest, as xdotool does). The startup report says which frames saw
each move (``input_frames``) and when every frame was presented (``frame_times_ms``).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from sloppy_build.bench import input_latency

from sloppy.ui.frame_cap import WARM_IDLE_FPS
from tests.support.live import Proc
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]
SLEEP_S = 5.0


def test_idle_while_the_lane_sleeps_and_a_frame_for_each_move(
    display: Display, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "sloppy_slow_warm.py").write_text(f"import time\ntime.sleep({SLEEP_S})\n")
    report_path = tmp_path / "report.json"
    env = {
        **display.env(),
        "PYTHONPATH": str(mods),
        "SLOPPY_WARM_EXTRA": "sloppy_slow_warm",
        "SLOPPY_HOME": str(tmp_path / "home"),
    }
    monkeypatch.setattr(input_latency, "INTERVAL_S", (0.25, 0.25))
    driver = input_latency.Driver(display.name)
    proc = Proc(["--exit-when-warm", "--startup-report", str(report_path)], env)
    driver.start()
    try:
        assert proc.popen.wait(180) == 0, "".join(proc.stderr)[-2000:]
    finally:
        sends = driver.stop()
        proc.kill()
    r = json.loads(report_path.read_text())
    (slow,) = [m for m in r["modules"] if m["name"] == "sloppy_slow_warm"]
    # One second in and out of the span: the frames around the lane's neighbours are theirs.
    lo, hi = slow["start_epoch"] + 1.0, slow["start_epoch"] + slow["duration_s"] - 0.5
    swaps = [r["first_frame_epoch"]]
    swaps += [r["first_frame_epoch"] + t / 1000 for t in itertools.accumulate(r["frame_times_ms"])]
    frames = [t for t in swaps if lo <= t <= hi]
    seen = [f for f in r["input_frames"] if lo <= f["epoch"] <= hi]
    moved = [s for s in sends if lo <= s.epoch <= hi - 0.3]
    assert len(moved) >= 8, sends
    # Moves get frames of their own (idling alone would show at most WARM_IDLE_FPS of them a
    # second, half the moves); a loaded machine may fold two moves into one slow frame.
    assert len(seen) >= 0.6 * len(moved), (len(seen), len(moved))
    # And nothing else drew: at most the idle rate besides the frames that showed a move.
    idle_frames = len(frames) - len(seen)
    assert idle_frames <= (hi - lo) * WARM_IDLE_FPS + 2, (len(frames), len(seen), hi - lo)
    latency, unanswered = input_latency.latencies(r, sends)
    assert unanswered == 0 and len(latency) >= len(moved)
