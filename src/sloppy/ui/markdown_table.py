"""Markdown pipe tables: parse ``| a | b |`` blocks and draw them as imgui tables (warmed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imgui_bundle import imgui

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    align: list[str]  # "left" | "center" | "right"
    rows: list[list[str]]


def is_separator(line: str) -> bool:
    return bool(_SEPARATOR.match(line)) and "-" in line


def _cells(line: str) -> list[str]:
    core = line.strip()
    core = core.removeprefix("|")
    core = core.removesuffix("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", core)]


def parse(lines: list[str]) -> Table | None:
    """A table from its lines (header, separator, rows), or None if they are not one."""
    if len(lines) < 2 or not is_separator(lines[1]):
        return None
    header = _cells(lines[0])
    align = []
    for spec in _cells(lines[1]):
        left, right = spec.startswith(":"), spec.endswith(":")
        align.append("center" if left and right else "right" if right else "left")
    width = len(header)
    rows = []
    for line in lines[2:]:
        cells = _cells(line)[:width]
        rows.append(cells + [""] * (width - len(cells)))
    return Table(header, (align + ["left"] * width)[:width], rows)


def render(table: Table, table_id: str) -> None:
    """Draw ``table`` with borders, a header row and per-column alignment."""
    flags = (
        imgui.TableFlags_.borders.value
        | imgui.TableFlags_.row_bg.value
        | imgui.TableFlags_.sizing_stretch_prop.value
    )
    if not imgui.begin_table(table_id, len(table.header), flags):
        return
    for name in table.header:
        imgui.table_setup_column(name)
    imgui.table_headers_row()
    for row in table.rows:
        imgui.table_next_row()
        for col, cell in enumerate(row):
            imgui.table_set_column_index(col)
            if table.align[col] != "left":
                avail = imgui.get_content_region_avail().x
                width = imgui.calc_text_size(cell).x
                shift = (avail - width) * (0.5 if table.align[col] == "center" else 1.0)
                if shift > 0:
                    imgui.set_cursor_pos_x(imgui.get_cursor_pos_x() + shift)
            imgui.text_unformatted(cell)
    imgui.end_table()
