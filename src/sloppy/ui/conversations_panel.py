"""The Conversations panel: every discussion, newest first; search, open, new, rename, delete;
and the trash (deleted and cleared ones, restorable until they are pruned).

The list is read on the pool (the disk) and redrawn from the last reading; it is read again
when something it shows may have changed (another one opened, a message, a title, the search).
"""

from __future__ import annotations

import threading
import time

from imgui_bundle import imgui

from sloppy.providers.chat import Undo
from sloppy.store import trash
from sloppy.store.discussions import Summary
from sloppy.ui.panel_host import PanelHost, item_rect


class ConversationsPanel:
    def __init__(self, gui: PanelHost) -> None:
        self.gui = gui
        self.query = ""
        self.items: list[Summary] = []
        self.trashed: list[trash.Trashed] = []
        #: What the list was read for (name, messages, title, query); read again when it changes.
        self._read_for: tuple[object, ...] | None = None
        self._reading = threading.Lock()
        self.renaming: str | None = None
        self.rename_text = ""
        self._focus_rename = False
        self.rects: dict[str, list[float]] = {}
        self._next: dict[str, list[float]] = {}  # this frame's, published whole at the end

    def refresh(self) -> None:
        """Read the list again (on the pool) at the next frame."""
        self._read_for = None

    def _stamp(self) -> tuple[object, ...]:
        chat = self.gui.chat
        d = chat.discussion
        return (d.name, len(d.messages), d.title, chat.busy, self.query)

    def _maybe_read(self) -> None:
        stamp = self._stamp()
        if stamp == self._read_for or self._reading.locked():
            return
        self._read_for = stamp
        query = self.query

        def job() -> None:
            with self._reading:
                self.items = self.gui.chat.conversations(query)
                self.trashed = trash.items()

        self.gui.controller.spawn_io(job)

    def draw(self) -> None:
        gui = self.gui
        self._next = {}
        self._maybe_read()
        if imgui.button("New"):
            gui.actions.new()
        self._next["new"] = item_rect()
        imgui.same_line()
        imgui.set_next_item_width(-1)
        _, self.query = imgui.input_text_with_hint("##search", "search", self.query)
        self._next["search"] = item_rect()
        imgui.begin_child("conversations")
        current = gui.chat.current_name
        for item in list(self.items):
            self._row(item, item.name == current)
        if not self.items and self.query.strip():
            imgui.text_disabled("nothing found")
        self._trash()
        imgui.end_child()
        self.rects = self._next

    def _trash(self) -> None:
        """Deleted and cleared conversations, newest first, each with Restore."""
        shown = list(self.trashed)
        if not shown:
            return
        imgui.spacing()
        is_open = imgui.collapsing_header(f"Trash ({len(shown)})###trash")
        self._next["trash"] = item_rect()
        if not is_open:
            return
        imgui.text_disabled(f"kept {trash.MAX_AGE_DAYS} days")
        now = time.time()
        for item in shown:
            name = item.origin.stem
            if imgui.small_button(f"Restore##{item.path.name}"):
                self.gui.actions.undo(Undo("delete", name, item.title, item))
                self.refresh()
            self._next[f"restore:{name}"] = item_rect()
            imgui.same_line()
            days = (now - item.at) / 86400
            age = "today" if days < 1 else f"{days:.0f} d ago"
            imgui.text_disabled(f"{item.title or name} ({age})")

    def _row(self, item: Summary, selected: bool) -> None:
        gui = self.gui
        if self.renaming == item.name:
            if self._focus_rename:
                self._focus_rename = False
                imgui.set_keyboard_focus_here()
            imgui.set_next_item_width(-1)
            flags = imgui.InputTextFlags_.enter_returns_true.value
            done, self.rename_text = imgui.input_text(
                f"##rename{item.name}", self.rename_text, flags
            )
            self._next["rename"] = item_rect()
            if done:
                gui.actions.rename(item.name, self.rename_text)
                self.renaming = None
            elif imgui.is_item_deactivated():
                self.renaming = None  # clicked away or Esc: unchanged
            return
        label = item.title or "(new conversation)"
        flags = imgui.SelectableFlags_.allow_double_click.value
        if imgui.selectable(f"{label}##{item.name}", selected, flags)[0]:
            if imgui.is_mouse_double_clicked(imgui.MouseButton_.left):
                self.start_rename(item)
            elif not selected:
                gui.actions.open(item.name)
        self._next[f"item:{item.name}"] = item_rect()
        if imgui.begin_popup_context_item(f"menu{item.name}"):
            if imgui.menu_item("Rename", "", False)[0]:
                self.start_rename(item)
            self._next["menu:Rename"] = item_rect()
            if imgui.menu_item("Delete", "", False)[0]:
                gui.actions.delete(item.name)
            self._next["menu:Delete"] = item_rect()
            imgui.end_popup()

    def start_rename(self, item: Summary) -> None:
        """Edit ``item``'s title in place (it is opened first: a rename names the open one)."""
        if item.name != self.gui.chat.current_name:
            self.gui.actions.open(item.name)
        self.renaming, self.rename_text = item.name, item.title
        self._focus_rename = True

    def state(self) -> dict[str, object]:
        return {
            "query": self.query,
            "items": [{"name": s.name, "title": s.title, "count": s.count} for s in self.items],
            "trash": [{"name": t.origin.stem, "title": t.title} for t in self.trashed],
            "renaming": self.renaming,
            "rects": dict(self.rects),
        }
