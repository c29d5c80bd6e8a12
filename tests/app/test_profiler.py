from __future__ import annotations

import threading
import time

from sloppy.app.profiler import StartupProfiler


def test_phase_records_epoch_start_and_duration() -> None:
    prof = StartupProfiler()
    before = time.time()
    with prof.phase("load"):
        time.sleep(0.02)
    (phase,) = prof.phases()
    assert phase["name"] == "load"
    assert before <= phase["start_epoch"] <= time.time()
    duration = phase["duration_s"]
    assert duration is not None and 0.015 <= duration < 1.0


def test_phases_nest_per_thread() -> None:
    prof = StartupProfiler()
    with prof.phase("outer"), prof.phase("inner"):
        pass
    depths = {p["name"]: p["depth"] for p in prof.phases()}
    assert depths == {"outer": 0, "inner": 1}


def test_phases_from_many_threads_are_all_kept() -> None:
    prof = StartupProfiler()

    def work(i: int) -> None:
        with prof.phase(f"t{i}"), prof.phase(f"t{i}.child"):
            time.sleep(0.001)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phases = prof.phases()
    assert len(phases) == 16
    assert all(p["duration_s"] is not None for p in phases)
    assert {p["depth"] for p in phases if p["name"].endswith(".child")} == {1}


def test_open_phase_has_no_duration_yet() -> None:
    prof = StartupProfiler()
    with prof.phase("open"):
        assert prof.phases()[0]["duration_s"] is None
