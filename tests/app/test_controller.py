from __future__ import annotations

import ast
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from sloppy.app.controller import AppController
from sloppy.app.runtime import Runtime, RuntimeOptions
from sloppy.warm.import_recorder import Finders
from tests.support import ROOT
from tests.support.modules import ModuleFactory


def test_io_pool_is_a_named_four_thread_executor(controller_factory) -> None:
    c = controller_factory(warm_modules=[])
    assert isinstance(c._io_pool, ThreadPoolExecutor)
    assert c._io_pool._max_workers == 4
    fut = c.submit_io(lambda: threading.current_thread().name)
    assert isinstance(fut, Future)
    assert fut.result(5).startswith("controller-io")


def test_submit_io_passes_arguments_and_exceptions(controller_factory) -> None:
    c = controller_factory(warm_modules=[])
    assert c.submit_io(lambda a, *, b: a + b, 2, b=3).result(5) == 5
    with pytest.raises(ZeroDivisionError):
        c.submit_io(lambda: 1 / 0).result(5)


def test_spawn_io_logs_what_a_fire_and_forget_job_raises(controller_factory, caplog) -> None:
    c = controller_factory(warm_modules=[], start_warmup=False)

    def boom() -> None:
        raise OverflowError("int too large to convert to float")

    with caplog.at_level(logging.ERROR, logger="sloppy.app.controller"):
        future = c.spawn_io(boom)
        with pytest.raises(OverflowError):
            future.result(5)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)
    [record] = caplog.records
    assert "OverflowError: int too large" in record.getMessage() and record.exc_info


def test_init_does_not_wait_for_warmup(controller_factory, modules: ModuleFactory) -> None:
    slow = modules.make(gate=True)
    t0 = time.perf_counter()
    c = controller_factory(warm_modules=[slow])
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.2
    assert not c.is_warmup_done()
    assert not c.wait_for_warmup(0.1)
    modules.gates[slow].set()
    assert c.wait_for_warmup(10)
    assert c.warmup_status()["completed"] == [slow]


def test_warmup_runs_on_pool_threads_not_the_caller(controller_factory, modules) -> None:
    a, b = modules.make(), modules.make()
    c = controller_factory(warm_modules=[a, b])
    assert c.wait_for_warmup(10)
    assert modules.import_threads[a].startswith("controller-io")
    assert modules.import_threads[b].startswith("controller-io")


def test_missing_module_fails_and_the_rest_complete(controller_factory, modules) -> None:
    good1, good2 = modules.make(), modules.make()
    fired: list[int] = []
    c = controller_factory(
        warm_modules=[good1, "sloppy_no_such_module_xyz", good2], start_warmup=False
    )
    c.on_warmup_complete(lambda: fired.append(1))
    c.start_warmup()
    assert c.wait_for_warmup(10)
    status = c.warmup_status()
    assert status["done"] is True
    assert sorted(status["completed"]) == sorted([good1, good2])
    assert status["pending"] == [] and status["in_flight"] == []
    (failure,) = status["failed"]
    assert failure["module"] == "sloppy_no_such_module_xyz"
    assert "No module named" in failure["error"]
    time.sleep(0.05)
    assert fired == [1]


def test_status_has_exactly_the_contract_keys(controller_factory) -> None:
    c = controller_factory(warm_modules=[])
    assert c.wait_for_warmup(5)
    assert set(c.warmup_status()) == {
        "pending",
        "in_flight",
        "completed",
        "failed",
        "order",
        "done",
    }


def test_callbacks_fire_once_even_when_one_raises(controller_factory, modules, caplog) -> None:
    slow = modules.make(gate=True)
    c = controller_factory(warm_modules=[slow])
    calls: list[str] = []

    def bad() -> None:
        calls.append("bad")
        raise RuntimeError("boom")

    c.on_warmup_complete(bad)
    c.on_warmup_complete(lambda: calls.append("good"))
    with caplog.at_level(logging.ERROR):
        modules.gates[slow].set()
        assert c.wait_for_warmup(10)
        deadline = time.monotonic() + 5
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert calls == ["bad", "good"]
    assert any("callback raised" in r.message for r in caplog.records)
    c.on_warmup_complete(lambda: calls.append("late"))
    assert calls == ["bad", "good", "late"]


