"""The frame pacer: the lane waits out the GUI thread's span of a frame, and no longer."""

from __future__ import annotations

import os
import threading
import time

import pytest

from sloppy.warm import pacer
from sloppy.warm.pacer import FramePacer


def waited(p: FramePacer, release: threading.Event) -> float:
    """How long ``wait_turn`` took on another thread while ``release`` ends the span."""
    out: list[float] = []

    def lane() -> None:
        t0 = time.perf_counter()
        p.wait_turn()
        out.append(time.perf_counter() - t0)

    t = threading.Thread(target=lane)
    t.start()
    time.sleep(0.03)
    release.set()
    t.join(10)
    return out[0]


@pytest.mark.parametrize("whole_frame", [False, True])
def test_the_span_ends_where_the_mode_says(whole_frame: bool) -> None:
    p = FramePacer(whole_frame=whole_frame)
    p.ui_begin()
    p.before_render()
    # The Python span is over; the render and swap are still running.
    if whole_frame:
        release = threading.Event()

        def swap() -> None:
            release.wait(10)
            p.after_swap()

        threading.Thread(target=swap).start()
        assert waited(p, release) >= 0.02  # waited for the swap
    else:
        t0 = time.perf_counter()
        p.wait_turn()
        assert time.perf_counter() - t0 < 0.02
        p.after_swap()  # a no-op here: nothing to end


def test_a_hung_gui_thread_does_not_stall_the_lane() -> None:
    p = FramePacer(whole_frame=True)
    p.ui_begin()
    t0 = time.perf_counter()
    p.wait_turn()
    assert pacer.MAX_WAIT_S * 0.9 <= time.perf_counter() - t0 < pacer.MAX_WAIT_S * 20


def test_one_cpu_follows_the_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3}, raising=False)
    assert pacer.one_cpu()
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    assert not pacer.one_cpu()
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert pacer.one_cpu()
