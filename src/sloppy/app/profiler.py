"""Named, nestable, thread-safe timing of start-up phases.

Instead of sprinkling ``t = time.perf_counter()`` around start-up code, wrap each step in
``with PROFILER.phase("name"):``; the diagnostics panel, the hook API and the startup report
all read ``PROFILER.phases()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypedDict


class PhaseDict(TypedDict):
    """A phase as JSON (the hook API, the report, the diagnostics panel)."""

    name: str
    start_epoch: float
    duration_s: float | None
    depth: int
    thread: str


class Phase:
    """One timed phase; ``duration_s`` is None while it is still open."""

    __slots__ = ("depth", "duration_s", "name", "start_epoch", "thread")

    def __init__(self, name: str, start_epoch: float, depth: int, thread: str) -> None:
        self.name, self.start_epoch, self.depth, self.thread = name, start_epoch, depth, thread
        self.duration_s: float | None = None

    def as_dict(self) -> PhaseDict:
        return PhaseDict(
            name=self.name,
            start_epoch=self.start_epoch,
            duration_s=self.duration_s,
            depth=self.depth,
            thread=self.thread,
        )


class StartupProfiler:
    """Collects phases from any thread; nesting is tracked per thread."""

    def __init__(self, process_start_epoch: float | None = None) -> None:
        self.process_start_epoch = process_start_epoch or time.time()
        self._phases: list[Phase] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the body as phase ``name``; phases opened inside it are its children."""
        depth = getattr(self._local, "depth", 0)
        entry = Phase(name, time.time(), depth, threading.current_thread().name)
        start = time.perf_counter()
        with self._lock:
            self._phases.append(entry)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            entry.duration_s = time.perf_counter() - start

    def record(self, name: str, start_epoch: float, end_epoch: float) -> None:
        """Add a phase measured elsewhere (a span across callbacks, e.g. window creation)."""
        entry = Phase(name, start_epoch, 0, threading.current_thread().name)
        entry.duration_s = end_epoch - start_epoch
        with self._lock:
            self._phases.append(entry)

    def phases(self) -> list[PhaseDict]:
        """A snapshot of every phase, in start order, as plain dicts."""
        with self._lock:
            return [p.as_dict() for p in self._phases]


#: The process-wide profiler: the launcher, the controller and the GUI all record here.
PROFILER = StartupProfiler()
