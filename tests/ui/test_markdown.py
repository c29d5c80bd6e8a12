from __future__ import annotations

from sloppy.ui.markdown_table import parse
from sloppy.ui.markdown_view import split_blocks

TEXT = """# Title
Some *text* here
that wraps.

- one
- two

| name | cost |
|:-----|-----:|
| a    | 1    |
| b \\| c | 22 |

```
code
```
> quoted
"""


def test_blocks() -> None:
    kinds = [b.kind for b in split_blocks(TEXT)]
    assert kinds == ["heading", "text", "bullet", "bullet", "table", "code", "quote"]
    text = next(b for b in split_blocks(TEXT) if b.kind == "text")
    assert text.lines == ("Some *text* here that wraps.",)


def test_table_parse() -> None:
    table_block = next(b for b in split_blocks(TEXT) if b.kind == "table")
    table = parse(list(table_block.lines))
    assert table is not None
    assert table.header == ["name", "cost"]
    assert table.align == ["left", "right"]
    assert table.rows == [["a", "1"], ["b | c", "22"]]


def test_ragged_rows_are_padded_and_not_a_table_is_none() -> None:
    t = parse(["| a | b | c |", "|---|---|---|", "| 1 |"])
    assert t is not None and t.rows == [["1", "", ""]]
    assert parse(["| a |", "not a separator"]) is None
