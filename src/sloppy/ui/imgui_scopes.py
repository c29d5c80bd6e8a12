"""Scoped imgui state: ``with`` blocks that always pop what they push.

Instead of matching ``imgui.push_text_wrap_pos`` with its pop by hand, write
``with text_wrap():``. imgui_bundle's ``imgui_ctx`` covers the begin/end pairs; this module
adds the scopes sloppy needs beyond it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from imgui_bundle import imgui

RGBA = tuple[float, float, float, float]


@contextmanager
def text_wrap(width: float = 0.0) -> Iterator[None]:
    """Wrap text at ``width`` (0: the window's right edge)."""
    imgui.push_text_wrap_pos(width)
    try:
        yield
    finally:
        imgui.pop_text_wrap_pos()
