"""Frames: when the window idles (``pace_idling``), the rate cap while warming (50 fps, 35 when
other processes want the CPU), what wakes a frame from another thread, and which input asks
for more than one frame.

Instead of one fixed ``fps_max``, ask ``FrameCap.fps()`` each frame. Every frame drawn while
the lane imports is CPU the lane does not get; on a free machine 50 fps keeps frame times
inside the 33 ms target, and when other processes keep a core busy (the CPU the machine spent
minus this process's own, from ``/proc/stat``) the window draws fewer frames so the lane is not
squeezed between them and the GUI. Elsewhere than Linux the cap stays at the free rate.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from imgui_bundle import hello_imgui, imgui

from sloppy.ui.events import EventBus
from sloppy.warm.engine import _require_warmed, is_warm

log = logging.getLogger(__name__)

#: ImGui input events a single frame answers (the pointer moved, or entered a viewport);
#: anything else (a button, a key, text, the wheel, focus) may open, close or resize a window,
#: which ImGui settles over the next frames.
_ONE_FRAME_INPUT = frozenset({1, 4})  # ImGuiInputEventType_MousePos, _MouseViewport

#: Frame rate while nothing moves (hello_imgui idles until an event or this timeout); NERV's
#: beam and pulse are animated, so it idles faster. Busy rendering burned a core where idling
#: barely shows (docs/design.md).
IDLE_FPS = 9.0
IDLE_FPS_EFFECTS = 30.0
#: While warming, the window draws when something changes: input (at once), the lane's
#: progress and posted events (woken from the pool: ``Waker``), and
#: otherwise at this rate (the ETA's countdown, a toast's fade). Frames nobody needs are CPU
#: taken from the lane; animations (a fade, NERV's beam) run at this rate until warm.
WARM_IDLE_FPS = 2.0
#: hello_imgui keeps drawing at full speed this long after an input event (its default, once
#: warm); while warming one frame answers a move, and a click or key gets ``input_wants_frames``.
ACTIVE_AFTER_EVENT_S = 3.0

#: hello_imgui never idles during its first frames (``mIdxFrame < 12`` in its runner): they are
#: drawn whatever sloppy asks, so they are not capped either. A cap would only spread them out,
#: and input arriving meanwhile would wait behind them longer.
STARTUP_FRAMES = 12

FREE_FPS = 50.0
BUSY_FPS = 35.0
#: Other processes' CPU use, in cores, from which the machine counts as busy.
BUSY_CORES = 0.5
#: How often the CPU counters are read (the decision holds in between).
SAMPLE_S = 0.25

#: ``() -> (machine busy CPU seconds, this process's CPU seconds)``, or None if unknown.
Counters = Callable[[], tuple[float, float] | None]


def proc_counters() -> tuple[float, float] | None:
    """CPU seconds the whole machine and this process have spent (Linux ``/proc/stat``)."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None
    if len(fields) < 9 or fields[0] != b"cpu":
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    try:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
    except ValueError:
        return None
    busy = (user + nice + system + irq + softirq + steal) / ticks
    own = os.times()
    return busy, own.user + own.system


class FrameCap:
    """``fps(now)``: the cap for the next frame, re-decided every ``SAMPLE_S``."""

    def __init__(self, *, counters: Counters = proc_counters) -> None:
        self._counters = counters
        self._last: tuple[float, float, float] | None = None  # (wall, busy, own)
        self._next = -float("inf")
        self._busy = False

    def fps(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        if now >= self._next:
            self._next = now + SAMPLE_S
            self._sample(now)
        return BUSY_FPS if self._busy else FREE_FPS

    def _sample(self, now: float) -> None:
        counters = self._counters()
        last, self._last = self._last, None if counters is None else (now, *counters)
        if counters is None or last is None or now <= last[0]:
            return
        others = ((counters[0] - last[1]) - (counters[1] - last[2])) / (now - last[0])
        busy = others >= BUSY_CORES
        if busy != self._busy:
            log.info(
                "other processes use %.1f cores: %g fps while warming",
                others,
                BUSY_FPS if busy else FREE_FPS,
            )
        self._busy = busy


def pace_idling(
    idling: hello_imgui.FpsIdling,
    *,
    warming: bool,
    busy: bool,
    fading: bool,
    effects: bool,
    cap_fps: float,
) -> None:
    """Set hello_imgui's idling for the next frame (call once a frame).

    While warming, draw only when something changed: a streamed reply (``busy``) draws every
    frame, capped at ``cap_fps`` (Xvfb and llvmpipe have no vsync: frames beyond what the eye
    needs are CPU taken from the lane); otherwise input, the lane and posted events wake a
    frame and nothing animated asks for more than ``WARM_IDLE_FPS``. Once warm, idle as
    hello_imgui does, uncapped, and draw every frame while a reply streams or a toast fades.
    """
    if warming:
        idling.enable_idling = not busy
        idling.fps_idle = WARM_IDLE_FPS
        idling.time_active_after_last_event = 0.0
    else:
        idling.enable_idling = not (busy or fading)
        idling.fps_idle = IDLE_FPS_EFFECTS if effects else IDLE_FPS
        idling.time_active_after_last_event = ACTIVE_AFTER_EVENT_S
    idling.fps_max = cap_fps if warming else 0.0


def input_wants_frames() -> bool:
    """True when this frame's input needs the next frames at full speed (a click, a key, text,
    the wheel): a window that appears is sized on its second frame, a popup opens on the next."""
    trail = imgui.get_current_context().input_events_trail
    return any(int(trail[i].type) not in _ONE_FRAME_INPUT for i in range(trail.size()))


class Waker:
    """Wakes the window's idle wait from any thread: ``waker()`` (arguments ignored, so it can be
    a callback of anything).

    Instead of ``hello_imgui.request_refresh``, which draws two frames, GLFW's
    ``glfwPostEmptyEvent`` draws one: through ``glfw_module`` (``ui.window_title``, which holds
    imgui_bundle's GLFW library) once it is warm and while the window is open (``opened`` at
    ``post_init``, ``closing`` at ``before_exit``: GLFW must not be called once it is torn down).
    """

    def __init__(self, glfw_module: str) -> None:
        self._module = glfw_module
        self._lock = threading.Lock()
        self._open = False

    def opened(self) -> None:
        with self._lock:
            self._open = True

    def closing(self) -> None:
        with self._lock:
            self._open = False

    def __call__(self, *_args: object) -> None:
        with self._lock:
            if self._open and is_warm(self._module) and _require_warmed(self._module).wake():
                return
        hello_imgui.request_refresh()


class WakingEventBus(EventBus):
    """``EventBus`` whose ``post`` (from any thread) also wakes the window's idle wait."""

    def __init__(self, wake: Callable[[], Any]) -> None:
        super().__init__()
        self._wake = wake

    def post(self, kind: str, /, **data: Any) -> None:
        super().post(kind, **data)
        self._wake()
