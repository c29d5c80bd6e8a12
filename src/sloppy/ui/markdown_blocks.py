"""Cut a message's markdown into chunks that are laid out once and drawn one at a time.

Instead of handing a whole reply to the renderer every frame (its cost grows with the
reply: a 10 MB line froze the window), the text is cut into chunks of a few kB at blank
lines outside code fences. Each chunk gets the *display* text the renderer draws:
- a fenced block or a table cut by a forced split is closed and reopened (the table's
  header is repeated), so every chunk is valid markdown on its own;
- table rows wider than ``MAX_COLUMNS`` cells keep their first cells, with a note
  (``markdown_table``);
- lines longer than ``LONG_LINE`` are cut into pieces at spaces (display only);
- ``_x_`` and ``__x__`` become ``*x*`` and ``**x**``: the renderer reads underscores as
  underline, people mean emphasis.

``Splitter.feed`` consumes text incrementally, so a reply that grows costs what it grew
by; the part after the last closed chunk is the open chunk (``open_display``).
Pure Python, no imgui: tested without a window.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from sloppy.ui.markdown_table import MAX_COLUMNS, clip_cells, is_separator, note

#: A chunk closes at the first blank line (outside a fence) past this many display characters.
CHUNK_TARGET = 3_000
#: ... and is cut at a line boundary past this many, even inside a fence or a table.
CHUNK_MAX = 8_000
#: Longer lines are cut into pieces of at most this many characters, at a space if any.
LONG_LINE = 2_000
#: A piece with no space gets a soft break every this many characters (else it never wraps).
SOFT_WRAP = 120
#: Consumed per ``feed`` call at most (characters, lines): a huge message is laid out over
#: a few frames rather than in one long one.
FEED_BUDGET = 1_000_000
FEED_LINES = 2_000

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
# Code spans, link targets and bare URLs are kept; the rest has its underscore emphasis
# rewritten with asterisks (intraword underscores, as in snake_case, are never emphasis).
_EMPHASIS = re.compile(
    r"(`+[^`]*`+|\]\([^)]*\)|https?://\S+)"
    r"|(?<![\w*_\\])(__?)(?=[^\s_])(.+?)(?<=[^\s_\\])\2(?![\w_])"
)


class Chunk(NamedTuple):
    """A closed chunk: its span in the source text and what the renderer draws for it."""

    start: int
    end: int
    display: str


def emphasis(line: str) -> str:
    """``line`` with ``_x_``/``__x__`` emphasis written ``*x*``/``**x**`` (code untouched)."""
    if "_" not in line:
        return line

    def swap(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1)
        stars = "*" * len(m.group(2))
        return f"{stars}{m.group(3)}{stars}"

    return _EMPHASIS.sub(swap, line)


def soft_wrap(piece: str) -> str:
    """Soft breaks (markdown newlines) every ``SOFT_WRAP`` characters of a spaceless piece."""
    if " " in piece or len(piece) <= SOFT_WRAP:
        return piece
    return "\n".join(piece[i : i + SOFT_WRAP] for i in range(0, len(piece), SOFT_WRAP))


class Splitter:
    """Chunks of one text, extended as the text grows (the text only ever grows)."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        #: Source characters consumed (complete lines and pieces of long lines).
        self.pos = 0
        self._start = 0
        self._lines: list[str] = []
        self._size = 0
        self._fence = ""  # the opening fence line while inside a fenced block
        self._fence_mark = ""
        self._head: list[str] | None = None  # the table's header and separator while in one
        self._cut = 0  # the current table's column count when its rows are cut
        self._last_cells = 0  # the previous line's cell count when it was cut (a header?)

    # -- consuming ---------------------------------------------------------------------

    def feed(self, text: str, budget: int = FEED_BUDGET) -> bool:
        """Consume complete units of ``text`` past ``pos``, at most about ``budget``
        characters; True when nothing is left to consume (the unfinished last line stays
        for ``open_display``), False when the budget ran out first."""
        stop = self.pos + budget
        n = len(text)
        for _ in range(FEED_LINES):
            if self.pos >= stop:
                return False
            pos = self.pos
            nl = text.find("\n", pos, pos + LONG_LINE + 1)
            if nl >= 0:
                self.pos = nl + 1
                self._line(text[pos:nl])
                continue
            if n - pos <= LONG_LINE:
                return True
            # A long line. A table row stays whole (a wide one is cut by cells, and is then
            # short); anything else is cut into pieces.
            pipes = text.count("|", pos, pos + LONG_LINE)
            if pipes > 1:
                end = text.find("\n", pos)
                if end < 0 and pipes > MAX_COLUMNS:
                    return True  # an unfinished wide row: open_display() shows it cut
                if end >= 0 and (pipes > MAX_COLUMNS or end - pos <= CHUNK_MAX):
                    self.pos = end + 1
                    self._line(text[pos:end])
                    continue
            cut = text.rfind(" ", pos + LONG_LINE // 2, pos + LONG_LINE) + 1
            if cut <= 0:
                cut = pos + LONG_LINE
            self.pos = cut
            self._piece(text[pos:cut])
        return False

    def open_display(self, text: str) -> str:
        """What the renderer draws for the open chunk: its consumed lines and ``text``'s
        unfinished last line (text not consumed yet for want of budget is left out)."""
        lines = list(self._lines)
        window = text[self.pos : self.pos + LONG_LINE + 1]
        if window and "\n" not in window:
            if self._fence:
                tail = window
            elif window.count("|") > MAX_COLUMNS:
                tail = clip_cells(window)[0]  # an unfinished wide row
            elif len(window) <= LONG_LINE:
                tail = soft_wrap(emphasis(window))
            else:
                tail = ""  # a long line: the next feed cuts it into pieces
            lines.append(tail)
        if self._cut and not self._fence:
            lines += ["", note(self._cut)]
        return "\n".join(lines)

    # -- one unit ----------------------------------------------------------------------

    def _piece(self, piece: str) -> None:
        """A piece of a long line: text (or code, inside a fence), never a block marker."""
        self._add(piece if self._fence else soft_wrap(emphasis(piece)))
        if self._size >= CHUNK_MAX:
            self._close(forced=True)

    def _line(self, line: str) -> None:
        last_cells, self._last_cells = self._last_cells, 0
        if self._fence:
            self._add(line)
            m = _FENCE.match(line)
            if (
                m
                and m.group(1)[0] == self._fence_mark[0]
                and len(m.group(1)) >= len(self._fence_mark)
                and not m.group(2).strip()
            ):
                self._fence = self._fence_mark = ""
        elif (
            ("`" in line[:6] or "~" in line[:6])
            and (m := _FENCE.match(line))
            and not (m.group(1)[0] == "`" and "`" in m.group(2))
        ):
            self._end_table()
            self._fence, self._fence_mark = line, m.group(1)
            self._add(line)
        elif self._head is not None and "|" in line and line.strip():
            self._add(self._row(line))
        elif not line.strip():
            self._end_table()
            self._add("")
            if self._size >= CHUNK_TARGET:
                self._close(forced=False)
                return
        elif self._lines and "|" in self._lines[-1] and is_separator(line):
            # The line before is the table's header (already cut if it was wide).
            self._cut = last_cells
            sep = self._row(line)
            self._head = [self._lines[-1], sep]
            self._add(sep)
        else:
            self._end_table()
            if line.count("|") > MAX_COLUMNS:
                row, self._last_cells = clip_cells(line)
                self._add(row)
            else:
                self._add(emphasis(line))
        if self._size >= CHUNK_MAX:
            self._close(forced=True)

    def _row(self, line: str) -> str:
        row, cells = clip_cells(line)
        if cells:
            self._cut = max(self._cut, cells)
        return row

    def _end_table(self) -> None:
        if self._head is None and not self._cut:
            return
        if self._cut:
            self._add("")
            self._add(note(self._cut))
            self._add("")
        self._head, self._cut = None, 0

    def _add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line) + 1

    def _close(self, *, forced: bool) -> None:
        """End the open chunk at ``pos``; a forced cut closes and reopens a fence or table."""
        lines, reopen = self._lines, []
        if forced and self._fence:
            lines = [*lines, self._fence_mark]
            reopen = [self._fence]
        elif forced and self._head is not None:
            if self._cut:
                lines = [*lines, "", note(self._cut)]
            reopen = list(self._head)
        self.chunks.append(Chunk(self._start, self.pos, "\n".join(lines)))
        self._start = self.pos
        self._lines = reopen
        self._size = sum(len(x) + 1 for x in reopen)
