"""The warm engine: priority bumps, failures, the one-lane guarantee, _require_warmed."""

from __future__ import annotations

import importlib
import sys
import threading
import time

import pytest

from sloppy.app.controller import AppController
from sloppy.warm.engine import Warmup, WarmupError, _require_warmed, activate
from sloppy.warm.import_recorder import ImportRecorder
from tests.support.modules import ModuleFactory


@pytest.fixture
def controller(controller_factory):
    return controller_factory


def test_require_returns_the_warmed_module(controller, modules: ModuleFactory) -> None:
    name = modules.make("VALUE = 42\n")
    c = controller(warm_modules=[name])
    assert _require_warmed(name, timeout=10).VALUE == 42
    assert c.is_warmup_done() or c.wait_for_warmup(5)


def test_require_never_imports_in_the_caller(controller, modules) -> None:
    name = modules.make()
    controller(warm_modules=[name])
    _require_warmed(name, timeout=10)
    assert modules.import_threads[name].startswith("controller-io")


def test_demanded_module_jumps_the_queue(controller, modules) -> None:
    head = modules.make(gate=True)
    queue = [modules.make() for _ in range(6)]
    wanted = modules.make()
    c = controller(warm_modules=[head, *queue, wanted])
    deadline = time.monotonic() + 5
    while c.warmup_status()["in_flight"] != [head] and time.monotonic() < deadline:
        time.sleep(0.005)
    got: list[str] = []
    waiter = threading.Thread(target=lambda: got.append(_require_warmed(wanted, 10).__name__))
    waiter.start()
    deadline = time.monotonic() + 5
    while c.warmup_status()["pending"][:1] != [wanted] and time.monotonic() < deadline:
        time.sleep(0.005)
    modules.gates[head].set()
    waiter.join(10)
    assert got == [wanted]
    assert c.wait_for_warmup(10)
    completed = c.warmup_status()["completed"]
    assert completed.index(wanted) == 1  # right after the in-flight head, before the queue
    assert all(completed.index(wanted) < completed.index(q) for q in queue)
    assert wanted in c.warmup.demands()


def test_require_of_a_failed_module_names_module_and_cause(controller) -> None:
    c = controller(warm_modules=["sloppy_missing_mod_abc"])
    assert c.wait_for_warmup(10)
    with pytest.raises(WarmupError) as info:
        _require_warmed("sloppy_missing_mod_abc")
    assert info.value.module == "sloppy_missing_mod_abc"
    assert "No module named" in info.value.cause
    assert "sloppy_missing_mod_abc" in str(info.value)


def test_require_of_a_module_that_raises_reports_the_exception(controller, modules) -> None:
    broken = modules.make("raise ValueError('half-built')\n")
    c = controller(warm_modules=[broken])
    assert c.wait_for_warmup(10)
    with pytest.raises(WarmupError, match="ValueError: half-built"):
        _require_warmed(broken)


def test_require_outside_the_warm_list_is_an_error(controller) -> None:
    controller(warm_modules=[])
    with pytest.raises(WarmupError, match="not in the warm list"):
        _require_warmed("json")


def test_require_wait_is_bounded(controller, modules) -> None:
    slow = modules.make(gate=True)
    controller(warm_modules=[slow])
    t0 = time.perf_counter()
    with pytest.raises(WarmupError, match="still warming"):
        _require_warmed(slow, timeout=0.2)
    assert time.perf_counter() - t0 < 1.0


def test_require_without_a_running_warmup() -> None:
    activate(None)
    with pytest.raises(WarmupError, match="no warmup is running"):
        _require_warmed("openai")


def test_shutdown_wakes_waiters(controller, modules) -> None:
    slow = modules.make(gate=True)
    later = modules.make()
    c = controller(warm_modules=[slow, later])
    errors: list[BaseException] = []
    # Only once the lane is inside `slow`: before that, the demand would run `later` first.
    deadline = time.monotonic() + 10
    while c.warmup_status()["in_flight"] != [slow] and time.monotonic() < deadline:
        time.sleep(0.01)

    def wait() -> None:
        try:
            c.warmup.require(later, 30)
        except WarmupError as exc:
            errors.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.1)
    c.shutdown()
    t.join(3)
    assert not t.is_alive()
    assert errors and "stopped" in str(errors[0])


