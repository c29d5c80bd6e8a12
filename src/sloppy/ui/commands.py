"""The command table: every user command declared once; the menus and the palette read it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from imgui_bundle import imgui

from sloppy.providers.table import PROVIDER_LABELS, PROVIDERS
from sloppy.ui import theme

if TYPE_CHECKING:
    from sloppy.ui.actions import ChatActions


class Command(NamedTuple):
    """One user command, declared once: the palette lists it, ``menu`` also puts it in a menu."""

    id: str
    title: str  # as the palette shows it
    action: Callable[[], None]
    hint: str = ""  # the palette's group label
    menu: str = ""  # "File", "Theme", "Tools", or "" (palette only)
    label: str = ""  # the menu item's text, when it differs from the title
    shortcut: str = ""
    checked: Callable[[], bool] | None = None
    separator: bool = False  # a menu separator above this item
    palette: bool = True


#: Ctrl+plus / Ctrl+minus step of the text size (``settings.font_scale``).
ZOOM_STEP = 0.1
#: The menu bar, in order; each menu lists the table's commands that name it.
MENUS = ("File", "Theme", "Tools")


class CommandHost(Protocol):
    """What the commands act on (``gui_2.SloppyGui`` is one)."""

    actions: ChatActions

    def quit(self) -> None: ...
    def set_provider(self, provider: str) -> None: ...
    def set_theme(self, name: str, *, save: bool = True) -> None: ...
    def is_theme(self, name: str) -> bool: ...
    def toggle_palette(self) -> None: ...
    def focus(self, panel: str) -> None: ...
    def stop_reply(self) -> None: ...
    def zoom(self, step: float) -> None: ...
    def toggle_conversations(self) -> None: ...
    def conversations_shown(self) -> bool: ...


def command_table(host: CommandHost) -> tuple[Command, ...]:
    """Every command of the menus and the palette (one table)."""
    theme_cmds = [
        Command(
            f"theme.{n}",
            f"Switch theme: {label}",
            functools.partial(host.set_theme, n),
            "theme",
            menu="Theme",
            label=label,
            checked=functools.partial(host.is_theme, n),
        )
        for n, label in theme.LABELS.items()
    ]
    provider_cmds = [
        Command(
            f"provider.{p}",
            f"Switch provider: {PROVIDER_LABELS[p]}",
            functools.partial(host.set_provider, p),
            "provider",
        )
        for p in PROVIDERS
    ]
    return (
        Command("discussion.new", "New discussion", host.actions.new, "discussion", menu="File"),
        Command(
            "discussion.clear",
            "Clear discussion",
            host.actions.clear,
            "discussion",
            menu="File",
        ),
        Command(
            "discussion.save",
            "Save discussion",
            host.actions.save,
            "discussion",
            menu="File",
        ),
        Command("quit", "Quit sloppy", host.quit, menu="File", label="Quit", separator=True),
        *provider_cmds,
        *theme_cmds,
        Command(
            "palette",
            "Command palette",
            host.toggle_palette,
            menu="Tools",
            shortcut="Ctrl+Shift+P",
            palette=False,
        ),
        Command(
            "diagnostics",
            "Open diagnostics",
            functools.partial(host.focus, "Diagnostics"),
            menu="Tools",
            label="Diagnostics",
        ),
        Command("reply.stop", "Stop the reply", host.stop_reply, shortcut="Esc"),
        Command(
            "view.conversations",
            "Show or hide the conversations list",
            host.toggle_conversations,
            "view",
            menu="Tools",
            label="Conversations",
            checked=host.conversations_shown,
            separator=True,
        ),
        Command(
            "view.zoom_in",
            "Larger text",
            functools.partial(host.zoom, ZOOM_STEP),
            "view",
            menu="Tools",
            shortcut="Ctrl++",
        ),
        Command(
            "view.zoom_out",
            "Smaller text",
            functools.partial(host.zoom, -ZOOM_STEP),
            "view",
            menu="Tools",
            shortcut="Ctrl+-",
        ),
        Command(
            "view.zoom_reset",
            "Reset text size",
            functools.partial(host.zoom, 0.0),
            "view",
            menu="Tools",
            shortcut="Ctrl+0",
        ),
    )


def draw_menus(table: Sequence[Command]) -> None:
    """The menu bar: each of ``MENUS`` with the table's commands that name it."""
    for menu in MENUS:
        if not imgui.begin_menu(menu):
            continue
        for cmd in table:
            if cmd.menu != menu:
                continue
            if cmd.separator:
                imgui.separator()
            checked = cmd.checked() if cmd.checked is not None else False
            if imgui.menu_item(cmd.label or cmd.title, cmd.shortcut, checked)[0]:
                cmd.action()
        imgui.end_menu()