def test_shutdown_returns_quickly_with_an_import_in_flight(controller_factory, modules) -> None:
    slow = modules.make(gate=True)
    after = modules.make()
    c = controller_factory(warm_modules=[slow, after])
    deadline = time.monotonic() + 5
    while c.warmup_status()["in_flight"] != [slow] and time.monotonic() < deadline:
        time.sleep(0.01)
    queued = c.submit_io(time.sleep, 0)  # likely runs, fine; the point is shutdown timing
    t0 = time.perf_counter()
    c.shutdown(grace_s=0.2)
    # The lane is not waited for: only the grace for the jobs, and the profile's save.
    assert time.perf_counter() - t0 < 1.0
    assert c._io_pool._shutdown
    assert not c.is_warmup_done()
    modules.gates[slow].set()
    queued.cancel()


def test_shutdown_lets_a_job_in_flight_finish(controller_factory) -> None:
    """A job already running (a cancelled reply saving itself) ends before shutdown returns."""
    c = controller_factory(warm_modules=[], start_warmup=False)
    started, saved = threading.Event(), threading.Event()

    def save() -> None:
        started.set()
        time.sleep(0.1)
        saved.set()

    c.submit_io(save)
    assert started.wait(5)
    c.shutdown(grace_s=30)
    assert saved.is_set()


def test_shutdown_leaves_a_stuck_job_after_its_grace(controller_factory) -> None:
    """A job that never ends (a blocking SDK call) costs the grace, not the quit."""
    c = controller_factory(warm_modules=[], start_warmup=False)
    started, release = threading.Event(), threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(30)

    job = c.submit_io(stuck)
    assert started.wait(5)
    t0 = time.perf_counter()
    c.shutdown(grace_s=0.2)
    elapsed = time.perf_counter() - t0
    try:
        assert 0.2 <= elapsed < 1.0
        assert not job.done()
    finally:
        release.set()


def test_shutdown_cancels_queued_jobs(controller_factory) -> None:
    c = controller_factory(warm_modules=[])
    assert c.wait_for_warmup(5)
    time.sleep(0.05)  # the lane job has returned its worker to the pool
    release = threading.Event()
    started = threading.Barrier(5)

    def block() -> bool:
        started.wait(5)
        return release.wait(10)

    blockers = [c.submit_io(block) for _ in range(4)]
    started.wait(5)
    queued = c.submit_io(lambda: "ran")
    c.shutdown()
    release.set()
    assert queued.cancelled()
    for b in blockers:
        assert b.result(5) is True


def test_hooks_add_fastapi_and_uvicorn_to_the_warm_list() -> None:
    plain = AppController(start_warmup=False)
    hooks = AppController(enable_hooks=True, start_warmup=False)
    try:
        assert "fastapi" not in plain.warmup_status()["pending"]
        assert {"fastapi", "fastapi.security.api_key", "uvicorn"} <= set(
            hooks.warmup_status()["pending"]
        )
    finally:
        plain.shutdown()
        hooks.shutdown()


def test_init_records_profiler_phases(controller_factory) -> None:
    from sloppy.app.profiler import StartupProfiler

    prof = StartupProfiler()
    controller_factory(warm_modules=[], profiler=prof)
    names = [p["name"] for p in prof.phases()]
    assert names[:4] == [
        "controller.init",
        "controller.io_pool",
        "controller.warm_list",
        "controller.warm_engine",
    ]


