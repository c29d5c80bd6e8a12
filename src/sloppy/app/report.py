"""The startup report (JSON contract): when the process started, drew, and finished warming.

Instead of ad-hoc timing prints, the launcher writes ``build(...)`` with ``write``; benchmarks
compare its epoch times with when they spawned the process.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Protocol, TypedDict

from sloppy.app.profiler import StartupProfiler
from sloppy.store import files
from sloppy.warm.engine import WarmStatus, Warmup
from sloppy.warm.import_recorder import Finders

SCHEMA = 1
log = logging.getLogger(__name__)
#: How long after warm done the frames that saw the mouse move are still listed.
INPUT_AFTER_WARM_S = 2.0


class WarmSource(Protocol):
    """What the report reads of the run (``AppController`` is one): its phases and warmup."""

    @property
    def profiler(self) -> StartupProfiler: ...
    @property
    def warmup(self) -> Warmup: ...
    def warmup_status(self) -> WarmStatus: ...
    @property
    def finders(self) -> Finders: ...


class ReportPhase(TypedDict):
    name: str
    start_epoch: float
    duration_s: float | None


class ReportModule(TypedDict):
    name: str
    thread: str
    start_epoch: float
    duration_s: float
    source: str


class InputFrame(TypedDict):
    """A presented frame in which ImGui saw the mouse at a new position."""

    mouse: list[float]  # [x, y], window coordinates
    epoch: float  # that frame's swap


class StartupPath(TypedDict):
    """What the start-up path loaded (the bench's exact metrics for a frozen app, which a
    ``PYTHONPATH`` shim cannot reach): gui, every module loaded when the first frame was
    presented; headless, those the main thread loaded by warm done."""

    until: str  # "first_frame" or "warm_done"
    modules: dict[str, str]  # module -> the module that imported it ("" before the recorder)


class StartupReport(TypedDict):
    """The startup report contract (docs/contracts.md); ``warmup`` is the status as served."""

    schema: int
    mode: str
    frozen: bool
    process_start_epoch: float
    first_frame_epoch: float | None
    warm_done_epoch: float | None
    #: The configured provider's SDK warm and the saved keys read: a send would not wait.
    chat_ready_epoch: float | None
    #: Process CPU time (user + sys, every thread) at the first frame and at warm done:
    #: steadier than wall time on a busy machine.
    first_frame_cpu_s: float | None
    warm_done_cpu_s: float | None
    phases: list[ReportPhase]
    modules: list[ReportModule]
    frame_times_ms: list[float]
    #: GUI: each frame that saw the mouse move, from the first until warm done + 2 s.
    input_frames: list[InputFrame]
    warmup: WarmStatus
    startup_path: StartupPath | None


def build(
    controller: WarmSource,
    *,
    mode: str,
    first_frame_epoch: float | None = None,
    frame_times_ms: list[float] | None = None,
    warm_done_epoch: float | None = None,
    first_frame_cpu_s: float | None = None,
    warm_done_cpu_s: float | None = None,
    chat_ready_epoch: float | None = None,
    input_frames: list[InputFrame] | None = None,
    first_frame_modules: list[str] | None = None,
) -> StartupReport:
    """The report; GUI-only fields are None or empty in headless mode."""
    return StartupReport(
        schema=SCHEMA,
        mode=mode,
        frozen=bool(getattr(sys, "frozen", False)),
        process_start_epoch=controller.profiler.process_start_epoch,
        first_frame_epoch=first_frame_epoch,
        warm_done_epoch=warm_done_epoch,
        chat_ready_epoch=chat_ready_epoch,
        first_frame_cpu_s=first_frame_cpu_s,
        warm_done_cpu_s=warm_done_cpu_s,
        phases=[
            ReportPhase(name=p["name"], start_epoch=p["start_epoch"], duration_s=p["duration_s"])
            for p in controller.profiler.phases()
        ],
        modules=[
            ReportModule(
                name=r["name"],
                thread=r["thread"],
                start_epoch=r["start_epoch"],
                duration_s=r["duration_s"],
                source=r["source"],
            )
            for r in controller.warmup.records()
        ],
        frame_times_ms=list(frame_times_ms or []),
        input_frames=list(input_frames or []),
        warmup=controller.warmup_status(),
        startup_path=startup_path(controller, mode, first_frame_modules),
    )


def startup_path(
    controller: WarmSource, mode: str, first_frame_modules: list[str] | None
) -> StartupPath | None:
    """The start-up path's modules with their importers (None: not known yet, or no recorder)."""
    recorder = controller.finders.recorder
    if recorder is None:
        return None
    if mode == "gui":
        if first_frame_modules is None:
            return None
        names, until = first_frame_modules, "first_frame"
    else:
        elsewhere = {load.name for load in recorder.loads if load.thread != "MainThread"}
        names, until = [n for n in list(sys.modules) if n not in elsewhere], "warm_done"
    importers = recorder.importers
    return StartupPath(until=until, modules={n: importers.get(n, "") for n in names})


