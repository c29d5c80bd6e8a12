"""Keep background imports out of the GUI thread's Python time.

Instead of letting the warm lane fight the GUI thread for the GIL (each of the frame's Python
callbacks then waits up to the switch interval), the GUI marks the span where it runs Python
(``ui_begin`` in ``pre_new_frame``, ``ui_end`` in ``before_imgui_render``) and the lane, at each
module boundary, waits for that span to end. The lane still runs while imgui renders in C++
with the GIL released, so both cores stay busy. With one CPU there is no second core: the
render then shares the only one with the lane and a frame takes twice as long, so the span
runs to ``after_swap`` (``whole_frame``).
"""

from __future__ import annotations

import os
import threading

#: Longest the lane waits for one UI span; a hung GUI thread must not stall warmup.
MAX_WAIT_S = 0.1


def one_cpu() -> bool:
    """True when this process may run on a single CPU (``taskset``, a cpuset, a 1-core VM)."""
    try:
        return len(os.sched_getaffinity(0)) <= 1
    except AttributeError:  # no affinity call off Linux
        return (os.cpu_count() or 1) <= 1


class FramePacer:
    """A flag with a condition: set while the GUI thread runs Python for a frame (and, with
    ``whole_frame``, until the frame is swapped)."""

    def __init__(self, *, whole_frame: bool = False) -> None:
        self._cv = threading.Condition(threading.Lock())
        self._in_ui = False
        self.whole_frame = whole_frame

    def ui_begin(self) -> None:
        with self._cv:
            self._in_ui = True

    def ui_end(self) -> None:
        with self._cv:
            self._in_ui = False
            self._cv.notify_all()

    def before_render(self) -> None:
        """hello_imgui's ``before_imgui_render``: the Python span ends here."""
        if not self.whole_frame:
            self.ui_end()

    def after_swap(self) -> None:
        """Called first in ``after_swap``: the whole frame's span ends here."""
        if self.whole_frame:
            self.ui_end()

    def wait_turn(self) -> None:
        """Called on the lane: return when the GUI thread is not in its Python span."""
        with self._cv:
            if self._in_ui:
                self._cv.wait_for(lambda: not self._in_ui, MAX_WAIT_S)