def test_warm_cache_is_validated_on_the_lane_before_the_first_import(
    controller_factory, modules: ModuleFactory
) -> None:
    name = modules.make()
    seen: list[tuple[str, bool]] = []

    class FakeCache:
        def validate(self) -> int:
            seen.append((threading.current_thread().name, name in modules.import_threads))
            return 0

        def save(self) -> bool:
            return False

    fake: Any = FakeCache()
    c = controller_factory(warm_modules=[name], finders=Finders(cache=fake))
    assert c.wait_for_warmup(10)
    # Once, on the lane's pool thread, before the module was imported there.
    assert seen == [(modules.import_threads[name], False)]
    assert seen[0][0].startswith("controller-io")


# -- the runtime ---------------------------------------------------------------------------


def test_options_come_from_the_launchers_flags_and_environment() -> None:
    from sloppy_launcher import boot1_argv

    args = boot1_argv.parse(
        ["--headless", "--enable-test-hooks", "--hook-port", "0", "--exit-when-warm"]
    )
    assert not isinstance(args, int)
    options = RuntimeOptions.from_args(args, {"SLOPPY_WARM_EXTRA": "a,b"})
    assert options == RuntimeOptions(
        mode="headless", hooks=True, hook_port=0, exit_when_warm=True, extra_warm=("a", "b")
    )
    gui = boot1_argv.parse(["--startup-report", "r.json"])
    assert not isinstance(gui, int)
    assert RuntimeOptions.from_args(gui, {}) == RuntimeOptions(mode="gui", startup_report="r.json")


def test_headless_runtime_warms_reports_logs_and_stops_when_warm(
    modules: ModuleFactory, tmp_path, sloppy_home
) -> None:
    """The one assembly, in process: warmup (with a forced failure), report, log jobs, stop."""
    failing = modules.make("raise RuntimeError('forced')\n")
    report = tmp_path / "report.json"
    options = RuntimeOptions(
        mode="headless", startup_report=str(report), exit_when_warm=True, extra_warm=(failing,)
    )
    logger = logging.getLogger("sloppy")
    before = list(logger.handlers)
    runtime = Runtime(options)
    try:
        # Headless warms from construction; start() adds the log jobs and the stop-when-warm.
        assert runtime.controller.warmup_status()["order"][-1] == failing
        runtime.start()
        waiter = threading.Thread(target=runtime.wait, args=(0.05,))
        waiter.start()
        waiter.join(120)
        assert not waiter.is_alive() and runtime.stop_requested.is_set()
        written = json.loads(report.read_text())
        assert written["mode"] == "headless" and written["warmup"]["done"] is True
        assert [f["module"] for f in written["warmup"]["failed"]] == [failing]
        assert written["warm_done_epoch"] is not None
        assert any(isinstance(h, logging.FileHandler) for h in logger.handlers)
    finally:
        runtime.shutdown()
        for h in list(logger.handlers):
            if h not in before:
                logger.removeHandler(h)
                h.close()
    assert runtime.controller._closed


def test_the_app_builds_its_controller_in_one_place() -> None:
    """GUI and headless share the Runtime: AppController(...) is called in Runtime only."""
    calls = []
    for path in sorted((ROOT / "src" / "sloppy").rglob("*.py")):
        for top in ast.parse(path.read_text()).body:
            for node in ast.walk(top):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "AppController"
                ):
                    calls.append((path.name, getattr(top, "name", "<module>")))
    assert calls == [("runtime.py", "Runtime")]


def test_replies_stream_on_their_own_lane_and_the_pool_stays_free(controller_factory) -> None:
    c = controller_factory(warm_modules=[])
    assert c._stream_pool is None  # created with the first reply
    release = threading.Event()
    streams = [c.submit_stream(release.wait, 10) for _ in range(4)]
    try:
        names = c.submit_stream(lambda: threading.current_thread().name).result(5)
        assert names.startswith("controller-stream")
        # The four replies never hold up the pool: a save runs at once.
        assert c.submit_io(lambda: "saved").result(5) == "saved"
    finally:
        release.set()
        for s in streams:
            assert s.result(5) is True
