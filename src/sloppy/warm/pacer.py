"""Keep background imports out of the GUI thread's Python time.

Instead of letting the warm lane fight the GUI thread for the GIL (each of the frame's Python
callbacks then waits up to the switch interval), the GUI marks the span where it runs Python
(``ui_begin`` in ``pre_new_frame``, ``ui_end`` in ``before_imgui_render``) and the lane, at each
module boundary, waits for that span to end. The lane still runs while imgui renders in C++
with the GIL released, so both cores stay busy.
"""

from __future__ import annotations

import threading

#: Longest the lane waits for one UI span; a hung GUI thread must not stall warmup.
MAX_WAIT_S = 0.1


class FramePacer:
    """A flag with a condition: set while the GUI thread runs Python for a frame."""

    def __init__(self) -> None:
        self._cv = threading.Condition(threading.Lock())
        self._in_ui = False

    def ui_begin(self) -> None:
        with self._cv:
            self._in_ui = True

    def ui_end(self) -> None:
        with self._cv:
            self._in_ui = False
            self._cv.notify_all()

    def wait_turn(self) -> None:
        """Called on the lane: return when the GUI thread is not in its Python span."""
        with self._cv:
            if self._in_ui:
                self._cv.wait_for(lambda: not self._in_ui, MAX_WAIT_S)
