"""Message bodies in the real window (sloppy under Xvfb, a loopback provider stub): a reply is
formatted while it streams, the menu copies it, a link opens in the browser, and a reply
with a 10,000-column table (which once aborted every start) is shown cut, start after start."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Fault, env_for

from tests.support import ROOT, clipboard
from tests.support.gui import KEY, poll, start_gui
from tests.support.screenshot import Image, grab
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]
ARTIFACTS = ROOT / "artifacts"
Area = tuple[int, int, int, int]
LINK_RGB = (102, 161, 204)  # rich_md's link colour over the default theme

REPLY = (
    "# A big heading\n\nSome **bold** and *italic* text, then `inline code`.\n\n"
    + "\n\n".join(f"Paragraph {i}: more *words* to **read** here." for i in range(30))
    + "\n\n```python\nprint('hi')\n```\n\nThe docs: [open the docs](https://example.com/docs)\n"
)


@pytest.fixture(scope="module")
def display():
    d = Display()
    yield d
    d.close()


def history_area(api: ApiHookClient) -> Area:
    """The messages' area (the history child, inside its edges) as the window lays it out."""
    x0, y0, x1, y1 = api.get("/api/gui/state")["discussion_panel"]["rects"]["history"]
    return int(x0) + 4, int(y0) + 4, int(x1) - 20, int(y1) - 4


def long_lines(img: Image, area: Area) -> int:
    """Rows of the discussion area crossed by a uniform line of 400+ px (rules, borders)."""
    x0, y0, x1, y1 = area
    rows = 0
    for y in range(y0, y1):
        run, best, prev = 0, 0, None
        for x in range(x0, x1):
            px = img.pixel(x, y)
            run = run + 1 if px == prev else 1
            prev = px
            if run > best and px != img.pixel(x0, y0):
                best = run
        rows += best >= 400
    return rows


def find_color(
    img: Image, area: Area, rgb: tuple[int, int, int], tol: int = 12
) -> tuple[int, int] | None:
    x0, y0, x1, y1 = area
    hits = [
        (x, y)
        for y in range(y0, y1, 2)
        for x in range(x0, x1, 2)
        if all(abs(a - b) <= tol for a, b in zip(img.pixel(x, y), rgb, strict=True))
    ]
    if not hits:
        return None
    return sum(x for x, _ in hits) // len(hits), sum(y for _, y in hits) // len(hits)


def send(api: ApiHookClient, prompt: str, into: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        into["result"] = api.request(
            "POST", "/api/send", {"provider": "openai", "model": "gpt-stub-mini", "prompt": prompt}
        )

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_streamed_reply_is_formatted_copied_and_its_link_opens(
    display: Display, stub, sloppy_home: Path, tmp_path: Path
) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    stub.reply = lambda provider: REPLY
    stub.faults["openai"] = Fault(token_delay_s=0.05)
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY, "BROWSER": str(browser)}
    proc, api = start_gui(display, env)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        area = history_area(api)
        before = long_lines(grab(display.name), area)
        result: dict[str, Any] = {}
        sender = send(api, "show me markdown", result)
        # While it streams: the heading's rule is drawn (raw text has no rule).
        seen_while_streaming = False
        deadline = time.monotonic() + 60
        while sender.is_alive() and time.monotonic() < deadline:
            img = grab(display.name, ARTIFACTS / "message-streaming.png")
            if sender.is_alive() and long_lines(img, area) > before:
                seen_while_streaming = True
                break
            time.sleep(0.3)
        assert seen_while_streaming, "the reply was not formatted while streaming"
        sender.join(120)
        assert result["result"][0] == 200
        poll(lambda: api.get("/api/gui/state")["messages"][-1]["text"], lambda t: t == REPLY)
        time.sleep(1)
        win = display.window()
        display.xdotool("windowfocus", "--sync", win)
        # The link, found by its colour, opens in the browser (from the pool).
        img = grab(display.name, ARTIFACTS / "message-done.png")
        at = find_color(img, area, LINK_RGB)
        assert at is not None, "no link drawn"
        display.xdotool("mousemove", str(at[0]), str(at[1]), "click", "1")
        poll(
            lambda: opened.read_text() if opened.exists() else "",
            lambda t: "example.com/docs" in t,
        )
        # Right click on the reply: sloppy's menu; "Copy message" is its second item.
        display.xdotool("mousemove", "400", "300", "click", "3")
        time.sleep(0.7)
        grab(display.name, ARTIFACTS / "message-menu.png")
        display.xdotool("mousemove", "450", "335", "click", "1")
        time.sleep(0.5)
        assert clipboard.read(display.name) == REPLY
        proc.stop(within=10)
    finally:
        proc.kill()


def wide_table(columns: int) -> str:
    head = "|" + "|".join(f"c{i}" for i in range(columns)) + "|"
    sep = "|" + "|".join("---" for _ in range(columns)) + "|"
    return f"{head}\n{sep}\n" + "|" + "|".join(str(i) for i in range(columns)) + "|\n"


def test_a_reply_with_ten_thousand_columns_is_shown_cut_at_every_start(
    display: Display, stub, sloppy_home: Path
) -> None:
    table = wide_table(10_000)
    stub.reply = lambda provider: table
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    for run in range(2):
        start_and_see(display, env, table, send_it=run == 0, shot=f"message-wide-table-run{run}")


def start_and_see(
    display: Display, env: dict[str, str], table: str, *, send_it: bool, shot: str
) -> None:
    """Start sloppy (asking for the table first if ``send_it``): it shows the table's reply
    and keeps drawing frames; then it stops cleanly."""
    proc, api = start_gui(display, env)
    try:
        if send_it:
            result: dict[str, Any] = {}
            send(api, "a wide table please", result).join(120)
            assert result["result"][0] == 200
        state = poll(
            lambda: api.get("/api/gui/state"),
            lambda s: s["messages"] and s["messages"][-1]["text"] == table,
        )
        frames = state["frames"]
        poll(lambda: api.get("/api/gui/state")["frames"], lambda f: f > frames + 5)
        grab(display.name, ARTIFACTS / f"{shot}.png")
        proc.stop(within=10)
    finally:
        proc.kill()
