"""The docking layout: which panel sits where. Each panel is its own module; nothing blocks."""

from __future__ import annotations

from typing import Any

from imgui_bundle import hello_imgui, imgui

from sloppy.ui.diagnostics_panel import DiagnosticsPanel
from sloppy.ui.discussion_panel import DiscussionPanel
from sloppy.ui.panel_host import PanelHost
from sloppy.ui.provider_panel import ProviderPanel


class Panels:
    """The window's panels and their docking layout."""

    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self.discussion = DiscussionPanel(gui)
        self.provider = ProviderPanel(gui)
        self.diagnostics = DiagnosticsPanel(gui)

    @property
    def key_notes(self) -> dict[str, str]:
        return self.provider.key_notes

    def docking(self) -> hello_imgui.DockingParams:
        d = hello_imgui.DockingParams()
        split = hello_imgui.DockingSplit("MainDockSpace", "SideSpace", imgui.Dir.right, 0.30)
        d.docking_splits = [split]
        windows = []
        for label, space, fn in (
            ("Discussion", "MainDockSpace", self.discussion.draw),
            ("Provider", "SideSpace", self.provider.draw),
            ("Diagnostics", "SideSpace", self.diagnostics.draw),
        ):
            w = hello_imgui.DockableWindow()
            w.label, w.dock_space_name, w.gui_function = label, space, fn
            windows.append(w)
        d.dockable_windows = windows
        return d

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
