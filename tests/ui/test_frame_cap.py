"""Frames: idling (`pace_idling`), and the warming cap: 50 fps on a free machine, fewer when
other processes use a core."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from imgui_bundle import hello_imgui

from sloppy.ui import frame_cap
from sloppy.ui.frame_cap import BUSY_FPS, FREE_FPS, SAMPLE_S, FrameCap
from tests.support.modules import ModuleFactory
from tests.support.warmed import warmed


class Machine:
    """CPU counters advanced by hand: ``run(seconds, others=cores, own=cores)``."""

    def __init__(self) -> None:
        self.busy = 1000.0
        self.own = 10.0
        self.available = True

    def run(self, seconds: float, *, others: float, own: float) -> None:
        self.busy += (others + own) * seconds
        self.own += own * seconds

    def counters(self) -> tuple[float, float] | None:
        return (self.busy, self.own) if self.available else None


def test_free_machine_keeps_the_free_rate() -> None:
    m = Machine()
    cap = FrameCap(counters=m.counters)
    t = 0.0
    for _ in range(8):
        assert cap.fps(t) == FREE_FPS
        m.run(SAMPLE_S, others=0.1, own=1.6)  # Xvfb and a busy app of our own: not "busy"
        t += SAMPLE_S
    assert cap.fps(t) == FREE_FPS


def test_a_hog_lowers_the_rate_and_its_end_restores_it(caplog: pytest.LogCaptureFixture) -> None:
    m = Machine()
    cap = FrameCap(counters=m.counters)
    caplog.set_level(logging.INFO, logger=frame_cap.__name__)
    assert cap.fps(0.0) == FREE_FPS  # the first sample has nothing to compare with
    m.run(SAMPLE_S, others=1.0, own=1.0)
    assert cap.fps(SAMPLE_S) == BUSY_FPS
    # Between samples the decision holds, whatever the counters do.
    m.run(0.1, others=0.0, own=1.0)
    assert cap.fps(SAMPLE_S + 0.1) == BUSY_FPS
    m.run(SAMPLE_S, others=0.0, own=1.0)
    assert cap.fps(2 * SAMPLE_S + 0.1) == FREE_FPS
    assert [r.getMessage() for r in caplog.records] == [
        f"other processes use 1.0 cores: {BUSY_FPS:g} fps while warming",
        f"other processes use 0.0 cores: {FREE_FPS:g} fps while warming",
    ]


def test_no_counters_means_the_free_rate_and_few_reads() -> None:
    m = Machine()
    m.available = False
    reads = []

    def counters() -> tuple[float, float] | None:
        reads.append(1)
        return m.counters()

    cap = FrameCap(counters=counters)
    m.run(SAMPLE_S, others=2.0, own=0.0)
    assert all(cap.fps(i * 0.01) == FREE_FPS for i in range(60))  # 60 frames in 0.6 s
    assert len(reads) == 3  # once per SAMPLE_S, not once per frame


def test_proc_counters_refuses_a_short_or_foreign_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = open

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if path == "/proc/stat":
            return real_open(tmp_path / "stat", *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    for line in (b"cpu 1 2 3 4 5 6 7\n", b"cpu a b c d e f g h\n", b"intr 1 2 3 4 5 6 7 8\n"):
        (tmp_path / "stat").write_bytes(line)
        assert frame_cap.proc_counters() is None
    (tmp_path / "stat").write_bytes(b"cpu 100 0 50 1000 5 0 0 0 0 0\n")
    counters = frame_cap.proc_counters()
    assert counters is not None
    assert counters[0] == 150 / os.sysconf("SC_CLK_TCK")  # user + system; idle, iowait not busy


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_proc_counters_reads_this_machine() -> None:
    first = frame_cap.proc_counters()
    assert first is not None
    sum(i * i for i in range(1_000_000))  # some CPU of our own
    second = frame_cap.proc_counters()
    assert second is not None
    busy, own = second
    assert own > first[1]
    tick = 1 / os.sysconf("SC_CLK_TCK")
    assert busy - first[0] >= (own - first[1]) - 2 * tick  # the machine's busy time includes ours


@pytest.mark.parametrize(
    ("warming", "busy", "fading", "effects", "want"),
    [
        # Warming: idle unless a reply streams; a fading toast or NERV's beam ask no more.
        (True, False, True, True, (True, frame_cap.WARM_IDLE_FPS, 0.0, 40.0)),
        (True, True, False, False, (False, frame_cap.WARM_IDLE_FPS, 0.0, 40.0)),
        # Warm: hello_imgui's own idling, uncapped; a fading toast keeps drawing.
        (False, False, False, False, (True, frame_cap.IDLE_FPS, frame_cap.ACTIVE_AFTER_EVENT_S, 0)),
        (False, False, True, False, (False, frame_cap.IDLE_FPS, frame_cap.ACTIVE_AFTER_EVENT_S, 0)),
        (False, False, False, True, (True, frame_cap.IDLE_FPS_EFFECTS, 3.0, 0.0)),
    ],
)
def test_pace_idling(
    warming: bool, busy: bool, fading: bool, effects: bool, want: tuple[Any, ...]
) -> None:
    idling = hello_imgui.FpsIdling()
    frame_cap.pace_idling(
        idling, warming=warming, busy=busy, fading=fading, effects=effects, cap_fps=40.0
    )
    got = (
        idling.enable_idling,
        idling.fps_idle,
        idling.time_active_after_last_event,
        idling.fps_max,
    )
    assert got == pytest.approx(want)


def test_waker_posts_one_glfw_wake_only_while_the_window_is_open(
    modules: ModuleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wake goes through the warm GLFW module (one frame) while the window is open; before
    the module is warm, before ``opened``, after ``closing`` or when it cannot, through
    hello_imgui's ``request_refresh`` (two frames)."""
    glfw = modules.make("CALLS = []\nOK = True\ndef wake():\n    CALLS.append(1)\n    return OK\n")
    refreshes: list[int] = []
    monkeypatch.setattr(hello_imgui, "request_refresh", lambda: refreshes.append(1))
    waker = frame_cap.Waker(glfw)
    waker.opened()
    waker("a progress callback's argument")  # the module is not warm: no GLFW call
    assert refreshes == [1]
    controller = warmed([glfw])
    try:
        mod: Any = sys.modules[glfw]
        waker()
        assert (mod.CALLS, refreshes) == ([1], [1])
        mod.OK = False  # no GLFW library
        waker()
        assert (mod.CALLS, refreshes) == ([1, 1], [1, 1])
        mod.OK = True
        waker.closing()
        waker()
        assert (mod.CALLS, refreshes) == ([1, 1], [1, 1, 1])
    finally:
        controller.shutdown()
