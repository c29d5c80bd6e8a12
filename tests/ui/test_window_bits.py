"""The window's small rules without a window: the welcome text, the title, a theme's reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from imgui_bundle import imgui

from sloppy.ui import theme
from sloppy.ui.discussion_panel import FIRST_RUN, welcome
from sloppy.ui.gui_2 import title_for
from sloppy.ui.theme_nerv import THEME as NERV


def test_the_welcome_names_the_keychain_only_where_there_is_one() -> None:
    assert welcome(None) == FIRST_RUN
    assert "Saved keys go to your system keychain." in welcome(True)
    no_chain = welcome(False)
    assert "Saved keys go to your system keychain" not in no_chain
    assert "no system keychain" in no_chain


def test_the_window_title_names_the_conversation() -> None:
    assert title_for("") == "sloppy"
    assert title_for("Ducks") == "sloppy — Ducks"


@pytest.fixture
def context() -> Iterator[None]:
    ctx = imgui.create_context()
    try:
        yield
    finally:
        imgui.destroy_context(ctx)


def test_default_after_nerv_is_the_default_again(context: None) -> None:
    theme.apply(theme.DEFAULT)
    fresh = theme.style_digest()
    style = imgui.get_style()
    style.tab_rounding = 9.0  # a field no theme sets: the base style brings it back
    theme.apply(NERV)
    assert theme.style_digest() != fresh
    theme.apply(theme.DEFAULT)
    assert theme.style_digest() == fresh
    style.font_scale_main = 1.5  # zoom is not part of a theme
    theme.apply(NERV)
    assert imgui.get_style().font_scale_main == 1.5