def write(path: str | Path, report: StartupReport) -> None:
    """Write the report atomically (pretty-printed: people read it too)."""
    files.write_json_atomic(Path(path), report, indent=1)


class ReportWriter:
    """The report of one run, written on warm completion and again at exit (either mode)."""

    def __init__(self, controller: WarmSource, *, mode: str, path: str | None) -> None:
        self.controller, self.mode, self.path = controller, mode, path
        self.warm_done_epoch: float | None = None
        self.first_frame_epoch: float | None = None
        self.first_frame_cpu_s: float | None = None
        self.warm_done_cpu_s: float | None = None
        self.chat_ready_epoch: float | None = None
        self.frame_times_ms: list[float] = []
        self.input_frames: list[InputFrame] = []
        self._last_mouse: tuple[float, float] | None = None
        self.first_frame_modules: list[str] | None = None

    def mark_first_frame(self) -> float:
        """Note the first presented frame (GUI); returns its epoch."""
        self.first_frame_cpu_s = time.process_time()
        self.first_frame_epoch = time.time()
        self.first_frame_modules = list(sys.modules)  # after the frame: costs it nothing
        return self.first_frame_epoch

    def note_frame(self, epoch: float, mouse_x: float, mouse_y: float) -> None:
        """A presented frame (GUI) and where ImGui saw the mouse in it: listed when it moved
        (an input latency is measured from outside against these)."""
        if (mouse_x, mouse_y) == self._last_mouse or mouse_x < -1e6:  # -FLT_MAX: not in window
            return
        done = self.warm_done_epoch
        if done is not None and epoch > done + INPUT_AFTER_WARM_S:
            return
        self._last_mouse = (mouse_x, mouse_y)
        self.input_frames.append(InputFrame(mouse=[mouse_x, mouse_y], epoch=epoch))

    def mark_chat_ready(self) -> None:
        if self.chat_ready_epoch is None:
            self.chat_ready_epoch = time.time()

    def mark_warm(self) -> None:
        self.warm_done_cpu_s = time.process_time()
        self.warm_done_epoch = time.time()
        self.write()

    def build(self) -> StartupReport:
        return build(
            self.controller,
            mode=self.mode,
            first_frame_epoch=self.first_frame_epoch,
            frame_times_ms=self.frame_times_ms,
            warm_done_epoch=self.warm_done_epoch,
            first_frame_cpu_s=self.first_frame_cpu_s,
            warm_done_cpu_s=self.warm_done_cpu_s,
            chat_ready_epoch=self.chat_ready_epoch,
            input_frames=self.input_frames,
            first_frame_modules=self.first_frame_modules,
        )

    def write(self) -> None:
        if not self.path:
            return
        try:
            write(self.path, self.build())
        except OSError as exc:
            log.warning("cannot write the startup report to %s: %s", self.path, exc)
