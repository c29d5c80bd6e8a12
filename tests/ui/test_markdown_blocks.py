"""Cutting messages into chunks: bounded, valid markdown each, the same when fed growing."""

from __future__ import annotations

import random

import pytest

from sloppy.ui import markdown_blocks
from sloppy.ui.markdown_table import MAX_COLUMNS, clip_cells, is_separator


def split(text: str) -> markdown_blocks.Splitter:
    s = markdown_blocks.Splitter()
    for _ in range(10_000):
        if s.feed(text):
            return s
    raise AssertionError("never finished")


def displays(text: str) -> list[str]:
    s = split(text)
    return [c.display for c in s.chunks] + [s.open_display(text)]


def table(columns: int, rows: int = 2) -> str:
    head = "|" + "|".join(f"c{i}" for i in range(columns)) + "|"
    sep = "|" + "|".join("---" for _ in range(columns)) + "|"
    body = ["|" + "|".join(str(r * columns + i) for i in range(columns)) + "|" for r in range(rows)]
    return "\n".join([head, sep, *body]) + "\n"


def paragraphs(n: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    words = ["alpha", "**beta**", "*gamma*", "`delta`", "epsilon", "zeta"]
    return "\n\n".join(" ".join(rnd.choice(words) for _ in range(60)) for _ in range(n)) + "\n"


def test_short_text_is_one_open_chunk_drawn_as_is() -> None:
    text = "# Title\n\nSome **bold** and *it*.\n\n- a\n- b\n"
    s = split(text)
    assert s.chunks == []
    assert s.open_display(text) == text.rstrip("\n")


def test_long_text_closes_chunks_at_blank_lines_and_covers_the_source() -> None:
    text = paragraphs(200)
    s = split(text)
    assert len(s.chunks) > 5
    # Spans tile the consumed source without gaps; every chunk ends on a paragraph break.
    assert s.chunks[0].start == 0
    for a, b in zip(s.chunks, s.chunks[1:], strict=False):
        assert a.end == b.start
        assert text[a.end - 2 : a.end] == "\n\n"
    assert all(
        len(c.display) <= markdown_blocks.CHUNK_MAX + markdown_blocks.LONG_LINE for c in s.chunks
    )
    assert "".join(displays(text)).replace("\n", "") == text.replace("\n", "")


def test_a_code_fence_is_never_cut_at_a_blank_line_and_is_closed_when_forced() -> None:
    code = "\n\n".join(f"line {i} " + "x" * 70 for i in range(600))  # ~47 kB, blank lines
    text = "intro\n\n```python\n" + code + "\n```\n\nafter\n"
    chunks = displays(text)
    assert len(chunks) > 2
    inside = [d for d in chunks if "line 1" in d or "line 5" in d]
    for d in inside:
        fences = [ln for ln in d.splitlines() if ln.startswith("```")]
        assert len(fences) % 2 == 0, "every chunk closes the fences it opens"
    # Reopened with its language: every piece is highlighted as Python.
    assert all(d.lstrip("\n").startswith(("```python", "intro")) for d in chunks[:-1])


def test_a_long_table_repeats_its_header_in_each_chunk() -> None:
    text = table(4, rows=3000)
    chunks = displays(text)
    assert len(chunks) > 2
    for d in chunks:
        lines = d.splitlines()
        assert lines[0] == "|c0|c1|c2|c3|" and is_separator(lines[1])


def test_wide_table_is_cut_to_max_columns_with_a_note() -> None:
    text = "before\n\n" + table(10_000) + "\nafter\n"
    d = "\n".join(displays(text))
    rows = [ln for ln in d.splitlines() if ln.startswith("|")]
    assert len(rows) == 4
    for row in rows:
        assert row.count("|") == MAX_COLUMNS + 1
    assert "10,000 columns" in d and "after" in d
    assert len(d) < 5_000


def test_wide_table_as_the_last_thing_in_a_message_still_has_its_note() -> None:
    d = "\n".join(displays(table(600).rstrip("\n")))
    assert "600 columns" in d
    assert max(ln.count("|") for ln in d.splitlines()) == MAX_COLUMNS + 1


def test_clip_cells() -> None:
    assert clip_cells("|a|b|", 2) == ("|a|b|", 0)
    assert clip_cells("|a|b|c|", 2) == ("|a|b|", 3)
    assert clip_cells("a|b|c", 2) == ("a|b|", 3)


def test_a_ten_megabyte_line_becomes_bounded_pieces() -> None:
    text = "word " * 2_000_000
    s = markdown_blocks.Splitter()
    calls = 0
    while not s.feed(text):
        calls += 1
    assert calls >= 5, "laid out over several feeds (a frame's budget each)"
    assert all(
        len(c.display) <= markdown_blocks.CHUNK_MAX + markdown_blocks.LONG_LINE for c in s.chunks
    )
    assert len(s.open_display(text)) <= markdown_blocks.CHUNK_MAX + markdown_blocks.LONG_LINE
    assert sum(c.end - c.start for c in s.chunks) + len(text) - s.chunks[-1].end == len(text)


def test_a_spaceless_line_gets_soft_breaks() -> None:
    text = "A" * 50_000
    for d in displays(text):
        assert max(map(len, d.splitlines())) <= markdown_blocks.SOFT_WRAP


def test_unfinished_text_is_left_out_until_laid_out() -> None:
    text = paragraphs(500)
    s = markdown_blocks.Splitter()
    assert not s.feed(text, budget=10_000)
    # Only what was consumed is drawn, never the raw rest of the message.
    assert len(s.open_display(text)) < 20_000


@pytest.mark.parametrize("step", [1, 7, 64, 1000])
def test_fed_as_it_streams_gives_the_same_chunks(step: int) -> None:
    text = (
        paragraphs(30)
        + "```js\nlet a = 1;\n\nlet b = 2;\n```\n\n"
        + table(3, 50)
        + "\n"
        + table(200, 3)
        + "tail _it_"
    )
    if step == 1:
        text = text[:6000]
    whole = split(text)
    grown = markdown_blocks.Splitter()
    for end in range(step, len(text) + step, step):
        part = text[:end]
        grown.feed(part)
        grown.open_display(part)
    assert grown.chunks == whole.chunks
    assert grown.open_display(text) == whole.open_display(text)


def test_growing_costs_what_it_grew_by() -> None:
    """Each feed on a growing reply consumes only the new complete lines."""
    text = paragraphs(100)
    s = markdown_blocks.Splitter()
    consumed = []
    for end in range(100, len(text), 100):
        before = s.pos
        s.feed(text[:end])
        consumed.append(s.pos - before)
    assert max(consumed) <= 100 + 500  # one line at most carried over
    assert s.pos >= len(text) - 1000


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("an _italic_ word", "an *italic* word"),
        ("a __bold__ word", "a **bold** word"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("`_code_` stays", "`_code_` stays"),
        ("[x](http://a.b/_c_) stays", "[x](http://a.b/_c_) stays"),
        ("see https://a.b/_c_ here", "see https://a.b/_c_ here"),
        ("_one_ and _two_", "*one* and *two*"),
        ("2 _ 3 _ 4", "2 _ 3 _ 4"),
    ],
)
def test_underscore_emphasis_becomes_asterisks(line: str, shown: str) -> None:
    assert markdown_blocks.emphasis(line) == shown
