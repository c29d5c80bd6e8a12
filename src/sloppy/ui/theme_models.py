"""What a theme is: colours by imgui colour name, a few style numbers, optional effects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

RGBA = tuple[float, float, float, float]


class Theme(NamedTuple):
    """A theme; ``colors`` maps ``imgui.Col_`` member names to RGBA in 0..1."""

    name: str
    label: str
    colors: Mapping[str, RGBA]
    rounding: float = 4.0
    accent: RGBA = (0.26, 0.59, 0.98, 1.0)
    ok: RGBA = (0.30, 0.85, 0.40, 1.0)
    warn: RGBA = (0.95, 0.80, 0.20, 1.0)
    error: RGBA = (0.95, 0.35, 0.30, 1.0)
    effects: bool = False  # True: draw ``theme_nerv_fx`` effects over the window