class Overlap:
    """Counts how many warm-listed module bodies run at the same moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def enter(self) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)

    def leave(self) -> None:
        with self.lock:
            self.running -= 1


OVERLAP = Overlap()


def test_one_lane_means_at_most_one_import_at_a_time(modules) -> None:
    """Demands from other threads reorder the lane; they never import beside it."""
    global OVERLAP
    OVERLAP = Overlap()
    body = "import time, tests.warm.test_engine as t\nt.OVERLAP.enter()\ntime.sleep(0.03)\n"
    body += "t.OVERLAP.leave()\n"
    names = [modules.make(body) for _ in range(8)]
    engine = Warmup(names)
    lane = threading.Thread(target=engine.run, name="the-lane")
    demanders = [
        threading.Thread(target=engine.require, args=(name, 30), name=f"demand-{i}")
        for i, name in enumerate(names[-3:])
    ]
    lane.start()
    for t in demanders:
        t.start()
    assert engine.wait(30)
    for t in [lane, *demanders]:
        t.join(10)
    assert sorted(engine.status()["completed"]) == sorted(names)
    assert OVERLAP.peak == 1
    assert {modules.import_threads[n] for n in names} == {"the-lane"}


def test_empty_warm_list_completes_at_once() -> None:
    engine = Warmup([])
    fired: list[bool] = []
    engine.on_complete(lambda e: fired.append(e.is_done()))
    engine.run()
    assert engine.is_done() and fired == [True]


def test_lane_paces_through_the_recorder_it_is_given(modules) -> None:
    """Pacing and the recorder come in through the constructor; the gate is released after."""
    rec = ImportRecorder()
    paced: list[str] = []
    names = [modules.make() for _ in range(3)]
    engine = Warmup(names, pace=lambda: paced.append(threading.current_thread().name), recorder=rec)
    sys.meta_path.insert(0, rec)
    try:
        lane = threading.Thread(target=engine.run, name="the-lane")
        lane.start()
        lane.join(30)
        later = modules.make()
        importlib.import_module(later)  # after the lane: nothing paces it
    finally:
        sys.meta_path.remove(rec)
    assert engine.status()["completed"] == names
    # Once before each job and once more at each module load the recorder saw.
    assert len(paced) == 2 * len(names) and set(paced) == {"the-lane"}
    assert {r["name"]: r["source"] for r in engine.records()} == dict.fromkeys(names, "filesystem")
    assert {ld.name for ld in rec.loads} >= {*names, later}


def test_a_lane_crash_fails_the_rest_with_the_cause(modules, monkeypatch, caplog) -> None:
    names = [modules.make(f"VALUE = {i}\n") for i in range(4)]
    engine = Warmup(names)
    real = engine._warm_one
    calls: list[str] = []

    def crash_on_second(name, recorder):
        calls.append(name)
        if len(calls) == 2:
            raise MemoryError("simulated")
        return real(name, recorder)

    monkeypatch.setattr(engine, "_warm_one", crash_on_second)
    done: list[bool] = []
    engine.on_complete(lambda _e: done.append(True))
    with caplog.at_level("ERROR"):
        engine.run()  # the lane returns instead of dying with the modules still queued
    status = engine.status()
    assert status["done"] and done == [True]
    assert status["completed"] == names[:1]
    assert status["pending"] == [] and status["in_flight"] == []
    failed = {f["module"]: f["error"] for f in status["failed"]}
    assert set(failed) == set(names[1:])
    assert all("MemoryError: simulated" in e for e in failed.values())
    assert any("crashed" in r.getMessage() for r in caplog.records)
    activate(engine)
    try:
        with pytest.raises(WarmupError, match="MemoryError: simulated"):
            _require_warmed(names[3], timeout=1)
    finally:
        activate(None)


def test_a_crash_before_the_lane_runs_fails_every_module(controller, monkeypatch) -> None:
    def boom(self) -> None:
        raise RuntimeError("profile store exploded")

    monkeypatch.setattr(AppController, "_check_cache", boom)
    c = controller(warm_modules=["json", "csv"])
    assert c.wait_for_warmup(10)
    failed = {f["module"]: f["error"] for f in c.warmup_status()["failed"]}
    assert set(failed) == {"json", "csv"}
    assert all("profile store exploded" in e for e in failed.values())
