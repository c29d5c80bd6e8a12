"""A conversation of 20,000 messages in the real window: it opens, scrolls and draws only
what is in view (``discussion_panel.drawn``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sloppy_testkit.hook_client import ApiHookClient

from sloppy.store import discussions
from sloppy.store.messages import Discussion, Message
from tests.support.gui import KEY, poll, start_gui
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]
COUNT = 20_000


def panel(api: ApiHookClient) -> dict[str, Any]:
    return api.get("/api/gui/state")["discussion_panel"]


def test_twenty_thousand_messages_open_and_scroll(display: Display, sloppy_home: Path) -> None:
    d = Discussion(name="default")
    for start in range(0, COUNT, 2_000):
        d.messages += [
            Message("user" if i % 2 else "assistant", f"message {i}\n\nline two of {i}", at=i)
            for i in range(start, start + 2_000)
        ]
        d = discussions.save(d)
    # Long ones last (shown first): their estimated heights differ from what is drawn.
    long = "word " * 2_000
    d.messages += [Message("assistant", f"long {i} {long}", at=COUNT + i) for i in range(100)]
    d = discussions.save(d)
    proc, api = start_gui(display, {"SLOPPY_HOOK_KEY": KEY})
    try:
        shown = poll(lambda: api.get("/api/gui/state"), lambda s: len(s["messages"]) == COUNT + 100)
        assert shown["messages"][-1]["text"].startswith("long 99")
        history = poll(lambda: panel(api)["rects"], lambda r: "history" in r)["history"]
        x, y = int((history[0] + history[2]) / 2), int((history[1] + history[3]) / 2)
        win = display.window()
        for _ in range(3):  # up, a screenful at a time, with frames drawn in between
            display.xdotool(
                "mousemove", "--window", win, str(x), str(y), "click", "--repeat", "40", "4"
            )
            before: int = api.get("/api/gui/state")["frames"]
            poll(lambda: api.get("/api/gui/state")["frames"], lambda f: f > before + 2)  # noqa: B023
            drawn = panel(api)["drawn"]
            assert 0 < drawn < 200, drawn
        assert proc.popen.poll() is None, "".join(proc.stderr)[-2000:]
    finally:
        proc.stop(within=30)
