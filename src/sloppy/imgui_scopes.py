"""Scoped imgui state: ``with`` blocks that always pop what they push.

Instead of matching ``imgui.push_style_color`` with ``pop_style_color`` by hand, write
``with style_colors({imgui.Col_.text: rgba}):``. imgui_bundle's ``imgui_ctx`` covers begin/end
pairs; this adds the few scopes sloppy needs beyond it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from imgui_bundle import imgui, imgui_ctx

RGBA = tuple[float, float, float, float]

__all__ = ["RGBA", "disabled", "imgui_ctx", "style_colors", "text_wrap"]


@contextmanager
def style_colors(colors: Mapping[int, RGBA]) -> Iterator[None]:
    """Push each ``{Col_: rgba}`` for the body."""
    for col, rgba in colors.items():
        imgui.push_style_color(col, imgui.ImVec4(*rgba))
    try:
        yield
    finally:
        imgui.pop_style_color(len(colors))


@contextmanager
def disabled(flag: bool = True) -> Iterator[None]:
    """Grey out and ignore input for the body when ``flag``."""
    imgui.begin_disabled(flag)
    try:
        yield
    finally:
        imgui.end_disabled()


@contextmanager
def text_wrap(width: float = 0.0) -> Iterator[None]:
    """Wrap text at ``width`` (0: the window's right edge)."""
    imgui.push_text_wrap_pos(width)
    try:
        yield
    finally:
        imgui.pop_text_wrap_pos()
