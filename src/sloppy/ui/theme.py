"""Themes: the default one lives here (first-frame path); NERV is warmed and reached by name.

Instead of importing every theme up front, ``get(name)`` returns the default at once and the
NERV theme through ``_require_warmed`` (``available(name)`` says whether that is instant).
"""

from __future__ import annotations

import zlib
from typing import Any

from imgui_bundle import imgui

from sloppy.ui.theme_models import Theme
from sloppy.warm.engine import _require_warmed, is_warm

DEFAULT = Theme(
    name="default",
    label="Default (dark)",
    colors={
        "window_bg": (0.11, 0.12, 0.14, 1.0),
        "child_bg": (0.13, 0.14, 0.17, 1.0),
        "popup_bg": (0.10, 0.11, 0.13, 0.98),
        "frame_bg": (0.19, 0.21, 0.25, 1.0),
        "frame_bg_hovered": (0.25, 0.28, 0.34, 1.0),
        "title_bg_active": (0.16, 0.29, 0.48, 1.0),
        "menu_bar_bg": (0.14, 0.15, 0.18, 1.0),
        "button": (0.20, 0.38, 0.62, 1.0),
        "button_hovered": (0.26, 0.48, 0.78, 1.0),
        "header": (0.20, 0.33, 0.52, 1.0),
        "text": (0.92, 0.93, 0.95, 1.0),
    },
)

#: Theme name -> the warm-listed module that defines it (None: defined here).
THEMES: dict[str, str | None] = {"default": None, "nerv": "sloppy.ui.theme_nerv"}
LABELS = {"default": "Default (dark)", "nerv": "NERV"}


def available(name: str) -> bool:
    """True if ``get(name)`` will not wait."""
    module = THEMES.get(name)
    return module is None or is_warm(module)


def get(name: str) -> Theme:
    """The theme called ``name`` (unknown names give the default)."""
    module = THEMES.get(name)
    if module is None:
        return DEFAULT
    theme: Theme = _require_warmed(module).THEME
    return theme


#: The style as it was before the first ``apply`` (sizes, spacing, rounding, colours), so that
#: every theme starts from the same base: a theme that changes a field does not leave it
#: behind for the next. Font scales are not part of a theme (zoom, DPI).
_base: dict[str, Any] | None = None
_KEPT = ("font_scale_main", "font_scale_dpi", "font_size_base")


def _style_fields(style: imgui.Style) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in dir(style):
        if name.startswith("_") or name in _KEPT:
            continue
        value = getattr(style, name)
        if isinstance(value, imgui.ImVec2):
            fields[name] = imgui.ImVec2(value.x, value.y)
        elif isinstance(value, (bool, int, float, imgui.Dir)):
            fields[name] = value
    return fields


def style_digest() -> str:
    """A short fingerprint of the whole current style (tests compare two looks by it)."""
    style = imgui.get_style()
    parts = [
        f"{k}={(v.x, v.y) if isinstance(v, imgui.ImVec2) else v}"
        for k, v in sorted(_style_fields(style).items())
    ]
    for i in range(imgui.Col_.count.value):
        c = style.color_(i)
        parts.append(f"{c.x:.3f},{c.y:.3f},{c.z:.3f},{c.w:.3f}")
    return f"{zlib.crc32(';'.join(parts).encode()):08x}"


def apply(theme: Theme) -> None:
    """Set imgui's style from ``theme`` on the base style (call on the GUI thread)."""
    global _base
    style = imgui.get_style()
    if _base is None:
        _base = _style_fields(style)
    else:
        for name, value in _base.items():
            setattr(style, name, value)
    imgui.style_colors_dark()
    for name, rgba in theme.colors.items():
        col = getattr(imgui.Col_, name, None)
        if col is not None:
            style.set_color_(col, imgui.ImVec4(*rgba))
    style.window_rounding = style.frame_rounding = style.grab_rounding = theme.rounding
    style.popup_rounding = style.child_rounding = theme.rounding
