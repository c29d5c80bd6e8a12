"""Themes: the default one lives here (first-frame path); NERV is warmed and reached by name.

Instead of importing every theme up front, ``get(name)`` returns the default at once and the
NERV theme through ``_require_warmed`` (``available(name)`` says whether that is instant).
"""

from __future__ import annotations

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


def apply(theme: Theme) -> None:
    """Set imgui's style colours and rounding from ``theme`` (call on the GUI thread)."""
    imgui.style_colors_dark()
    style = imgui.get_style()
    for name, rgba in theme.colors.items():
        col = getattr(imgui.Col_, name, None)
        if col is not None:
            style.set_color_(col, imgui.ImVec4(*rgba))
    style.window_rounding = style.frame_rounding = style.grab_rounding = theme.rounding
    style.popup_rounding = style.child_rounding = theme.rounding
