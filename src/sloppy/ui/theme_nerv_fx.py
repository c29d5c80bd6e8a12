"""NERV effects drawn over the whole window: CRT scanlines, a sweeping beam, corner brackets."""

from __future__ import annotations

import math

from imgui_bundle import imgui

LINE_STEP = 3.0


def _col(r: float, g: float, b: float, a: float) -> int:
    return imgui.get_color_u32(imgui.ImVec4(r, g, b, a))


def draw(t: float) -> None:
    """Draw the effects for time ``t`` (seconds) on the foreground draw list."""
    vp = imgui.get_main_viewport()
    x0, y0 = vp.pos.x, vp.pos.y
    w, h = vp.size.x, vp.size.y
    dl = imgui.get_foreground_draw_list()
    dark = _col(0.0, 0.0, 0.0, 0.16)
    y = y0
    while y < y0 + h:
        dl.add_line(imgui.ImVec2(x0, y), imgui.ImVec2(x0 + w, y), dark, 1.0)
        y += LINE_STEP
    beam_y = y0 + (t * 90.0) % max(h, 1.0)
    dl.add_rect_filled(
        imgui.ImVec2(x0, beam_y), imgui.ImVec2(x0 + w, beam_y + 2.0), _col(1.0, 0.5, 0.1, 0.07)
    )
    pulse = 0.45 + 0.35 * (0.5 + 0.5 * math.sin(t * 2.0))
    orange = _col(1.0, 0.45, 0.05, pulse)
    arm = 26.0
    for cx, cy, dx, dy in (
        (x0, y0, 1, 1),
        (x0 + w, y0, -1, 1),
        (x0, y0 + h, 1, -1),
        (x0 + w, y0 + h, -1, -1),
    ):
        inset_x, inset_y = cx + 4 * dx, cy + 4 * dy
        dl.add_line(
            imgui.ImVec2(inset_x, inset_y), imgui.ImVec2(inset_x + arm * dx, inset_y), orange, 2.0
        )
        dl.add_line(
            imgui.ImVec2(inset_x, inset_y), imgui.ImVec2(inset_x, inset_y + arm * dy), orange, 2.0
        )
