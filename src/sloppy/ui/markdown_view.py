"""Draw one message's markdown: chunked, laid out once, only the visible part each frame.

Warm-listed: ``sloppy.ui.message_view`` reaches it through ``_require_warmed`` (the window
draws plain text until then). The renderer is imgui_bundle's ``imgui_md`` (rich_md: md4c,
styled headings, bold, italic, inline code, tables, lists, quotes, code blocks with a copy
button, selectable text with Ctrl+C). It parses what it is given every frame, so each
message is cut into chunks once (``markdown_blocks``; a growing reply is extended, never
re-cut), each chunk's height is kept per width, and a frame draws only the chunks in view
(the rest is empty space of the known height). Content drawn for the first time is named
in the crash marker first (``render_guard``).
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable
from typing import Any

from imgui_bundle import imgui, imgui_ctx, imgui_md

from sloppy.ui import fonts
from sloppy.ui.markdown_blocks import FEED_BUDGET, Splitter
from sloppy.ui.render_guard import FREEZE_S, Guard, Mark
from sloppy.warm.engine import _require_warmed

log = logging.getLogger(__name__)

Spawn = Callable[..., Any]

#: Layout work per frame for all messages together (and at most ``FEED_BUDGET``
#: characters); what is left waits for the next frame.
LAYOUT_BUDGET_S = 0.006
#: Layouts kept; the least recently drawn go first.
KEEP_LAYOUTS = 2_000
#: The selectable view holds at most this many characters (Copy message copies all).
SELECT_MAX = 1_000_000
SELECT_LINES = 24
#: Links are opened only with these schemes (a reply is untrusted text).
LINK_SCHEMES = ("http://", "https://", "mailto:")
#: Characters compared to tell that a text grew rather than changed.
TAIL = 64
MENU = "##message_menu"
PLAIN_NOTE = "Shown as plain text: drawing this message stopped sloppy before."


class Layout:
    """One message's chunks, their heights and what has been drawn safely."""

    __slots__ = (
        "checked",
        "done",
        "frame",
        "heights",
        "length",
        "open",
        "open_height",
        "open_length",
        "open_pos",
        "open_width",
        "prefix",
        "safe",
        "split",
        "streaming",
        "suspect",
        "suspect_version",
        "tail",
        "widths",
    )

    def __init__(self) -> None:
        self.split = Splitter()
        self.length = 0
        self.tail = ""
        self.heights: list[float] = []
        self.widths: list[float] = []
        self.open = ""
        self.open_length = -1
        self.open_pos = -1
        self.open_height = 0.0
        self.open_width = 0.0
        self.prefix: list[float] | None = None
        self.frame = 0
        self.done = False
        self.safe: set[tuple[int, int]] = set()
        self.suspect = False
        self.suspect_version = -1
        self.checked = -1
        self.streaming = False

    def grew(self, text: str) -> bool:
        """Whether ``text`` is what was laid out, possibly with more at the end."""
        n = self.length
        return len(text) >= n and text[max(0, n - TAIL) : n] == self.tail

    def sums(self) -> list[float]:
        if self.prefix is None or len(self.prefix) != len(self.heights) + 1:
            acc, out = 0.0, [0.0]
            for h in self.heights:
                acc += h
                out.append(acc)
            self.prefix = out
        return self.prefix


