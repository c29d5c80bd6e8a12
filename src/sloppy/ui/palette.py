"""The command palette (Ctrl+Shift+P): fuzzy-filter every command, run one from the keyboard.

Warmed in the background; ``gui_2`` reaches it through ``_require_warmed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from imgui_bundle import imgui


class Entry(Protocol):
    """What the palette needs of a command (``gui_2.Command``, the one command table)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def hint(self) -> str: ...
    @property
    def action(self) -> Callable[[], None]: ...


E = TypeVar("E", bound=Entry)


def fuzzy_score(query: str, text: str) -> float | None:
    """Score ``text`` against ``query`` as an in-order subsequence; None if it does not match.

    Consecutive letters and word starts score higher; shorter texts win ties.
    """
    q = query.lower().replace(" ", "")
    if not q:
        return 0.0
    t = text.lower()
    score, pos, prev = 0.0, 0, -2
    for ch in q:
        found = t.find(ch, pos)
        if found < 0:
            return None
        score += 1.0
        if found == prev + 1:
            score += 2.0
        if found == 0 or not t[found - 1].isalnum():
            score += 1.5
        prev, pos = found, found + 1
    return score - 0.01 * len(t)


def filter_commands(query: str, commands: Sequence[E]) -> list[E]:
    """Matching commands, best first."""
    scored = [(fuzzy_score(query, f"{c.title} {c.hint}"), i, c) for i, c in enumerate(commands)]
    hits = [(s, i, c) for s, i, c in scored if s is not None]
    hits.sort(key=lambda t: (-t[0], t[1]))
    return [c for _, _, c in hits]


class Palette:
    """Palette state and drawing; ``draw`` returns the command chosen this frame, if any."""

    WIDTH = 520.0

    def __init__(self) -> None:
        self.is_open = False
        self.query = ""
        self.selected = 0
        self._focus = False

    def open(self) -> None:
        self.is_open, self.query, self.selected, self._focus = True, "", 0, True

    def close(self) -> None:
        self.is_open = False

    def toggle(self) -> None:
        if self.is_open:
            self.close()
        else:
            self.open()

    def move(self, delta: int, count: int) -> None:
        if count:
            self.selected = (self.selected + delta) % count

    def draw(self, commands: Sequence[E]) -> E | None:
        if not self.is_open:
            return None
        matches = filter_commands(self.query, commands)
        self.selected = min(self.selected, max(len(matches) - 1, 0))
        vp = imgui.get_main_viewport()
        imgui.set_next_window_pos(
            imgui.ImVec2(vp.pos.x + vp.size.x / 2, vp.pos.y + 60), 0, imgui.ImVec2(0.5, 0.0)
        )
        imgui.set_next_window_size(imgui.ImVec2(self.WIDTH, 0))
        flags = (
            imgui.WindowFlags_.no_title_bar.value
            | imgui.WindowFlags_.no_move.value
            | imgui.WindowFlags_.no_resize.value
            | imgui.WindowFlags_.no_saved_settings.value
            | imgui.WindowFlags_.always_auto_resize.value
        )
        chosen: E | None = None
        imgui.begin("Command palette##sloppy", None, flags)
        if self._focus:
            imgui.set_keyboard_focus_here()
            self._focus = False
        imgui.set_next_item_width(-1)
        changed, self.query = imgui.input_text_with_hint("##query", "Type a command...", self.query)
        if changed:
            self.selected = 0
        if imgui.is_key_pressed(imgui.Key.down_arrow):
            self.move(1, len(matches))
        if imgui.is_key_pressed(imgui.Key.up_arrow):
            self.move(-1, len(matches))
        if imgui.is_key_pressed(imgui.Key.enter) and matches:
            chosen = matches[self.selected]
        if imgui.is_key_pressed(imgui.Key.escape):
            self.close()
        for i, cmd in enumerate(matches[:14]):
            clicked, _ = imgui.selectable(f"{cmd.title}##{cmd.id}", i == self.selected)
            if cmd.hint:
                imgui.same_line(self.WIDTH - 12 - imgui.calc_text_size(cmd.hint).x)
                imgui.text_disabled(cmd.hint)
            if clicked:
                chosen = cmd
        if not matches:
            imgui.text_disabled("No matching command")
        imgui.end()
        if chosen is not None:
            self.close()
        return chosen
