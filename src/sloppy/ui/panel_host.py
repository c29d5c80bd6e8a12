"""What every panel needs of the window, and small drawing helpers the panels share.

``PanelHost`` is a Protocol so that no panel imports ``gui_2`` (the window imports them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from imgui_bundle import hello_imgui, imgui

from sloppy.providers.table import PROVIDER_SDK

if TYPE_CHECKING:
    from sloppy.app.controller import AppController
    from sloppy.app.report import ReportWriter
    from sloppy.providers.chat import ChatSession
    from sloppy.store.settings import Settings
    from sloppy.ui.actions import ChatActions, KeyActions
    from sloppy.ui.theme_models import Theme


class PanelHost(Protocol):
    """What the panels need of the window (``gui_2.SloppyGui`` is one): no import of it."""

    params: hello_imgui.RunnerParams
    controller: AppController
    chat: ChatSession
    report: ReportWriter
    settings: Settings
    prompt: str
    actions: ChatActions
    key_actions: KeyActions

    @property
    def theme(self) -> Theme: ...
    def send(self) -> None: ...
    def save_settings(self) -> None: ...
    def resend_edited(self) -> None: ...
    def set_provider(self, provider: str) -> None: ...
    def set_model(self, model: str, *, save: bool = False) -> None: ...


def sdk_of(provider: str) -> str:
    return PROVIDER_SDK[provider]


def item_rect() -> list[float]:
    """The last item's screen rectangle ``[x0, y0, x1, y1]`` (GUI tests click it)."""
    lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
    return [lo.x, lo.y, hi.x, hi.y]


def table(table_id: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A bordered table of text cells."""
    flags = imgui.TableFlags_.borders.value | imgui.TableFlags_.row_bg.value
    if imgui.begin_table(table_id, len(header), flags):
        for name in header:
            imgui.table_setup_column(name)
        imgui.table_headers_row()
        for row in rows:
            imgui.table_next_row()
            for col, cell in enumerate(row):
                imgui.table_set_column_index(col)
                imgui.text_unformatted(cell)
        imgui.end_table()
