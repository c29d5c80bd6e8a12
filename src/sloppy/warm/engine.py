"""The warm engine: heavy modules load one after another on a pool thread, in planned order.

Instead of ``import anthropic`` inside a function (the first caller pays seconds), feature code
calls ``_require_warmed("anthropic")``: the module if warm; if still queued, its job jumps to
the front and the caller waits (bounded); if it failed, ``WarmupError`` with the cause.

One lane, not four: CPython's per-module import locks can deadlock or expose half-initialised
modules when threads import overlapping packages (cpython gh-83065), and with the GIL four
importers were slower than one here (docs/design.md has the figures).

The cyclic garbage collector is paused while the lane runs: the SDKs create thousands of
classes, and each full collection walked them all with the GIL held (28-150 ms pauses measured,
the longest frame stalls of the GUI). When warmup ends, survivors are frozen out of future
collections and the collector resumes.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import NamedTuple, TypedDict, cast

from sloppy.warm import import_recorder

log = logging.getLogger(__name__)

#: How long ``_require_warmed`` waits for a queued or in-flight module by default.
DEFAULT_REQUIRE_TIMEOUT = 60.0


class WarmupError(ImportError):
    """A warm-listed module is unavailable: it failed to import, or waiting for it timed out."""

    def __init__(self, module: str, cause: str) -> None:
        super().__init__(f"{module}: {cause}", name=module)
        self.module = module
        self.cause = cause


class _Cancelled(BaseException):
    """Raised inside the lane's import to abandon it at shutdown (not an Exception on purpose)."""


class WarmRecord(NamedTuple):
    """How one warm job went."""

    name: str
    thread: str
    start_epoch: float
    duration_s: float
    source: str
    error: str | None = None


class FailedModule(TypedDict):
    module: str
    error: str


class WarmStatus(TypedDict):
    """The warmup status contract (hook API ``/api/warmup_status``, the report's ``warmup``)."""

    pending: list[str]
    in_flight: list[str]
    completed: list[str]
    failed: list[FailedModule]
    order: list[str]
    done: bool


class WarmRecordDict(TypedDict):
    """A ``WarmRecord`` as JSON (hook API ``/api/startup_profile``, the report's ``modules``)."""

    name: str
    thread: str
    start_epoch: float
    duration_s: float
    source: str
    error: str | None


