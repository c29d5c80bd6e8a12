"""The docking layout: which panel sits where. Each panel is its own module; nothing blocks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from imgui_bundle import hello_imgui, imgui

from sloppy.ui.discussion_panel import DiscussionPanel
from sloppy.ui.panel_host import PanelHost
from sloppy.ui.provider_panel import ProviderPanel
from sloppy.warm.engine import WarmupError, _require_warmed, is_warm

#: hello_imgui keeps a docking layout per name in its ini file. A layout saved before the
#: Conversations panel existed ("Default") would leave that panel floating: a new name starts
#: from the layout below once (the window's size and place are kept apart and stay).
LAYOUT_NAME = "sloppy"
DISCUSSION, CONVERSATIONS = "Discussion", "Conversations"
SIDE_PANELS = (CONVERSATIONS, "Provider", "Diagnostics")
#: Below this window width the side panels are hidden (the View menu shows them again), so
#: the discussion keeps the width; they come back when the window is wider again.
NARROW_W = 760.0


class WarmPanel:
    """A panel whose module is warm-listed (off the first frame's path): until the lane has
    loaded it, its window says so; the first draw asks the lane for it (a demand)."""

    def __init__(self, gui: PanelHost, module: str, cls: str, label: str) -> None:
        self.gui, self.module, self.cls, self.label = gui, module, cls, label
        self.panel: Any = None
        self._asked = False
        self.failed = ""  # why the lane could not load it (shown instead)

    def get(self) -> Any:
        """The panel, or None while its module is not warm yet."""
        if self.panel is None:
            if is_warm(self.module):
                self.panel = getattr(_require_warmed(self.module), self.cls)(self.gui)
            elif not self._asked:
                self._asked = True  # first in the lane's queue
                self.gui.controller.spawn_io(self._demand)
        return self.panel

    def _demand(self) -> None:
        try:
            _require_warmed(self.module)
        except WarmupError as exc:  # failed, or the app is quitting: said in the panel
            self.failed = str(exc)

    def draw(self) -> None:
        panel = self.get()
        if panel is None:
            imgui.text_disabled(self.failed or f"Loading {self.label}...")
        else:
            panel.draw()

    def state(self, empty: dict[str, Any]) -> dict[str, Any]:
        return self.panel.state() if self.panel is not None else empty


class Panels:
    """The window's panels and their docking layout."""

    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self.discussion = DiscussionPanel(gui)
        self.provider = ProviderPanel(gui)
        # Warm-listed: the Diagnostics panel (versions, implot charts) is a tab behind
        # Provider at start, and the conversation list is read from disk on the pool anyway.
        self.diagnostics = WarmPanel(
            gui, "sloppy.ui.diagnostics_panel", "DiagnosticsPanel", "diagnostics"
        )
        self.conversations = WarmPanel(
            gui, "sloppy.ui.conversations_panel", "ConversationsPanel", "conversations"
        )
        #: Where each panel's window was last drawn, ``[x0, y0, x1, y1]`` (for the hook API).
        self.window_rects: dict[str, list[float]] = {}
        self._narrow = False
        self._viewport = [0.0, 0.0, 0.0, 0.0]

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
            (DISCUSSION, "MainDockSpace", self.discussion.draw),
            (CONVERSATIONS, "ListSpace", self.conversations.draw),
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

    def drop_dockspace_background(self) -> None:
        """From the second frame: the dockspace stops painting the window background under
        the docked panels, which paint it again (one full-window fill less per frame on
        software GL). The GL clear colour is the window background (``ThemeSwitch.apply``),
        so the gaps between panels look the same. Not on the first frame: no panel is docked
        yet, and a dockspace that is not pass-through paints its empty node instead."""
        self.gui.params.docking_params.main_dock_space_node_flags = imgui.DockNodeFlags_.none

    def _draw(self, label: str, fn: Callable[[], None]) -> None:
        lo, size = imgui.get_window_pos(), imgui.get_window_size()
        self.window_rects[label] = [lo.x, lo.y, lo.x + size.x, lo.y + size.y]
        fn()

    def focus(self, label: str) -> None:
        w = self.gui.params.docking_params.dockable_window_of_name(label)
        if w is not None:
            w.is_visible = True
            w.focus_window_at_next_frame = True

    def _docked(self, label: str) -> hello_imgui.DockableWindow | None:
        return self.gui.params.docking_params.dockable_window_of_name(label)

    def toggle(self, label: str) -> bool:
        """Show or hide panel ``label``; True if it is shown now."""
        w = self._docked(label)
        if w is None:
            return False
        w.is_visible = not w.is_visible
        return w.is_visible

    def shown(self, label: str) -> bool:
        w = self._docked(label)
        return w is not None and w.is_visible

    def fit(self, viewport: imgui.Viewport) -> None:
        """Each frame: the Discussion is always shown; a narrow window hides the side panels
        (when it becomes narrow: View shows them again) and a wide one shows them again."""
        discussion = self._docked(DISCUSSION)
        if discussion is not None and not discussion.is_visible:
            discussion.is_visible = True
        pos, size = viewport.pos, viewport.size
        self._viewport = [pos.x, pos.y, size.x, size.y]
        narrow = size.x < NARROW_W
        if narrow == self._narrow:
            return
        self._narrow = narrow
        for label in SIDE_PANELS:
            w = self._docked(label)
            if w is not None:
                w.is_visible = not narrow

    def state(self) -> dict[str, Any]:
        """What the panels show (for the hook API), with widget rectangles to click."""
        windows: dict[str, Any] = {
            w.label: {
                "visible": w.is_visible,
                "can_close": w.can_be_closed,
                "rect": self.window_rects.get(w.label),
            }
            for w in self.gui.params.docking_params.dockable_windows
        }
        windows["viewport"] = list(self._viewport)
        return {
            "windows": windows,
            "first_run_hint": self.discussion.first_run(),
            "discussion_panel": {
                "rects": dict(self.discussion.rects),
                "prompt": self.gui.prompt,
                "welcome": self.discussion.welcome_text(),
                "editing": self.discussion.editing,
                "drawn": self.discussion.drawn,
            },
            "conversations": self.conversations.state(
                {"query": "", "items": [], "renaming": None, "rects": {}}
            ),
            "provider_panel": self.provider.state(),
            "diagnostics_panel": self.diagnostics.state({"rects": {}, "waterfall": {}}),
        }

    def shutdown(self) -> None:
        self.discussion.shutdown()
        if self.diagnostics.panel is not None:
            self.diagnostics.panel.shutdown()
