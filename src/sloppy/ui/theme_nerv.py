"""The NERV theme: terminal orange on black, hard corners (effects in ``theme_nerv_fx``)."""

from __future__ import annotations

from sloppy.ui.theme_models import Theme

ORANGE = (1.00, 0.45, 0.05, 1.0)
AMBER = (1.00, 0.66, 0.18, 1.0)
RED = (0.86, 0.08, 0.10, 1.0)
BLACK = (0.02, 0.02, 0.02, 1.0)

THEME = Theme(
    name="nerv",
    label="NERV",
    colors={
        "window_bg": BLACK,
        "child_bg": (0.04, 0.03, 0.02, 1.0),
        "popup_bg": (0.05, 0.03, 0.02, 0.98),
        "border": (1.00, 0.45, 0.05, 0.55),
        "frame_bg": (0.14, 0.06, 0.02, 1.0),
        "frame_bg_hovered": (0.28, 0.11, 0.03, 1.0),
        "frame_bg_active": (0.40, 0.15, 0.03, 1.0),
        "title_bg": (0.10, 0.03, 0.02, 1.0),
        "title_bg_active": (0.55, 0.05, 0.06, 1.0),
        "menu_bar_bg": (0.08, 0.03, 0.02, 1.0),
        "button": (0.55, 0.20, 0.03, 1.0),
        "button_hovered": ORANGE,
        "button_active": RED,
        "header": (0.45, 0.16, 0.03, 1.0),
        "header_hovered": (0.70, 0.26, 0.04, 1.0),
        "tab": (0.20, 0.07, 0.02, 1.0),
        "tab_selected": (0.60, 0.06, 0.07, 1.0),
        "tab_hovered": (0.75, 0.10, 0.08, 1.0),
        "tab_dimmed": (0.12, 0.05, 0.02, 1.0),
        "tab_dimmed_selected": (0.35, 0.06, 0.05, 1.0),
        "tab_selected_overline": ORANGE,
        "docking_preview": (1.00, 0.45, 0.05, 0.5),
        "resize_grip": (1.00, 0.45, 0.05, 0.25),
        "scrollbar_grab": (0.45, 0.16, 0.03, 1.0),
        "table_header_bg": (0.25, 0.08, 0.02, 1.0),
        "text_selected_bg": (1.00, 0.45, 0.05, 0.35),
        "text": AMBER,
        "text_disabled": (0.55, 0.35, 0.15, 1.0),
        "check_mark": ORANGE,
        "plot_histogram": ORANGE,
        "separator": (1.00, 0.45, 0.05, 0.45),
    },
    rounding=0.0,
    accent=ORANGE,
    ok=(0.35, 1.0, 0.35, 1.0),
    warn=AMBER,
    error=RED,
    effects=True,
)
