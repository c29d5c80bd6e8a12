"""Toasts: short messages stacked at the bottom right of the window, each fading out."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imgui_bundle import imgui

from sloppy.ui.panel_host import item_rect
from sloppy.ui.theme_models import Theme

log = logging.getLogger(__name__)

TOAST_S = 4.0
#: A file set aside is the user's data: its toast stays long enough to be read.
ASIDE_TOAST_S = 15.0
#: A toast that offers to undo (a delete, a clear) stays this long.
UNDO_TOAST_S = 10.0
FADE_S = 1.0


@dataclasses.dataclass(slots=True)
class Toast:
    text: str
    kind: str  # info | ok | warn | error
    born: float
    ttl: float = TOAST_S
    #: A button on the toast: (label, what it does); the toast goes when it is pressed.
    action: tuple[str, Callable[[], None]] | None = None


class Toasts:
    """Short messages stacked at the bottom right; each fades out after ``TOAST_S``."""

    def __init__(self) -> None:
        self._items: list[Toast] = []
        #: Screen rectangles of the toasts' buttons, by toast text (GUI tests click them).
        self.rects: dict[str, list[float]] = {}

    def add(
        self,
        text: str,
        kind: str = "info",
        *,
        ttl: float = TOAST_S,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        self._items.append(Toast(text, kind, time.monotonic(), ttl, action))
        log.info("toast: %s", text)

    def texts(self) -> list[str]:
        return [t.text for t in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def draw(self, theme: Theme) -> None:
        now = time.monotonic()
        self._items = [t for t in self._items if now - t.born < t.ttl]
        vp = imgui.get_main_viewport()
        y = vp.pos.y + vp.size.y - 40
        colors = {"ok": theme.ok, "warn": theme.warn, "error": theme.error}
        self.rects = {}
        flags = (
            imgui.WindowFlags_.no_decoration.value
            | imgui.WindowFlags_.no_saved_settings.value
            | imgui.WindowFlags_.always_auto_resize.value
            | imgui.WindowFlags_.no_focus_on_appearing.value
            | imgui.WindowFlags_.no_nav.value
        )
        for i, t in enumerate(reversed(self._items)):
            alpha = min(1.0, (t.ttl - (now - t.born)) / FADE_S)
            imgui.set_next_window_bg_alpha(0.9 * alpha)
            imgui.set_next_window_pos(
                imgui.ImVec2(vp.pos.x + vp.size.x - 16, y), 0, imgui.ImVec2(1.0, 1.0)
            )
            imgui.push_style_var(imgui.StyleVar_.alpha, max(alpha, 0.05))
            # Only a toast with a button takes the mouse; the others let clicks through.
            no_inputs = 0 if t.action else imgui.WindowFlags_.no_inputs.value
            imgui.begin(f"##toast{i}", None, flags | no_inputs)
            rgba = colors.get(t.kind, theme.accent)
            imgui.text_colored(imgui.ImVec4(*rgba), t.text)
            if t.action is not None:
                label, act = t.action
                imgui.same_line()
                if imgui.small_button(label):
                    t.ttl = 0.0
                    act()
                self.rects[t.text] = item_rect()
            y -= imgui.get_window_height() + 6
            imgui.end()
            imgui.pop_style_var()


def warm_done_toast(failed: int, completed: int) -> tuple[str, str]:
    """The toast (text, kind) when warmup finishes."""
    if failed:
        noun = "failure" if failed == 1 else "failures"
        return f"Warmup finished with {failed} {noun} - see Diagnostics", "warn"
    return f"All providers ready ({completed} modules)", "ok"


def aside_text(event: dict[str, Any]) -> str:
    """The toast for a file set aside (``store.aside.events``)."""
    name = Path(event["file"]).name
    if event["set_aside_as"] is None:
        return f"{name} is unreadable and could not be set aside ({event['reason']})"
    return f"{name} was unreadable and set aside as {Path(event['set_aside_as']).name}"
