"""The window's theme: applying one (imgui's style and the GL clear colour), switching by name.

Instead of ``theme.apply(...)`` calls spread over the window, ``ThemeSwitch`` holds the theme
in use and the style fingerprint the hook API reports. A theme whose module is warm-listed
(NERV) loads on the pool first; its ``theme_ready`` event brings it back to the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imgui_bundle import hello_imgui, imgui

from sloppy.ui import theme
from sloppy.ui.events import EventBus
from sloppy.ui.theme_models import Theme
from sloppy.warm.engine import WarmupError


class ThemeSwitch:
    """``current`` theme; ``apply`` on the GUI thread, ``switch`` from anywhere on it."""

    def __init__(
        self,
        params: hello_imgui.RunnerParams,
        *,
        events: EventBus,
        spawn: Callable[[Callable[[], None]], Any],
        toast: Callable[[str], None],
    ) -> None:
        self._params, self._events, self._spawn, self._toast = params, events, spawn, toast
        self.current: Theme = theme.DEFAULT
        #: ``theme.style_digest()`` after the last change (the hook API reports it).
        self.style_digest = ""

    def apply(self, look: Theme) -> None:
        """Make ``look`` the style; the clear colour, which shows between the docked panels
        (``Panels.drop_dockspace_background``), is its window background."""
        self.current = look
        theme.apply(look)
        bg = imgui.get_style().color_(imgui.Col_.window_bg)
        self._params.imgui_window_params.background_color = imgui.ImVec4(bg.x, bg.y, bg.z, 1.0)
        self.note_style()

    def note_style(self) -> None:
        """Fingerprint imgui's style as it is now (whoever set it last)."""
        self.style_digest = theme.style_digest()

    def switch(self, name: str) -> None:
        """Apply ``name`` now if its module is loaded; else load it on the pool (a toast says
        so) and apply it when ``ready`` is called with its ``theme_ready`` event."""
        if theme.available(name):
            self.ready(name)
            return
        self._toast(f"Loading {theme.LABELS[name]} theme...")

        def load() -> None:
            try:
                theme.get(name)
            except WarmupError as exc:
                self._events.post("toast", text=str(exc), kind="error")
                return
            self._events.post("theme_ready", name=name)

        self._spawn(load)

    def ready(self, name: str) -> None:
        self.apply(theme.get(name))

    def clear_color(self) -> list[float]:
        c = self._params.imgui_window_params.background_color
        return [c.x, c.y, c.z, c.w]
