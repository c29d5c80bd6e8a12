"""The application controller: one shared I/O pool and the background warmup that runs on it.

Instead of ``threading.Thread(target=job).start()`` per task, call ``controller.submit_io(job)``:
every background job (warm imports, saves, log pruning, provider calls) shares ``_io_pool``.
``app.runtime.Runtime`` builds it (there and nowhere else).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, ParamSpec, TypeVar

from sloppy.app.profiler import PROFILER, StartupProfiler
from sloppy.store import aside
from sloppy.warm import cache_temps, import_profile, planner, warmlist
from sloppy.warm.engine import WarmStatus, Warmup, activate
from sloppy.warm.import_recorder import Finders

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

IO_WORKERS = 4
#: Threads of the stream lane: replies streaming at once (more wait for one to end).
STREAM_WORKERS = 8
#: How long ``shutdown`` lets the jobs in flight finish (a cancelled reply being saved).
SHUTDOWN_GRACE_S = 0.5


def _log_failure(future: Future[Any]) -> None:
    exc = None if future.cancelled() else future.exception()
    if exc is not None:
        log.error("background job failed: %s: %s", type(exc).__name__, exc, exc_info=exc)


class AppController:
    """Owns ``_io_pool`` and the warmup; ``__init__`` never waits for either."""

    def __init__(
        self,
        *,
        enable_hooks: bool = False,
        warm_modules: Sequence[str] | None = None,
        extra_warm: Sequence[str] = (),
        profiler: StartupProfiler | None = None,
        profile_store: import_profile.ProfileStore | None = None,
        start_warmup: bool = True,
        lane_nice: int = 0,
        lane_switch_interval: float | None = None,
        pace: Callable[[], None] | None = None,
        finders: Finders | None = None,
        first_warm: Sequence[str] = (),
    ) -> None:
        self.profiler = profiler or PROFILER
        #: Warmed right after what runs demanded early (the configured provider's SDK).
        self._first_warm = tuple(first_warm)
        #: The recorder and warm cache the launcher installed (none: in-process tests).
        self.finders = finders or Finders()
        with self.profiler.phase("controller.init"):
            with self.profiler.phase("controller.io_pool"):
                self._io_pool = ThreadPoolExecutor(
                    max_workers=IO_WORKERS, thread_name_prefix="controller-io"
                )
                #: Jobs submitted and not yet done: ``shutdown`` gives them a short grace.
                self._jobs: set[Future[Any]] = set()
                self._jobs_lock = threading.Lock()
                #: Replies streaming: their own lane, so the jobs on ``_io_pool`` never wait
                #: behind them (created with the first reply).
                self._stream_pool: ThreadPoolExecutor | None = None
                #: Jobs that must run even if quitting cancels them (cheap disk writes).
                self._durable: dict[Future[Any], Callable[[], Any]] = {}
            with self.profiler.phase("controller.warm_list"):
                # Here, on the main thread: putenv beside running threads is not safe.
                warmlist.set_environment(os.environ)
                modules = (
                    list(warm_modules)
                    if warm_modules is not None
                    else warmlist.warm_modules(hooks=enable_hooks, extra=extra_warm)
                )
            #: What to warm; the planner orders it on the lane (it reads the profile from
            #: disk, which the first frame must not wait for) and hands the order to the engine.
            self._modules: tuple[str, ...] = tuple(modules)
            with self.profiler.phase("controller.warm_engine"):
                self.warmup = Warmup(
                    modules,
                    t0_epoch=self.profiler.process_start_epoch,
                    nice=lane_nice,
                    switch_interval=lane_switch_interval,
                    pace=pace,
                    recorder=self.finders.recorder,
                )
                activate(self.warmup)
                self._profile_store = profile_store or import_profile.ProfileStore()
                self._run_id = f"{int(time.time() * 1000)}-{os.getpid()}"
                self._costs: dict[str, float] = {}
                self._lane_future: Future[None] | None = None
                self._closed = False
                self.warmup.on_complete(self._on_warm_done)
            if start_warmup:
                with self.profiler.phase("controller.warm_submit"):
                    self.start_warmup()

    # -- the pool ----------------------------------------------------------------------

    def submit_io(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` on the shared pool; the Future carries its result or exception."""
        future = self._io_pool.submit(fn, *args, **kwargs)
        with self._jobs_lock:
            self._jobs.add(future)
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, future: Future[Any]) -> None:
        with self._jobs_lock:
            self._jobs.discard(future)
            if not future.cancelled():  # a cancelled one runs at quit (``shutdown``)
                self._durable.pop(future, None)

    def spawn_durable(self, fn: Callable[[], Any]) -> Future[Any]:
        """``spawn_io`` for a cheap job the user expects done (a rename, a delete): one
        still queued at quit runs on the quitting thread instead of being dropped."""
        future = self.spawn_io(fn)
        with self._jobs_lock:
            if not future.done():
                self._durable[future] = fn
        return future

    def submit_stream(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` (a streamed reply) on the stream lane, never on ``_io_pool``."""
        with self._jobs_lock:
            if self._stream_pool is None:
                self._stream_pool = ThreadPoolExecutor(
                    max_workers=STREAM_WORKERS, thread_name_prefix="controller-stream"
                )
            future = self._stream_pool.submit(fn, *args, **kwargs)
            self._jobs.add(future)
        future.add_done_callback(self._job_done)
        return future

    def spawn_stream(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """``submit_stream`` for fire-and-forget replies: an exception is logged."""
        future = self.submit_stream(fn, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    def spawn_io(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """``submit_io`` for fire-and-forget jobs: an exception is logged, not left unread."""
        future = self.submit_io(fn, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    # -- warmup ------------------------------------------------------------------------

    def start_warmup(self) -> None:
        """Plan the order from the recorded profile and start the lane (idempotent)."""
        if self._lane_future is None:
            self._lane_future = self.submit_io(self._plan_and_warm)

    def _plan_and_warm(self) -> None:
        # Planning and the cache's checks are optional: whatever they raise, the lane still
        # warms (declared order, file system). Warmup.run fails what is left if it crashes.
        try:
            with self.profiler.phase("warmup.plan"):
                self._plan()
            with self.profiler.phase("warmup.validate_cache"):
                self._check_cache()
            with self.profiler.phase("warmup.run"):
                self.warmup.run()
        except Exception as exc:  # never silent: a lane that dies fails what was left
            log.exception("the warm lane crashed")
            self.warmup.fail_remaining(f"the warm lane crashed: {type(exc).__name__}: {exc}")

    def _check_cache(self) -> None:
        try:
            directory = self._profile_store.path.parent
            cache_temps.remove_stale_temps(directory, (self._profile_store.path.name,))
            aside.prune_folder(directory)  # the cache folder holds only rebuildable files
            if self.finders.cache is not None:
                self.finders.cache.validate()
        except Exception as exc:
            log.warning("cannot check the warm cache (%s: %s)", type(exc).__name__, exc)

    def _plan(self) -> None:
        try:
            runs = self._profile_store.runs(key=import_profile.run_key())
            if not runs:
                runs = import_profile.baked_runs()
            self._costs = planner.recorded_costs(runs)
            self.warmup.set_order(planner.plan(list(self._modules), runs, self._first_warm))
        except Exception as exc:  # a bad profile costs the plan, never the warmup
            log.warning(
                "cannot plan the warm order (%s: %s); using the declared order",
                type(exc).__name__,
                exc,
            )

    def _on_warm_done(self, _engine: Warmup) -> None:
        self.save_profile()
        cache = self.finders.cache
        if cache is not None:
            cache.save()
            cache.release()  # later loads fault in only the pages they read

    def warmup_status(self) -> WarmStatus:
        """The status dict: pending, in_flight, completed, failed (module, error), order, done."""
        return self.warmup.status()

    def is_warmup_done(self) -> bool:
        return self.warmup.is_done()

    def wait_for_warmup(self, timeout: float | None = None) -> bool:
        """Block until warmup is done; False on timeout. Never called on the GUI thread."""
        return self.warmup.wait(timeout)

    def on_warmup_complete(self, cb: Callable[[], None]) -> None:
        """Call ``cb()`` once when warmup is done (at once if it already is)."""
        self.warmup.on_complete(lambda _w: cb())

    def warmup_eta_s(self, status: WarmStatus | None = None) -> float | None:
        """Seconds of recorded cost still pending (of ``status``, default: now), or None."""
        if not self._costs:
            return None
        status = status or self.warmup.status()
        return sum(self._costs.get(m, 0.0) for m in status["pending"] + status["in_flight"])

    # -- the profile -------------------------------------------------------------------

    def profile_record(self) -> import_profile.RunRecord:
        """This run's import profile record (what the planner reads next time)."""
        recorder = self.finders.recorder
        loads = (
            [[n, t, round(s, 5), round(d, 6), src] for n, t, s, d, src in recorder.loads]
            if recorder is not None
            else []
        )
        warm = {r["name"]: r["duration_s"] for r in self.warmup.records() if not r["error"]}
        return import_profile.RunRecord(
            id=self._run_id,
            key=import_profile.run_key(),
            started_epoch=self.profiler.process_start_epoch,
            warm=warm,
            demands=self.warmup.demands(),
            loads=loads,
        )

    def save_profile(self) -> bool:
        """Save this run's record atomically (on completion, and again at clean exit)."""
        try:
            return self._profile_store.save_run(self.profile_record())
        except Exception:  # never into the UI thread or the lane: the profile is optional
            log.exception("cannot save the import profile")
            return False

    # -- shutdown ----------------------------------------------------------------------

    def shutdown(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """Cancel queued jobs, stop the lane, save the profile; returns within ``grace_s`` + saves.

        Jobs in flight get ``grace_s`` to finish (a cancelled reply saving itself). The warm
        lane is not waited for: an import cannot be interrupted inside C code, and what it
        would produce is rebuilt next run. A thread still busy after that is left to the
        launcher (``boot3_app.exit_promptly``), which exits without joining it.
        """
        if self._closed:
            return
        self._closed = True
        self.warmup.stop()
        self._io_pool.shutdown(wait=False, cancel_futures=True)
        with self._jobs_lock:
            stream_pool = self._stream_pool
            durable = [fn for f, fn in self._durable.items() if f.cancelled()]
        if stream_pool is not None:
            stream_pool.shutdown(wait=False, cancel_futures=True)
        with self.profiler.phase("quit.durable"):
            for fn in durable:
                try:
                    fn()
                except Exception:
                    log.exception("a job left at quit failed")
        with self._jobs_lock:
            jobs = self._jobs - {self._lane_future}
        with self.profiler.phase("quit.jobs"):
            wait_futures(jobs, timeout=grace_s)
        with self.profiler.phase("quit.profile"):
            self.save_profile()
            cache = self.finders.cache
            if cache is not None:
                if self.warmup.is_done():
                    cache.save()  # modules first loaded after warmup (a provider's first call)
                else:
                    cache.discard()  # a partial capture would only be rebuilt
        activate(None)
