"""The docking layout: which panel sits where. Each panel is its own module; nothing blocks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from imgui_bundle import hello_imgui, imgui

from sloppy.ui.conversations_panel import ConversationsPanel
from sloppy.ui.diagnostics_panel import DiagnosticsPanel
from sloppy.ui.discussion_panel import DiscussionPanel
from sloppy.ui.panel_host import PanelHost
from sloppy.ui.provider_panel import ProviderPanel

#: hello_imgui keeps a docking layout per name in its ini file. A layout saved before the
#: Conversations panel existed ("Default") would leave that panel floating: a new name starts
#: from the layout below once (the window's size and place are kept apart and stay).
LAYOUT_NAME = "sloppy"


class Panels:
    """The window's panels and their docking layout."""

    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self.discussion = DiscussionPanel(gui)
        self.provider = ProviderPanel(gui)
        self.diagnostics = DiagnosticsPanel(gui)
        self.conversations = ConversationsPanel(gui)
        #: Where each panel's window was last drawn, ``[x0, y0, x1, y1]`` (for the hook API).
        self.window_rects: dict[str, list[float]] = {}

    @property
    def key_notes(self) -> dict[str, str]:
        return self.provider.key_notes

    def docking(self) -> hello_imgui.DockingParams:
        d = hello_imgui.DockingParams()
        d.layout_name = LAYOUT_NAME
        d.docking_splits = [
            hello_imgui.DockingSplit("MainDockSpace", "SideSpace", imgui.Dir.right, 0.30),
            hello_imgui.DockingSplit("MainDockSpace", "ListSpace", imgui.Dir.left, 0.24),
        ]
        windows = []
        for label, space, fn in (
            ("Discussion", "MainDockSpace", self.discussion.draw),
            ("Conversations", "ListSpace", self.conversations.draw),
            ("Provider", "SideSpace", self.provider.draw),
            ("Diagnostics", "SideSpace", self.diagnostics.draw),
        ):
            w = hello_imgui.DockableWindow()
            w.label, w.dock_space_name = label, space
            w.gui_function = functools.partial(self._draw, label, fn)
            windows.append(w)
        # The conversation is the app: it has no close button to leave a void behind.
        windows[0].can_be_closed = False
        windows[1].is_visible = self.gui.settings.side_panel
        d.dockable_windows = windows
        return d

    def _draw(self, label: str, fn: Callable[[], None]) -> None:
        lo, size = imgui.get_window_pos(), imgui.get_window_size()
        self.window_rects[label] = [lo.x, lo.y, lo.x + size.x, lo.y + size.y]
        fn()

    def focus(self, label: str) -> None:
        w = self.gui.params.docking_params.dockable_window_of_name(label)
        if w is not None:
            w.is_visible = True
            w.focus_window_at_next_frame = True

    def first_run(self) -> bool:
        return self.discussion.first_run()

    def provider_state(self) -> dict[str, Any]:
        return self.provider.state()

    def shutdown(self) -> None:
        self.discussion.shutdown()
        self.diagnostics.shutdown()
