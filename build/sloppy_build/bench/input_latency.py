"""Input latency from outside: move the mouse while the app starts, read when a frame showed it.

Instead of frame-interval percentiles (which punish a window that rightly draws nothing while
nothing changes), ``Driver`` moves the X pointer to a new, distinct position every 50-100 ms
with XTest (what ``xdotool mousemove`` does, through libXtst in-process: no process spawned per
move, and the send time is taken right at the request) and notes when it sent each. The app's
startup report lists, for each frame in which ImGui saw the mouse move, the position and that
frame's swap epoch (``input_frames``). A send's latency is the swap epoch of the first frame
showing its position, or a later one, minus its send time.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import random
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

#: Time between two moves: random in this range (seconds), so moves never beat with frames.
INTERVAL_S = (0.05, 0.1)
#: Where the moves go: well inside the 1200 x 800 window on the benchmark's 1280 x 800 screen.
AREA = ((120, 1080), (120, 680))


class Send(NamedTuple):
    epoch: float
    x: int
    y: int


class _XTest:
    """``XTestFakeMotionEvent`` on a connection of our own; ``XSync`` so the server has it."""

    def __init__(self, display: str) -> None:
        x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        xtst.XTestFakeMotionEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self._x11, self._xtst = x11, xtst
        self._dpy = x11.XOpenDisplay(display.encode())
        if not self._dpy:
            raise OSError(f"cannot open X display {display}")

    def move(self, x: int, y: int) -> float:
        sent = time.time()
        self._xtst.XTestFakeMotionEvent(self._dpy, -1, x, y, 0)
        self._x11.XSync(self._dpy, 0)
        return sent

    def close(self) -> None:
        self._x11.XCloseDisplay(self._dpy)


class _Xdotool:
    """The ``xdotool`` command, when libXtst cannot be loaded (one process per move)."""

    def __init__(self, display: str) -> None:
        exe = shutil.which("xdotool")
        if exe is None:
            raise OSError("neither libXtst nor xdotool is available")
        self._cmd, self._env = exe, {"DISPLAY": display}

    def move(self, x: int, y: int) -> float:
        sent = time.time()
        subprocess.run(
            [self._cmd, "mousemove", str(x), str(y)], env=self._env, check=False, timeout=5
        )
        return sent

    def close(self) -> None:
        pass


def positions(seed: int) -> Iterator[tuple[int, int]]:
    """Distinct pointer positions in ``AREA``, in a random order (no two alike in a run)."""
    rng = random.Random(seed)
    seen: set[tuple[int, int]] = set()
    (x0, x1), (y0, y1) = AREA
    while True:
        pos = (rng.randrange(x0, x1), rng.randrange(y0, y1))
        if pos not in seen:
            seen.add(pos)
            yield pos


class Driver:
    """Moves the pointer on ``display`` from ``start()`` until ``stop()``; ``sends`` lists them."""

    def __init__(self, display: str, seed: int = 0) -> None:
        try:
            self._mouse: _XTest | _Xdotool = _XTest(display)
        except OSError:
            self._mouse = _Xdotool(display)
        self._rng = random.Random(seed)
        self._positions = positions(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-mouse", daemon=True)
        self.sends: list[Send] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[Send]:
        self._stop.set()
        self._thread.join(5)
        self._mouse.close()
        return self.sends

    def _run(self) -> None:
        while not self._stop.is_set():
            x, y = next(self._positions)
            self.sends.append(Send(self._mouse.move(x, y), x, y))
            self._stop.wait(self._rng.uniform(*INTERVAL_S))


@contextlib.contextmanager
def driving(display: str | None, seed: int = 0) -> Iterator[list[Send]]:
    """Move the mouse for the duration of the block (nothing without a display)."""
    if not display:
        yield []
        return
    driver = Driver(display, seed)
    driver.start()
    try:
        yield driver.sends
    finally:
        driver.stop()


def _offset(sends: list[Send], frames: list[dict[str, Any]]) -> tuple[int, int]:
    """The window's origin on the screen: the commonest send - seen difference."""
    votes: Counter[tuple[int, int]] = Counter()
    for f in frames:
        fx, fy = (round(float(v)) for v in f["mouse"])
        for s in sends:
            if s.epoch <= float(f["epoch"]):
                votes[(s.x - fx, s.y - fy)] += 1
    return votes.most_common(1)[0][0] if votes else (0, 0)


def latencies(report: dict[str, Any], sends: list[Send]) -> tuple[list[float], int]:
    """Latency (ms) of each send between the first frame and warm done, and how many sends no
    frame showed before the app exited."""
    frames = report.get("input_frames")
    start, end = report.get("first_frame_epoch"), report.get("warm_done_epoch")
    if not frames or start is None or end is None or not sends:
        return [], 0
    ox, oy = _offset(sends, frames)
    index = {(s.x - ox, s.y - oy): i for i, s in enumerate(sends)}
    shown = [
        (float(f["epoch"]), index.get((round(float(f["mouse"][0])), round(float(f["mouse"][1])))))
        for f in frames
    ]
    out, unanswered = [], 0
    for i, s in enumerate(sends):
        if not float(start) <= s.epoch <= float(end):
            continue
        seen = next((e for e, j in shown if j is not None and j >= i and e >= s.epoch), None)
        if seen is None:
            unanswered += 1
        else:
            out.append((seen - s.epoch) * 1000.0)
    return out, unanswered


Percentile = Callable[[list[float], float], float | None]


def metrics(
    report: dict[str, Any], sends: list[Send], percentile: Percentile
) -> dict[str, float | None]:
    """``input_latency_p99_ms`` and ``input_latency_max_ms`` (None when nothing was measured);
    ``percentile`` is the runner's (the runner imports this module)."""
    values, _unanswered = latencies(report, sends)
    return {
        "input_latency_p99_ms": percentile(values, 0.99),
        "input_latency_max_ms": max(values) if values else None,
    }
