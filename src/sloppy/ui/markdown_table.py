"""Markdown pipe tables, bounded: rows cut to ``MAX_COLUMNS`` cells, with a note (warmed).

ImGui asserts (and the process aborts) on a table of 512 columns or more, and a saved reply
is drawn again at every start; nobody reads thousands of columns in a chat anyway. The full
table stays in the message: Copy message copies it.
"""

from __future__ import annotations

import re

#: Table rows keep at most this many cells.
MAX_COLUMNS = 32

_SEPARATOR = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-*:?\s*)*\|?\s*$")


def is_separator(line: str) -> bool:
    """Whether ``line`` is a table's header separator (``|---|:--:|``)."""
    return "-" in line and bool(_SEPARATOR.match(line))


def clip_cells(line: str, limit: int = MAX_COLUMNS) -> tuple[str, int]:
    """A table row cut to its first ``limit`` cells, and how many cells it had (0: not cut)."""
    body = line.strip()
    lead = 1 if body.startswith("|") else 0
    trail = 1 if len(body) > 1 and body.endswith("|") else 0
    cells = line.count("|") - lead - trail + 1
    if cells <= limit:
        return line, 0
    at = line.find("|") if lead else -1
    for _ in range(limit):
        at = line.find("|", at + 1)
    return line[: at + 1], cells


def note(columns: int) -> str:
    """What a cut table says under it."""
    return (
        f"*(a table of {columns:,} columns: the first {MAX_COLUMNS} are shown; "
        "Copy message copies all of it)*"
    )