class Renderer:
    """Every message body of one window (``message_view.MessageView`` owns one)."""

    def __init__(self, spawn: Spawn, guard: Guard | None = None) -> None:
        self._spawn = spawn
        self.guard = guard if guard is not None else Guard()
        self._layouts: dict[str, Layout] = {}
        self._frame = -1
        self._budget_end = 0.0
        self._feed_left = 0
        self._drawn: list[tuple[Layout, tuple[int, int]]] = []
        self._selecting: set[str] = set()
        self._copy_keys = 0
        self._menu: tuple[str, str] | None = None
        self._streamed: tuple[str, Layout] | None = None
        #: Per frame (tests, the benchmark): characters handed to the markdown renderer,
        #: chunks drawn, characters laid out.
        self.stats = {"chars": 0, "chunks": 0, "fed": 0, "frame": -1}
        spawn(self.guard.load)

    # -- the entry point ---------------------------------------------------------------

    def render(self, key: str, text: str, *, streaming: bool = False) -> None:
        """Draw ``text`` (message ``key``) at the cursor: markdown, or plain text for a
        message that crashed or froze drawing before, or the selectable view."""
        self._tick()
        fonts.ensure_context(self._open_link)
        grown = len(text)
        lay = self._layout(key, text, streaming)
        if lay.suspect_version != self.guard.version or (streaming and grown != lay.checked):
            # A reply being streamed is checked as it grows: it matches by its start only
            # (its key is the same for every reply).
            lay.suspect_version, lay.checked = self.guard.version, grown
            lay.suspect = self.guard.is_suspect("" if streaming else key, text)
        with imgui_ctx.push_id(key):
            if lay.suspect or not self.guard.loaded:
                if lay.suspect:
                    self._plain_note(key, text)
                self._draw(key, lay, text, plain=True)
            elif key in self._selecting:
                self._select_view(key, text)
            else:
                self._draw(key, lay, text, plain=False)
            if imgui.is_item_hovered() and imgui.is_mouse_released(imgui.MouseButton_.right):
                # Opened after the renderer's own menu in this frame: it replaces it.
                self._menu = (key, text)
                imgui.open_popup(MENU)
            self._draw_menu(key, text)

    def copy(self, text: str) -> None:
        """Put ``text`` on the clipboard (GUI thread)."""
        imgui.set_clipboard_text(text)

    def toggle_select(self, key: str) -> None:
        """Show message ``key`` as selectable plain text (or back to formatted)."""
        self._selecting ^= {key}

    def is_selecting(self, key: str) -> bool:
        return key in self._selecting

    def shutdown(self) -> None:
        self.guard.close()

    # -- per frame ---------------------------------------------------------------------

    def _tick(self) -> None:
        frame = imgui.get_frame_count()
        if frame == self._frame:
            return
        # The previous frame went through: what it drew for the first time is safe.
        self._frame = frame
        self.guard.frame_done()
        for lay, done in self._drawn:
            lay.safe.add(done)
        self._drawn.clear()
        self._budget_end = time.perf_counter() + LAYOUT_BUDGET_S
        self._feed_left = FEED_BUDGET
        self.stats = {"chars": 0, "chunks": 0, "fed": 0, "frame": frame}
        if self._copy_keys:
            self._press_copy()

    def _press_copy(self) -> None:
        # The renderer copies its selection on Ctrl+C and has no call for it: the menu's
        # Copy presses Ctrl+C for it (down this frame, up the next).
        io = imgui.get_io()
        down = self._copy_keys == 2
        for k in (imgui.Key.left_ctrl, imgui.Key.mod_ctrl, imgui.Key.c):
            io.add_key_event(k, down)
        self._copy_keys -= 1

    def _layout(self, key: str, text: str, streaming: bool) -> Layout:
        lay = self._layouts.get(key)
        if lay is None:
            lay = self._adopt(text) or Layout()
            if len(self._layouts) >= KEEP_LAYOUTS:
                oldest = min(self._layouts, key=lambda k: self._layouts[k].frame)
                del self._layouts[oldest]
            self._layouts[key] = lay
        elif not lay.grew(text):
            lay = self._layouts[key] = Layout()
        lay.streaming = streaming
        if streaming:
            self._streamed = (key, lay)
        lay.frame = self._frame
        if len(text) != lay.length:
            lay.length = len(text)
            lay.tail = text[max(0, lay.length - TAIL) :]
            lay.done = False
        if not lay.done and self._feed_left > 0 and time.perf_counter() < self._budget_end:
            before, pos = len(lay.split.chunks), lay.split.pos
            lay.done = lay.split.feed(text, self._feed_left)
            self._feed_left -= lay.split.pos - pos
            self.stats["fed"] += lay.split.pos - pos
            for chunk in lay.split.chunks[before:]:
                lay.heights.append(self._estimate(chunk.display))
                lay.widths.append(0.0)
        if lay.open_length != len(text) or lay.open_pos != lay.split.pos:
            lay.open = lay.split.open_display(text)
            lay.open_length, lay.open_pos = len(text), lay.split.pos
        return lay

    def _adopt(self, text: str) -> Layout | None:
        """The layout of the reply streamed just before, if ``text`` is that reply saved."""
        if self._streamed is None:
            return None
        old_key, lay = self._streamed
        self._streamed = None
        if lay.length == len(text) and lay.grew(text):
            self._layouts.pop(old_key, None)
            return lay
        return None

    # -- drawing -----------------------------------------------------------------------

    def _estimate(self, display: str, width: float = 0.0) -> float:
        width = width or max(imgui.get_content_region_avail().x, 100.0)
        char_w = imgui.get_font_size() * 0.5
        lines = display.count("\n") + 1 + len(display) * char_w / width
        return lines * imgui.get_text_line_height_with_spacing()

    def _draw(self, key: str, lay: Layout, text: str, *, plain: bool) -> None:
        width = imgui.get_content_region_avail().x
        y0 = imgui.get_cursor_screen_pos().y
        top = imgui.get_window_pos().y
        bottom = top + imgui.get_window_height()
        chunks = lay.split.chunks
        n = len(chunks)
        prefix = lay.sums()
        if lay.open_height <= 0 or abs(lay.open_width - width) > 0.5:
            lay.open_height = max(lay.open_height, self._estimate(lay.open, width))
        rest = 0.0 if lay.done else self._estimate_rest(len(text) - lay.split.pos, width)
        total = prefix[n] + (lay.open_height if lay.open else 0.0) + rest
        with imgui_ctx.begin_group():
            if y0 > bottom or y0 + total < top:
                _space(total)
                return
            first = max(0, bisect.bisect_right(prefix, top - y0) - 1) if n else 0
            _space(prefix[first])
            j = first
            while j < n and imgui.get_cursor_screen_pos().y < bottom:
                self._chunk(key, lay, text, j, chunks[j].display, width, plain)
                j += 1
            if j == n and lay.open and imgui.get_cursor_screen_pos().y < bottom:
                self._chunk(key, lay, text, n, lay.open, width, plain)
                _space(rest)
            else:
                _space(prefix[n] - prefix[j] + (lay.open_height if lay.open else 0.0) + rest)

    def _estimate_rest(self, chars: int, width: float) -> float:
        char_w = imgui.get_font_size() * 0.5
        return (chars / 80 + chars * char_w / width) * imgui.get_text_line_height_with_spacing()

    def _chunk(
        self, key: str, lay: Layout, text: str, idx: int, display: str, width: float, plain: bool
    ) -> None:
        y = imgui.get_cursor_pos_y()
        if idx:
            imgui.dummy(imgui.ImVec2(0.0, imgui.get_font_size() * 0.25))
        seen = (idx, len(display))
        mark_key = "" if lay.streaming else key
        if not plain and seen not in lay.safe:
            self.guard.before(Mark.of(mark_key, text))
            self._drawn.append((lay, seen))
        t0 = time.perf_counter()
        with imgui_ctx.push_id(str(idx)):
            if plain:
                with imgui_ctx.push_text_wrap_pos(0.0):
                    imgui.text_unformatted(display)
            else:
                # Never render(): it reads files named by ![[...]] embeds in the text.
                imgui_md.render_raw(display)
        took = time.perf_counter() - t0
        self.stats["chars"] += len(display)
        self.stats["chunks"] += 1
        if took > FREEZE_S and not plain:
            self.guard.add(Mark.of(mark_key, text), f"took {took:.1f} s")
            self._spawn(self.guard.save)
        height = imgui.get_cursor_pos_y() - y
        if idx < len(lay.heights):
            if lay.heights[idx] != height:
                lay.heights[idx] = height
                lay.prefix = None
            lay.widths[idx] = width
        else:
            lay.open_height, lay.open_width = height, width

    def _plain_note(self, key: str, text: str) -> None:
        imgui.text_disabled(PLAIN_NOTE)
        imgui.same_line()
        if imgui.small_button("Show formatted"):
            self.guard.forgive(key, text)
            self._spawn(self.guard.save)

    def _select_view(self, key: str, text: str) -> None:
        shown = text[:SELECT_MAX]
        lines = min(shown.count("\n", 0, 200_000) + 2, SELECT_LINES)
        height = lines * imgui.get_text_line_height() + imgui.get_style().frame_padding.y * 2
        flags = imgui.InputTextFlags_.read_only.value | imgui.InputTextFlags_.word_wrap.value
        with imgui_ctx.begin_group():
            imgui.input_text_multiline("##select", shown, imgui.ImVec2(-1, height), flags)
            if len(text) > SELECT_MAX:
                imgui.text_disabled(
                    f"Showing the first {SELECT_MAX:,} of {len(text):,} characters; "
                    "Copy message copies all."
                )

    def _draw_menu(self, key: str, text: str) -> None:
        if self._menu is None or self._menu[0] != key:
            return
        with imgui_ctx.begin_popup(MENU) as popup:
            if not popup:
                return
            if imgui.menu_item("Copy", "Ctrl+C", False)[0]:
                self._copy_keys = 2
            if imgui.menu_item("Copy message", "", False)[0]:
                self.copy(text)
            selecting = key in self._selecting
            if imgui.menu_item("Select text", "", selecting)[0]:
                self.toggle_select(key)

    def _open_link(self, url: str) -> None:
        """A link was clicked (GUI thread): open it in the browser from the pool."""
        if url.lower().startswith(LINK_SCHEMES):
            self._spawn(open_in_browser, url)
        else:
            log.info("link not opened (scheme not allowed): %.80s", url)


def open_in_browser(url: str) -> None:
    """On the pool: the system's browser (``webbrowser`` is warm-listed)."""
    _require_warmed("webbrowser").open(url)


def _space(height: float) -> None:
    """Advance the cursor by ``height`` (a dummy adds the item spacing after itself)."""
    h = height - imgui.get_style().item_spacing.y
    if h > 0:
        imgui.dummy(imgui.ImVec2(0.0, h))