class Warmup:
    """Warm ``modules`` on one lane; ``run()`` is the lane and belongs on a pool thread."""

    def __init__(
        self,
        modules: Sequence[str],
        *,
        t0_epoch: float | None = None,
        nice: int = 0,
        switch_interval: float | None = None,
        pace: Callable[[], None] | None = None,
        recorder: import_recorder.ImportRecorder | None = None,
    ) -> None:
        self.t0_epoch = t0_epoch or time.time()
        self.nice = nice
        #: GIL switch interval while the lane runs: shorter hands the GIL back to a GUI
        #: thread sooner between its per-frame callbacks (restored when warmup ends).
        self.switch_interval = switch_interval
        self._cv = threading.Condition()
        self._order: list[str] = list(dict.fromkeys(modules))
        self._queue: list[str] = list(self._order)
        self._in_flight: str | None = None
        self._completed: list[str] = []
        self._failed: dict[str, str] = {}
        self._records: dict[str, WarmRecord] = {}
        self._demands: dict[str, float] = {}
        self._callbacks: list[Callable[[Warmup], None]] = []
        self._done = threading.Event()
        self._fired = False
        self._stopping = False
        self._lane: threading.Thread | None = None
        #: Called on the lane before each module load; the GUI uses it to pace around frames.
        self.pace = pace
        #: The boot's import recorder: where loads come from, and the gate the lane attaches to.
        self.recorder = recorder
        #: Called on the lane with each module's name once it is warm or failed: the window
        #: redraws only then while warming, the report notes when chat is ready.
        self.on_progress: list[Callable[[str], None]] = []

    # -- planning and the lane ---------------------------------------------------------

    def set_order(self, order: Sequence[str]) -> None:
        """Reorder what is still queued; modules missing from ``order`` keep their place last."""
        rank = {m: i for i, m in enumerate(order)}
        with self._cv:
            self._order.sort(key=lambda m: rank.get(m, len(rank)))
            self._queue.sort(key=lambda m: rank.get(m, len(rank)))

    def run(self) -> None:
        """Import every queued module, one at a time, until the queue is empty or ``stop()``."""
        self._lane = threading.current_thread()
        _lower_priority(self.nice)
        recorder = self.recorder
        if recorder is not None:
            recorder.gate.attach(self._gate)
        collecting = gc.isenabled()
        gc.disable()
        interval = sys.getswitchinterval()
        if self.switch_interval:
            sys.setswitchinterval(self.switch_interval)
        try:
            while True:
                with self._cv:
                    if self._stopping or not self._queue:
                        break
                    name = self._in_flight = self._queue.pop(0)
                if self._warm_one(name, recorder):
                    break
        except Exception as exc:  # never silent: what was left fails with the cause
            log.exception("the warm lane crashed")
            self._fail_left(f"the warm lane crashed: {type(exc).__name__}: {exc}")
        finally:
            if recorder is not None:
                recorder.gate.detach(self._gate)
            self._lane = None
            sys.setswitchinterval(interval)
            if collecting:
                gc.freeze()
                gc.enable()
        self._finish()

    def _gate(self, _module: str) -> None:
        if threading.current_thread() is not self._lane:
            return
        if self._stopping:
            raise _Cancelled
        pace = self.pace
        if pace is not None:
            pace()

    def _warm_one(self, name: str, recorder: import_recorder.ImportRecorder | None) -> bool:
        """Import ``name`` and record the outcome; True if the lane was cancelled."""
        start_epoch, t0 = time.time(), time.perf_counter()
        error: str | None = None
        cancelled = False
        try:
            self._gate(name)
            importlib.import_module(name)
        except _Cancelled:
            cancelled = True
            error = "cancelled at shutdown"
        except BaseException as exc:  # a warm job must never take the lane down
            error = f"{type(exc).__name__}: {exc}"
            log.warning("warmup of %s failed: %s", name, error)
        duration = time.perf_counter() - t0
        source = recorder.source_of(name) if recorder is not None else "filesystem"
        record = WarmRecord(
            name, threading.current_thread().name, start_epoch, duration, source, error
        )
        with self._cv:
            self._in_flight = None
            self._records[name] = record
            if cancelled:
                self._queue.insert(0, name)
            elif error is None:
                self._completed.append(name)
            else:
                self._failed[name] = error
            self._cv.notify_all()
        for cb in self.on_progress:
            try:
                cb(name)
            except Exception:
                log.exception("a warm progress callback raised")
        return cancelled

    def fail_remaining(self, cause: str) -> None:
        """Mark every queued and in-flight module failed with ``cause`` and finish (lane crash)."""
        self._fail_left(cause)
        self._finish()

    def _fail_left(self, cause: str) -> None:
        with self._cv:
            left = ([self._in_flight] if self._in_flight else []) + self._queue
            self._queue, self._in_flight = [], None
            for name in left:
                self._failed.setdefault(name, cause)
            self._cv.notify_all()

    def _finish(self) -> None:
        with self._cv:
            if self._queue or self._in_flight is not None or self._fired:
                return
            self._fired = True
            callbacks = list(self._callbacks)
        self._done.set()
        for cb in callbacks:
            self._call(cb)

    def _call(self, cb: Callable[[Warmup], None]) -> None:
        try:
            cb(self)
        except Exception:
            log.exception("a warmup-complete callback raised")

    def stop(self) -> None:
        """Stop after (or, at its next submodule, during) the current import; wake all waiters."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()

    # -- demand ------------------------------------------------------------------------

    def require(self, name: str, timeout: float = DEFAULT_REQUIRE_TIMEOUT) -> ModuleType:
        """The warmed module ``name``; a queued one jumps to the front; waits up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cv:
            self._demands.setdefault(name, time.time() - self.t0_epoch)
            if name not in self._order:
                raise WarmupError(name, "not in the warm list")
            if name in self._queue:
                self._queue.remove(name)
                self._queue.insert(0, name)
            if threading.current_thread() is self._lane and name not in self._completed:
                raise WarmupError(name, "required from inside another warm import")
            while name not in self._completed:
                if name in self._failed:
                    raise WarmupError(name, self._failed[name])
                if self._stopping:
                    raise WarmupError(name, "warmup was stopped")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WarmupError(name, f"still warming after {timeout:g} s")
                self._cv.wait(remaining)
        return sys.modules[name]

    def is_ready(self, name: str) -> bool:
        """True once ``name`` is warm (never blocks: for per-frame checks)."""
        with self._cv:
            return name in self._completed

    # -- status ------------------------------------------------------------------------

    def status(self) -> WarmStatus:
        """The warmup status contract: pending, in_flight, completed, failed, order, done."""
        with self._cv:
            return WarmStatus(
                pending=list(self._queue),
                in_flight=[self._in_flight] if self._in_flight else [],
                completed=list(self._completed),
                failed=[FailedModule(module=m, error=e) for m, e in self._failed.items()],
                order=list(self._order),
                done=self._done.is_set(),
            )

    def is_done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until warmup is done; False on timeout."""
        return self._done.wait(timeout)

    def on_complete(self, cb: Callable[[Warmup], None]) -> None:
        """Call ``cb(self)`` once when done (at once if already done); a raising cb is logged."""
        with self._cv:
            if not self._fired:
                self._callbacks.append(cb)
                return
        self._call(cb)

    def records(self) -> list[WarmRecordDict]:
        """Per-module warm timings, in the order they ran."""
        with self._cv:
            rows = sorted(self._records.values(), key=lambda r: r.start_epoch)
        return [cast(WarmRecordDict, r._asdict()) for r in rows]

    def demands(self) -> dict[str, float]:
        """Seconds from ``t0_epoch`` to the first ``require`` of each module."""
        with self._cv:
            return dict(self._demands)


def _lower_priority(nice: int) -> None:
    """Lower this thread's CPU priority (Linux: per-thread nice) so a GUI keeps the cores.

    The pool thread stays niced afterwards: raising priority back needs privileges, and the
    I/O jobs it runs later do not mind.
    """
    # Linux only: elsewhere PRIO_PROCESS takes a process id, and a thread id would name
    # another process (macOS), or there is no setpriority at all (Windows).
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), nice))
    except OSError as exc:
        log.info("could not lower the warm lane's priority: %s", exc)


_active: Warmup | None = None


def activate(engine: Warmup | None) -> None:
    """Make ``engine`` the one ``_require_warmed`` serves from (the controller calls this)."""
    global _active
    _active = engine


def _require_warmed(name: str, timeout: float = DEFAULT_REQUIRE_TIMEOUT) -> ModuleType:
    """The warmed module ``name``; see the module docstring. Never imports in the caller."""
    engine = _active
    if engine is None:
        raise WarmupError(name, "no warmup is running")
    return engine.require(name, timeout)


def is_warm(name: str) -> bool:
    """True if ``name`` is warm in the active engine (cheap; safe to call every frame)."""
    engine = _active
    return engine is not None and engine.is_ready(name)
