"""The warming frame cap: 50 fps on a free machine, fewer when other processes use a core."""

from __future__ import annotations

import logging
import sys

import pytest

from sloppy.ui import frame_cap
from sloppy.ui.frame_cap import BUSY_FPS, FREE_FPS, SAMPLE_S, FrameCap


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


def test_no_counters_means_the_free_rate() -> None:
    m = Machine()
    m.available = False
    cap = FrameCap(counters=m.counters)
    m.run(SAMPLE_S, others=2.0, own=0.0)
    assert cap.fps(0.0) == cap.fps(SAMPLE_S) == FREE_FPS


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_proc_counters_reads_this_machine() -> None:
    first = frame_cap.proc_counters()
    assert first is not None
    sum(i * i for i in range(1_000_000))  # some CPU of our own
    second = frame_cap.proc_counters()
    assert second is not None
    busy, own = second
    assert busy >= first[0] and own > first[1]
    assert busy >= own  # the machine's busy time includes ours
