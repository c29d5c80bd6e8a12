"""Draw a message as light markdown: headings, lists, quotes, code fences, tables.

Blocks are split once per text and cached. Tables are drawn by the warmed
``sloppy.ui.markdown_table``; until it is warm they show as plain text (never a wait).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from imgui_bundle import imgui

from sloppy.ui.imgui_scopes import RGBA, text_wrap
from sloppy.warm.engine import _require_warmed, is_warm

TABLE_MODULE = "sloppy.ui.markdown_table"
_INLINE = re.compile(r"(\*\*|__|`)")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


class Block(NamedTuple):
    kind: str  # text | heading | bullet | quote | code | table
    lines: tuple[str, ...]
    level: int = 0


def _looks_like_separator(line: str) -> bool:
    s = line.strip()
    return "-" in s and set(s) <= set("|:- ")


@lru_cache(maxsize=512)
def split_blocks(text: str) -> tuple[Block, ...]:
    """Split markdown ``text`` into blocks (cached: messages are drawn every frame)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("text", (" ".join(para),)))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            blocks.append(Block("code", tuple(lines[i + 1 : j])))
            i = j + 1
            continue
        if "|" in line and i + 1 < len(lines) and _looks_like_separator(lines[i + 1]):
            flush()
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                j += 1
            blocks.append(Block("table", tuple(lines[i:j])))
            i = j
            continue
        if stripped.startswith("#"):
            flush()
            level = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Block("heading", (stripped[level:].strip(),), level))
        elif _LIST.match(line):
            flush()
            blocks.append(Block("bullet", (_LIST.sub("", line, count=1),)))
        elif stripped.startswith(">"):
            flush()
            blocks.append(Block("quote", (stripped.lstrip("> "),)))
        elif not stripped:
            flush()
        else:
            para.append(stripped)
        i += 1
    flush()
    return tuple(blocks)


def _plain(text: str) -> str:
    return _INLINE.sub("", text)


def render(text: str, widget_id: str, *, accent: RGBA, dim: RGBA) -> None:
    """Draw ``text`` as markdown in the current window."""
    for n, block in enumerate(split_blocks(text)):
        if block.kind == "heading":
            imgui.text_colored(imgui.ImVec4(*accent), _plain(block.lines[0]))
            if block.level == 1:
                imgui.separator()
        elif block.kind == "bullet":
            imgui.bullet()
            imgui.same_line()
            with text_wrap():
                imgui.text_unformatted(_plain(block.lines[0]))
        elif block.kind == "quote":
            with text_wrap():
                imgui.text_colored(imgui.ImVec4(*dim), "| " + _plain(block.lines[0]))
        elif block.kind == "code":
            imgui.indent()
            for line in block.lines:
                imgui.text_colored(imgui.ImVec4(*dim), line)
            imgui.unindent()
        elif block.kind == "table":
            _table(block, f"{widget_id}.t{n}")
        else:
            imgui.text_wrapped(_plain(block.lines[0]))


def _table(block: Block, table_id: str) -> None:
    if is_warm(TABLE_MODULE):
        tables = _require_warmed(TABLE_MODULE)
        parsed = tables.parse(list(block.lines))
        if parsed is not None:
            tables.render(parsed, table_id)
            return
    for line in block.lines:
        imgui.text_unformatted(line)
