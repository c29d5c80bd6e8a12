"""The status bar: warm-up progress, then ready or failed, and the provider in use."""

from __future__ import annotations

from typing import NamedTuple

from imgui_bundle import imgui

from sloppy.providers.table import PROVIDER_LABELS
from sloppy.ui.theme_models import Theme
from sloppy.warm import warmlist
from sloppy.warm.engine import WarmStatus


class StatusBar(NamedTuple):
    """What the status bar shows; drawn every frame and reported by ``/api/gui/state``."""

    text: str
    dot: str = ""  # "ok" (green), "warn" (yellow), "" while warming
    progress: float | None = None
    detail: str = ""
    provider: str = ""


def status_bar(status: WarmStatus, eta_s: float | None, provider: str, model: str) -> StatusBar:
    """The status bar for a warmup ``status``: progress while warming, then ready or failed."""
    where = f"{PROVIDER_LABELS[provider]}: {model}"
    if not status["done"]:
        total = len(status["order"])
        done = len(status["completed"]) + len(status["failed"])
        details = []
        if eta_s is not None:
            details.append(f"~{eta_s:.1f} s left")
        if status["in_flight"]:
            details.append(f"loading {warmlist.label(status['in_flight'][0])}")
        return StatusBar(
            f"Warming up... ({done}/{total})",
            progress=done / max(total, 1),
            detail="  ".join(details),
            provider=where,
        )
    if status["failed"]:
        return StatusBar(f"Imports: {len(status['failed'])} failed", "warn", provider=where)
    return StatusBar("All imports ready", "ok", provider=where)


def draw_status_bar(bar: StatusBar, theme: Theme) -> None:
    """Draw ``bar`` in hello_imgui's status bar: the dot, the text, progress, details."""
    if bar.dot:
        _dot(theme.ok if bar.dot == "ok" else theme.warn)
    imgui.text(bar.text)
    if bar.progress is not None:
        imgui.same_line()
        imgui.progress_bar(bar.progress, imgui.ImVec2(140, 0), "")
    if bar.detail:
        imgui.same_line()
        imgui.text_disabled(bar.detail)
    imgui.same_line()
    imgui.text_disabled(f"  |  {bar.provider}")


def _dot(rgba: tuple[float, float, float, float]) -> None:
    pos = imgui.get_cursor_screen_pos()
    h = imgui.get_text_line_height()
    imgui.get_window_draw_list().add_circle_filled(
        imgui.ImVec2(pos.x + h / 2, pos.y + h / 2),
        h / 3,
        imgui.get_color_u32(imgui.ImVec4(*rgba)),
    )
    imgui.dummy(imgui.ImVec2(h, h))
    imgui.same_line()
