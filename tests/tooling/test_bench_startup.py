"""The start-up benchmark's own logic: input latency from a report, ratios, .pyc counts, SVG."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sloppy_build.bench import input_latency, runner, startup
from sloppy_build.bench.input_latency import Send


def frame(x: float, y: float, epoch: float) -> dict[str, object]:
    return {"mouse": [x, y], "epoch": epoch}


def test_latency_is_send_to_the_first_frame_showing_that_position_or_a_later_one() -> None:
    # The window sits at (10, 20) on the screen: ImGui reports window coordinates.
    sends = [Send(100.00, 110, 220), Send(100.10, 300, 400), Send(100.20, 500, 600)]
    report = {
        "first_frame_epoch": 99.9,
        "warm_done_epoch": 101.0,
        "input_frames": [
            frame(100, 200, 100.02),  # the first move, 20 ms later
            frame(490, 580, 100.26),  # the second was never drawn: the third shows, 60 ms
        ],
    }
    lat, unanswered = input_latency.latencies(report, sends)
    assert [round(v) for v in lat] == [20, 160, 60] and unanswered == 0


def test_moves_outside_first_frame_to_warm_done_are_not_counted_and_missed_ones_are() -> None:
    sends = [Send(99.0, 50, 50), Send(100.1, 60, 60), Send(100.2, 70, 70), Send(102.0, 80, 80)]
    report = {
        "first_frame_epoch": 100.0,
        "warm_done_epoch": 101.0,
        "input_frames": [frame(50, 50, 100.0), frame(60, 60, 100.13)],
    }
    lat, unanswered = input_latency.latencies(report, sends)
    assert [round(v) for v in lat] == [30] and unanswered == 1
    metrics = input_latency.metrics(report, sends, runner.percentile)
    assert round(metrics["input_latency_max_ms"] or 0) == 30


def test_a_report_without_input_frames_has_no_latency() -> None:
    """Older trees write no ``input_frames``: the metrics are absent, not zero."""
    report = {"first_frame_epoch": 1.0, "warm_done_epoch": 2.0}
    assert input_latency.metrics(report, [Send(1.5, 1, 1)], runner.percentile) == {
        "input_latency_p99_ms": None,
        "input_latency_max_ms": None,
    }


def test_positions_never_repeat() -> None:
    gen = input_latency.positions(seed=3)
    seen = [next(gen) for _ in range(2000)]
    assert len(set(seen)) == len(seen)


def test_pinned_uses_taskset_only_when_asked() -> None:
    assert startup.pinned(["x"], 0) == ["x"]
    if shutil.which("taskset") is None:
        pytest.skip("no taskset")
    assert startup.pinned(["x", "-y"], 1) == ["taskset", "-c", "0-0", "x", "-y"]


def test_count_pyc_counts_modules_with_a_current_bytecode_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 2\n")
    assert startup.count_pyc([tmp_path]) == (0, 2)
    startup.compileall.compile_file(str(tmp_path / "a.py"), quiet=2)
    assert startup.count_pyc([tmp_path]) == (1, 2)


def test_the_waterfall_escapes_module_names() -> None:
    report = {
        "process_start_epoch": 0.0,
        "mode": "gui",
        "first_frame_epoch": 0.2,
        "warm_done_epoch": 1.0,
        "phases": [],
        "modules": [
            {"name": "a<b&c", "source": "x", "thread": "t", "start_epoch": 0.3, "duration_s": 0.1}
        ],
    }
    out = startup.waterfall_svg(report)
    assert "a&lt;b&amp;c" in out and "a<b" not in out


def test_summary_ratios_compare_like_with_like() -> None:
    def s(ff: float, warm: float | None = None, chat: float | None = None) -> startup.Sample:
        return startup.Sample(
            ff, None, chat, warm, None, None, None, None, None, None, None, 100.0, 1.0, 0.0
        )

    summary = startup.summarize(
        {
            "floor-nomsaa": [s(0.2)],
            "eager-nomsaa": [s(2.0)],
            "sloppy": [s(0.21, 1.6, 0.8)],
            "floor-nomsaa+load": [s(0.3)],
            "eager-nomsaa+load": [s(2.0)],
            "sloppy+load": [s(0.3, 2.0)],
        },
        "floor-nomsaa",
        "eager-nomsaa",
    )
    assert summary["sloppy"]["first_frame_ratio"] == pytest.approx(1.05)
    assert summary["sloppy"]["warm_x_eager_ff"] == pytest.approx(0.8)
    assert summary["sloppy"]["chat_x_eager_ff"] == pytest.approx(0.4)
    assert summary["sloppy+load"]["first_frame_ratio"] == pytest.approx(1.0)
    assert summary["sloppy+load"]["warm_x_unloaded"] == pytest.approx(1.25)
