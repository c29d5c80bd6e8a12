"""Issue 18 in the real window: input, zoom, small windows, theme reset, diagnostics, welcome.

Each test starts one window and checks several things a person sees (``/api/gui/state`` and
screenshots), driving it with xdotool.
"""

from __future__ import annotations

import functools
import json
import operator
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Fault, Stub, env_for

from tests.support.gui import KEY, poll, shot, start_gui
from tests.support.key_flow import click
from tests.support.screenshot import Image
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]

SENTENCE = (
    "A long prompt wraps inside the box instead of running out of view sideways, and the box "
    "grows by a few lines while it is typed, so that all of it stays readable at once, even "
    "when it goes on and on for quite a while longer than one line of the window."
)
LONG = f"{SENTENCE} {SENTENCE}"


def state(api: ApiHookClient) -> dict[str, Any]:
    return api.get("/api/gui/state")


def has(key: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: key in d


def picked(name: str) -> Callable[[dict[str, Any]], bool]:
    """The panel shows ``name`` as the model, and no longer says the server lacks it."""
    return lambda panel: panel["model"] == name and panel["model_missing"] is False


def saved(home: Path) -> dict[str, Any]:
    path = home / "config" / "settings.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def palette(display: Display, api: ApiHookClient, text: str) -> None:
    """Run a palette command by typing its name."""
    display.chord("ctrl", "shift", "p")
    poll(lambda: state(api), lambda s: s["palette_open"])
    display.xdotool("type", "--delay", "30", text)
    display.chord("Return")
    poll(lambda: state(api), lambda s: not s["palette_open"])


def region(img: Image, rect: list[float], height: int) -> list[tuple[int, int, int]]:
    x0, y0 = int(rect[0]) + 4, int(rect[1]) + 4
    return [
        img.pixel(x, y) for y in range(y0, y0 + height, 3) for x in range(x0, int(rect[2]) - 4, 3)
    ]


def same_look(a: list[tuple[int, int, int]], b: list[tuple[int, int, int]]) -> bool:
    differ = sum(
        any(abs(p - q) > 8 for p, q in zip(x, y, strict=True)) for x, y in zip(a, b, strict=True)
    )
    return differ <= len(a) // 200


def test_zoom_small_window_theme_reset_diagnostics_welcome(
    display: Display, sloppy_home: Path
) -> None:
    """No key and no keychain: the welcome does not promise a keychain. Zoom is remembered;
    at 640x400 the side panels give way; Default after NERV looks as at start; the waterfall
    fits its data; the Discussion cannot be closed."""
    proc, api = start_gui(display, {"SLOPPY_HOOK_KEY": KEY})
    try:
        s = poll(lambda: state(api), lambda s: s["discussion_panel"]["welcome"])
        welcome = s["discussion_panel"]["welcome"]
        assert "Saved keys go to your system keychain" not in welcome
        assert "no system keychain" in welcome
        assert s["windows"]["Discussion"]["can_close"] is False
        # The look at start, then NERV, then Default again: the same style and pixels.
        provider = s["windows"]["Provider"]["rect"]
        fresh = shot(display, "everyday-1-fresh.png")
        palette(display, api, "theme nerv")
        poll(lambda: state(api), lambda s: s["theme"] == "nerv")
        palette(display, api, "theme default")
        back = poll(lambda: state(api), lambda s: s["theme"] == "default")
        assert back["style"] == s["style"]
        poll(
            lambda: shot(display, "everyday-2-default-again.png"),
            lambda img: same_look(region(img, provider, 150), region(fresh, provider, 150)),
        )
        # Zoom: Ctrl+plus, Ctrl+minus, Ctrl+0; remembered in the settings.
        display.xdotool("windowfocus", "--sync", display.window())
        for keys, scale in (
            (("ctrl", "plus"), 1.1),
            (("ctrl", "plus"), 1.2),
            (("ctrl", "minus"), 1.1),
            (("ctrl", "0"), 1.0),
            (("ctrl", "plus"), 1.1),
        ):
            display.chord(*keys)
            poll(lambda: state(api)["font_scale"], functools.partial(operator.eq, scale))
        poll(lambda: saved(sloppy_home), lambda doc: doc.get("font_scale") == 1.1)
        shot(display, "everyday-3-zoomed.png")
        # A small window: the discussion takes the width, the prompt stays on screen.
        win = display.window()
        display.xdotool("windowsize", win, "640", "400")
        small = poll(
            lambda: state(api),
            lambda s: (
                s["windows"]["viewport"][2] == 640 and not s["windows"]["Provider"]["visible"]
            ),
        )
        small = poll(lambda: state(api), lambda s: s["windows"]["Discussion"]["rect"][2] >= 630)
        assert small["windows"]["Discussion"]["visible"]
        assert not small["windows"]["Conversations"]["visible"]
        prompt = small["discussion_panel"]["rects"]["prompt"]
        assert prompt[2] - prompt[0] > 560 and prompt[3] < 400
        shot(display, "everyday-4-640x400.png")
        # View > Restore default layout (hello_imgui's menu: fixed places) keeps it usable.
        display.xdotool("mousemove", "--window", win, "80", "10", "click", "1")
        time.sleep(0.5)
        display.xdotool("mousemove", "--window", win, "120", "36", "click", "1")
        time.sleep(1.0)
        small = poll(lambda: state(api), lambda s: s["windows"]["Discussion"]["rect"][2] >= 630)
        assert not small["windows"]["Provider"]["visible"]
        shot(display, "everyday-4b-640x400-restored.png")
        display.xdotool("windowsize", win, "1200", "800")
        poll(lambda: state(api), lambda s: s["windows"]["Provider"]["visible"])
        # Diagnostics: the waterfall's x axis ends where its data ends.
        palette(display, api, "open diagnostics")
        for header in ("Start-up phases", "Warm modules", "Import waterfall"):
            key = f"header:{header}"
            rects = poll(lambda: state(api)["diagnostics_panel"]["rects"], has(key))
            click(display, rects[key])
        fall = poll(lambda: state(api)["diagnostics_panel"]["waterfall"], lambda w: "x" in w)
        end = fall["data_end"]
        assert end > 0 and end <= fall["x"][1] <= end * 1.1 + 0.05, fall
        assert fall["legend"] is False
        shot(display, "everyday-5-waterfall.png")
        proc.stop(within=5)
    finally:
        proc.kill()


def test_prompt_wraps_send_keys_esc_stops_and_restart(
    display: Display, stub: Stub, sloppy_home: Path
) -> None:
    """The prompt wraps and grows; Ctrl+Enter sends, then "Enter sends" (Shift+Enter a new
    line); Esc stops a slow reply; the choice and the zoom come back after a restart."""
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    proc, api = start_gui(display, env)
    try:
        s = state(api)
        assert s["send_key"] == "ctrl+enter"
        rects = s["discussion_panel"]["rects"]
        first = rects["prompt"]
        display.xdotool("windowfocus", "--sync", display.window())
        click(display, first)
        display.xdotool("type", "--delay", "5", LONG)
        s = poll(lambda: state(api), lambda s: s["discussion_panel"]["prompt"] == LONG, 60)
        grown = poll(
            lambda: state(api)["discussion_panel"]["rects"]["prompt"],
            lambda r: r[3] - r[1] > (first[3] - first[1]) * 1.3,
        )
        assert grown[2] - grown[0] == first[2] - first[0]  # wrapped: no wider
        shot(display, "everyday-6-wrapped-prompt.png")
        display.chord("ctrl", "Return")
        reply = stub.reply("openai")
        poll(lambda: [m["text"] for m in state(api)["messages"]], lambda t: t == [LONG, reply])
        # Enter sends; Shift+Enter is a new line.
        click(display, state(api)["discussion_panel"]["rects"]["enter_sends"])
        poll(lambda: state(api), lambda s: s["send_key"] == "enter")
        click(display, state(api)["discussion_panel"]["rects"]["prompt"])
        display.xdotool("type", "--delay", "20", "line one")
        display.chord("shift", "Return")
        display.xdotool("type", "--delay", "20", "line two")
        poll(lambda: state(api), lambda s: s["discussion_panel"]["prompt"].endswith("two"))
        display.chord("Return")
        poll(
            lambda: [m["text"] for m in state(api)["messages"]],
            lambda t: t[-2:] == ["line one\nline two", reply],
        )
        # Esc stops a slow reply.
        stub.faults["openai"] = Fault(token_delay_s=0.5)
        display.xdotool("type", "--delay", "20", "slowly")
        display.chord("Return")
        poll(lambda: state(api), lambda s: s["busy"])
        time.sleep(0.5)  # the box takes the keyboard back on the frame after a send
        display.xdotool("type", "--delay", "20", "a draft")  # typed while it streams
        poll(lambda: state(api)["discussion_panel"]["prompt"], lambda p: p == "a draft")
        display.chord("Escape")
        s = poll(lambda: state(api), lambda s: not s["busy"], 20)
        assert s["discussion_panel"]["prompt"] == "a draft"  # Esc kept the draft
        assert s["messages"][-2]["text"] == "slowly"
        assert s["messages"][-1]["text"] != reply
        display.chord("ctrl", "plus")
        poll(lambda: saved(sloppy_home), lambda d: d.get("font_scale") == 1.1)
        proc.stop(within=5)
    finally:
        proc.kill()
    proc, api = start_gui(display, env)
    try:
        s = state(api)
        assert s["send_key"] == "enter" and s["font_scale"] == 1.1
        shot(display, "everyday-7-restarted.png")
        proc.stop(within=5)
    finally:
        proc.kill()


def test_missing_model_is_offered_and_each_provider_keeps_its_model(
    display: Display, stub: Stub, sloppy_home: Path
) -> None:
    """The configured model is not one the server lists: said, with the list offered; a model
    picked per provider survives switching away and back."""
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    proc, api = start_gui(display, env)
    try:
        display.xdotool("windowfocus", "--sync", display.window())
        for provider, label, pick in (
            ("openai", "openai", "gpt-stub-large"),
            ("anthropic", "anthropic", "claude-stub-sonnet"),
        ):
            if provider != "openai":
                palette(display, api, f"switch provider {label}")
                poll(lambda: state(api)["provider"], functools.partial(operator.eq, provider))
            p = poll(lambda: state(api)["provider_panel"], lambda p: p["model_missing"])
            assert p["model"] not in p["models"] and pick in p["models"]
            shot(display, f"everyday-8-missing-{provider}.png")
            click(display, p["rects"]["listed"], left=True)
            item = f"listed:{pick}"
            poll(lambda: state(api)["provider_panel"]["rects"], has(item))
            time.sleep(0.3)  # a popup's first frame is laid out hidden: take a settled rect
            click(display, state(api)["provider_panel"]["rects"][item])
            # The model is set at the click; the warning goes with the next frame drawn.
            p = poll(lambda: state(api)["provider_panel"], picked(pick))
        palette(display, api, "switch provider openai")
        poll(lambda: state(api)["provider_panel"]["model"], lambda m: m == "gpt-stub-large")
        doc = poll(lambda: saved(sloppy_home), lambda d: d.get("provider") == "openai")
        assert doc["providers"]["openai"]["model"] == "gpt-stub-large"
        assert doc["providers"]["anthropic"]["model"] == "claude-stub-sonnet"
        proc.stop(within=5)
    finally:
        proc.kill()
