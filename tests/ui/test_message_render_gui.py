"""The message renderer in a real window (the harness, under Xvfb): bounded work per frame
on huge content, streaming, a crash marker that turns a crashing message into plain text,
and copying (code block button, context menu, selection + Ctrl+C) read back from X."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sloppy.ui import markdown_blocks
from tests.support import ROOT, clipboard, message_harness
from tests.support.screenshot import grab
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]
ARTIFACTS = ROOT / "artifacts"
HARNESS = Path(message_harness.__file__)
#: Characters a frame may hand to the renderer: the chunks that fit in a 700 px view.
FRAME_CHARS = 6 * (markdown_blocks.CHUNK_MAX + markdown_blocks.LONG_LINE)

NORMAL = (
    "# A heading\n\nSome **bold**, *italic*, _underscored_ and `inline code`.\n\n"
    "| name | cost |\n|---|--:|\n| a | 1 |\n\n```python\nprint('hi')\n```\n"
)


def wide_table(columns: int) -> str:
    head = "|" + "|".join(f"c{i}" for i in range(columns)) + "|"
    sep = "|" + "|".join("---" for _ in range(columns)) + "|"
    row = "|" + "|".join(str(i) for i in range(columns)) + "|"
    return "\n".join([head, sep, row]) + "\n"


@pytest.fixture(scope="module")
def display():
    d = Display()
    yield d
    d.close()


class Harness:
    def __init__(self, display: Display, tmp: Path, messages: list[dict[str, str]], *args: str):
        self.out = tmp / f"out-{time.monotonic_ns()}.json"
        src = tmp / "messages.json"
        src.write_text(json.dumps(messages))
        self.proc = subprocess.Popen(
            [sys.executable, str(HARNESS), str(src), str(self.out), *args],
            env={**display.env(), **_env()},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self, timeout: float = 600) -> tuple[int, dict[str, Any] | None]:
        try:
            _, err = self.proc.communicate(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        out = json.loads(self.out.read_text()) if self.out.exists() else None
        if self.proc.returncode not in (0, -signal.SIGABRT):
            raise AssertionError(err[-3000:])
        return self.proc.returncode, out

    def kill(self) -> None:
        self.proc.kill()
        self.proc.communicate(timeout=30)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in ("SLOPPY_HOME", "PATH", "HOME")}


def test_huge_table_and_line_scroll_with_bounded_work(
    display: Display, tmp_path: Path, sloppy_home: Path
) -> None:
    messages = [
        {"id": "normal", "text": NORMAL},
        {"id": "table", "text": wide_table(10_000)},
        {"id": "line", "text": "word **bold** " * 750_000},  # one 10.5 MB line
        {"id": "end", "text": "the end"},
    ]
    h = Harness(display, tmp_path, messages, "--scroll", "--hold", "4")
    time.sleep(1)
    code, out = h.wait()
    assert code == 0 and out is not None
    assert out["plain"] == [], "nothing froze (a draw over 1 s would be flagged)"
    stats = out["stats"]
    assert len(stats) > 100, "scrolled down and back"
    assert max(s["chars"] for s in stats) <= FRAME_CHARS
    # A frame lays out at most its budget, plus the row it was in (a wide row is whole).
    assert max(s["fed"] for s in stats) <= markdown_blocks.FEED_BUDGET + 200_000
    assert sum(s["fed"] for s in stats) >= 10_000_000, "the whole line was laid out"


def test_top_of_a_wide_table_shows_the_note(
    display: Display, tmp_path: Path, sloppy_home: Path
) -> None:
    messages = [{"id": "normal", "text": NORMAL}, {"id": "table", "text": wide_table(10_000)}]
    h = Harness(display, tmp_path, messages, "--frames", "20", "--hold", "6")
    time.sleep(4)
    ARTIFACTS.mkdir(exist_ok=True)
    img = grab(display.name, ARTIFACTS / "message-wide-table.png")
    code, out = h.wait()
    assert code == 0 and out is not None
    assert img.distinct_colors() > 30


def test_streaming_work_per_frame_is_what_arrived(
    display: Display, tmp_path: Path, sloppy_home: Path
) -> None:
    reply = "\n\n".join(
        f"## Part {i}\n\nSome **bold** text, a list:\n\n- one\n- two\n\n```\ncode {i}\n```"
        for i in range(2_000)
    )  # ~150 kB
    step = 1_500
    h = Harness(
        display, tmp_path, [{"id": "r", "text": reply}], "--stream", "r", "--stream-step", str(step)
    )
    code, out = h.wait()
    assert code == 0 and out is not None
    stats = out["stats"]
    assert len(stats) >= len(reply) // step
    # Laid out: what arrived (plus one carried line); drawn: a view's worth, however long.
    assert max(s["fed"] for s in stats) <= step + markdown_blocks.LONG_LINE
    assert max(s["chars"] for s in stats) <= FRAME_CHARS
    late = stats[len(stats) // 2 :]
    assert max(s["chars"] for s in late) <= FRAME_CHARS


def test_a_message_that_crashed_drawing_is_plain_text_at_the_next_start(
    display: Display, tmp_path: Path, sloppy_home: Path
) -> None:
    messages = [
        {"id": "fine", "text": "A **fine** message."},
        {"id": "bad", "text": "Before.\n\nCRASH-HERE in this paragraph.\n"},
    ]
    code, _ = Harness(display, tmp_path, messages, "--frames", "30", "--crash-on", "CRASH").wait()
    assert code == -signal.SIGABRT
    h = Harness(display, tmp_path, messages, "--frames", "30", "--hold", "5")
    time.sleep(3)
    ARTIFACTS.mkdir(exist_ok=True)
    grab(display.name, ARTIFACTS / "message-after-crash.png")
    code, out = h.wait()
    assert code == 0 and out is not None
    assert out["plain"] == ["bad"]
    # And the next start after a clean run still knows (the suspects file), and nothing
    # else became a suspect.
    code, out = Harness(display, tmp_path, messages, "--frames", "20").wait()
    assert code == 0 and out is not None and out["plain"] == ["bad"]


CODE_MESSAGE = (
    "```python\ndef add(a, b):\n    return a + b\n```\n\n"
    "After the code, **bold** text and a [link](https://example.com/docs).\n"
)


def test_copy_code_block_message_and_selection(
    display: Display, tmp_path: Path, sloppy_home: Path
) -> None:
    h = Harness(
        display, tmp_path, [{"id": "a1", "text": CODE_MESSAGE}], "--frames", "10", "--hold", "120"
    )
    try:
        win = display.window("^message-harness$")
        time.sleep(2)

        def read() -> str:
            time.sleep(0.5)
            return clipboard.read(display.name)

        # The code block's copy button (top right of the block).
        display.xdotool("mousemove", "--window", win, "868", "40", "click", "1")
        assert read().rstrip("\n") == "def add(a, b):\n    return a + b"
        # Right click on the text: sloppy's menu, "Copy message" (the second item).
        display.xdotool("mousemove", "--window", win, "60", "90", "click", "3")
        time.sleep(0.5)
        display.xdotool("mousemove", "--window", win, "110", "125", "click", "1")
        assert read() == CODE_MESSAGE
        # Drag over "After the code" (ends near x=91), then Ctrl+C: that part is copied.
        display.xdotool("mousemove", "--window", win, "9", "90", "mousedown", "1")
        for x in (40, 70, 88):
            time.sleep(0.15)
            display.xdotool("mousemove", "--window", win, str(x), "90")
        time.sleep(0.2)
        display.xdotool("mouseup", "1")
        time.sleep(0.3)
        display.chord("ctrl", "c")
        part = read()
        assert 10 <= len(part) <= 16 and "After the code, bold text".startswith(part), part
        # "Select text" (the menu's third item): the message as selectable plain text.
        display.xdotool("mousemove", "--window", win, "60", "90", "click", "3")
        time.sleep(0.5)
        display.xdotool("mousemove", "--window", win, "110", "144", "click", "1")
        time.sleep(0.5)
        display.xdotool("mousemove", "--window", win, "300", "40", "click", "1")
        time.sleep(0.3)
        display.chord("ctrl", "a")
        display.chord("ctrl", "c")
        assert read() == CODE_MESSAGE
    finally:
        h.kill()
