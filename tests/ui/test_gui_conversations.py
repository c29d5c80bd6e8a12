"""Issue 18 in the real window: conversations (list, search, open, new, rename, delete and
clear with undo, window title) and turns (retry, regenerate, edit, stop, system prompt), with
the provider stub's record as proof of what reached the model."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Fault, Stub, env_for

from tests.support.gui import KEY, poll, shot, start_gui
from tests.support.key_flow import click
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]


def state(api: ApiHookClient) -> dict[str, Any]:
    return api.get("/api/gui/state")


def texts(api: ApiHookClient) -> list[str]:
    return [m["text"] for m in state(api)["messages"]]


def rect(api: ApiHookClient, panel: str, name: str) -> list[float]:
    """A widget's rectangle once it is drawn."""
    rects = poll(lambda: state(api)[panel]["rects"], lambda r: name in r)
    return rects[name]


def say(display: Display, api: ApiHookClient, prompt: str) -> None:
    """Type ``prompt`` in the prompt box and send it with Ctrl+Enter."""
    click(display, rect(api, "discussion_panel", "prompt"))
    display.xdotool("type", "--delay", "15", prompt)
    poll(lambda: state(api)["discussion_panel"]["prompt"], lambda p: p == prompt)
    display.chord("ctrl", "Return")


def titles(api: ApiHookClient) -> list[str]:
    return [c["title"] for c in state(api)["conversations"]["items"]]


def chat_bodies(stub: Stub) -> list[dict[str, Any]]:
    return [r["body"] for r in stub.requests if r["path"].endswith("/chat/completions")]


def test_conversations_list_search_rename_delete_clear_undo(display: Display, stub: Stub) -> None:
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    reply = stub.reply("openai")
    proc, api = start_gui(display, env)
    try:
        win = display.window()
        display.xdotool("windowfocus", "--sync", win)
        say(display, api, "What is the capital of France?")
        poll(lambda: texts(api), lambda t: t == ["What is the capital of France?", reply])
        # The window's own title (GLFW) names the conversation.
        want = "sloppy — What is the capital of France?"
        poll(lambda: state(api)["window_title"], lambda t: t == want)
        poll(lambda: display.xdotool("getwindowname", win), lambda t: t == want)
        first = state(api)["discussion"]
        # New, then a second conversation: newest first in the list.
        click(display, rect(api, "conversations", "new"))
        poll(lambda: state(api), lambda s: s["discussion"] != first and s["messages"] == [])
        say(display, api, "Tell me a joke about ducks")
        poll(lambda: texts(api), lambda t: t == ["Tell me a joke about ducks", reply])
        second = state(api)["discussion"]
        poll(
            lambda: titles(api),
            lambda t: t == ["Tell me a joke about ducks", "What is the capital of France?"],
        )
        shot(display, "conversations-1-list.png")
        # Search titles and text.
        click(display, rect(api, "conversations", "search"))
        display.xdotool("type", "--delay", "30", "capital")
        poll(lambda: titles(api), lambda t: t == ["What is the capital of France?"])
        display.chord("ctrl", "a")
        display.chord("BackSpace")
        poll(lambda: len(titles(api)), lambda n: n == 2)
        # Open the first by a click; rename it by a double click.
        click(display, rect(api, "conversations", f"item:{first}"))
        poll(lambda: state(api)["discussion"], lambda d: d == first)
        x0, y0, x1, y1 = rect(api, "conversations", f"item:{first}")
        x, y = str(int((x0 + x1) / 2)), str(int((y0 + y1) / 2))
        display.xdotool("mousemove", "--window", win, x, y, "click", "--repeat", "2", "1")
        poll(lambda: state(api)["conversations"]["renaming"], lambda r: r == first)
        display.chord("ctrl", "a")
        display.xdotool("type", "--delay", "30", "Geography")
        display.chord("Return")
        poll(lambda: state(api)["window_title"], lambda t: t == "sloppy — Geography")
        poll(lambda: titles(api), lambda t: "Geography" in t)
        # Delete the other from its context menu; the toast's Undo brings it back.
        x0, y0, x1, y1 = rect(api, "conversations", f"item:{second}")
        x, y = str(int((x0 + x1) / 2)), str(int((y0 + y1) / 2))
        display.xdotool("mousemove", "--window", win, x, y, "click", "3")
        time.sleep(0.3)  # a popup's first frame is laid out hidden: take a settled rect
        click(display, rect(api, "conversations", "menu:Delete"))
        gone = "Deleted 'Tell me a joke about ducks'"
        s = poll(lambda: state(api), lambda s: gone in s["toast_rects"])
        poll(lambda: titles(api), lambda t: t == ["Geography"])
        shot(display, "conversations-2-deleted.png")
        click(display, s["toast_rects"][gone])
        poll(lambda: state(api)["discussion"], lambda d: d == second)
        poll(lambda: texts(api), lambda t: t == ["Tell me a joke about ducks", reply])
        poll(lambda: len(titles(api)), lambda n: n == 2)
        # Clear: the messages go, Undo puts them back.
        display.chord("ctrl", "shift", "p")
        poll(lambda: state(api), lambda s: s["palette_open"])
        display.xdotool("type", "--delay", "30", "clear discussion")
        display.chord("Return")
        cleared = "Cleared 'Tell me a joke about ducks'"
        s = poll(lambda: state(api), lambda s: cleared in s["toast_rects"])
        assert s["messages"] == []
        click(display, s["toast_rects"][cleared])
        poll(lambda: texts(api), lambda t: t == ["Tell me a joke about ducks", reply])
        # Delete "Geography" and let its toast go: only the trash keeps it.
        x0, y0, x1, y1 = rect(api, "conversations", f"item:{first}")
        x, y = str(int((x0 + x1) / 2)), str(int((y0 + y1) / 2))
        display.xdotool("mousemove", "--window", win, x, y, "click", "3")
        time.sleep(0.3)
        click(display, rect(api, "conversations", "menu:Delete"))
        poll(lambda: titles(api), lambda t: t == ["Tell me a joke about ducks"])
        proc.stop(within=5)
    finally:
        proc.kill()
    # A restart reopens the last one, and its trash still holds "Geography": Restore brings
    # it back with its messages.
    proc, api = start_gui(display, env)
    try:
        poll(lambda: state(api)["discussion"], lambda d: d == second)
        poll(lambda: titles(api), lambda t: t == ["Tell me a joke about ducks"])
        trashed = poll(lambda: state(api)["conversations"]["trash"], lambda t: len(t) == 1)
        assert trashed == [{"name": first, "title": "Geography"}]
        click(display, rect(api, "conversations", "trash"))
        click(display, rect(api, "conversations", f"restore:{first}"))
        poll(lambda: state(api)["discussion"], lambda d: d == first)
        poll(lambda: texts(api), lambda t: t == ["What is the capital of France?", reply])
        poll(
            lambda: sorted(titles(api)), lambda t: t == ["Geography", "Tell me a joke about ducks"]
        )
        poll(lambda: state(api)["conversations"]["trash"], lambda t: t == [])
        shot(display, "conversations-3-restored.png")
        proc.stop(within=5)
    finally:
        proc.kill()


def test_retry_regenerate_edit_stop_and_system_prompt(display: Display, stub: Stub) -> None:
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    reply = stub.reply("openai")
    proc, api = start_gui(display, env)
    try:
        display.xdotool("windowfocus", "--sync", display.window())
        # A failed turn shows as an error on the message, with Retry.
        stub.faults["openai"] = Fault(status=500)  # every try (the SDK retries a 500)
        say(display, api, "first")
        s = poll(lambda: state(api), lambda s: len(s["messages"]) == 2 and not s["busy"])
        assert s["messages"][-1]["error"] is True
        shot(display, "turns-1-error.png")
        stub.faults.pop("openai")
        click(display, rect(api, "discussion_panel", "retry"))
        poll(lambda: texts(api), lambda t: t == ["first", reply])
        assert chat_bodies(stub)[-1]["messages"] == [{"role": "user", "content": "first"}]
        # Regenerate asks again for the last reply: the same turns are sent.
        n = len(chat_bodies(stub))
        click(display, rect(api, "discussion_panel", "regenerate"))
        poll(lambda: len(chat_bodies(stub)), lambda m: m == n + 1)
        poll(lambda: state(api), lambda s: not s["busy"] and texts(api) == ["first", reply])
        assert chat_bodies(stub)[-1]["messages"] == [{"role": "user", "content": "first"}]
        # Edit the last prompt and resend it.
        click(display, rect(api, "discussion_panel", "edit"))
        poll(lambda: state(api)["discussion_panel"], lambda p: p["editing"])
        assert state(api)["discussion_panel"]["prompt"] == "first"
        # Into the box before selecting: a Ctrl+A in the frame before it takes the keyboard
        # back would select nothing and "second" would be typed before "first".
        click(display, rect(api, "discussion_panel", "prompt"))
        display.chord("ctrl", "a")
        display.xdotool("type", "--delay", "20", "second")
        display.chord("ctrl", "Return")
        poll(lambda: texts(api), lambda t: t == ["second", reply])
        assert chat_bodies(stub)[-1]["messages"] == [{"role": "user", "content": "second"}]
        # Esc stops a slow reply: shown as stopped, no mark in its text.
        stub.faults["openai"] = Fault(token_delay_s=0.5)
        say(display, api, "slowly")
        poll(lambda: state(api), lambda s: s["busy"])
        time.sleep(1.2)
        display.chord("Escape")
        s = poll(lambda: state(api), lambda s: not s["busy"] and len(s["messages"]) == 4, 20)
        assert s["messages"][-1]["stopped"] is True
        assert "stopped" not in s["messages"][-1]["text"]
        shot(display, "turns-2-stopped.png")
        stub.faults.pop("openai")
        # A system prompt for this conversation: shown, edited, sent first.
        click(display, rect(api, "discussion_panel", "system_header"))
        click(display, rect(api, "discussion_panel", "system"))
        display.xdotool("type", "--delay", "20", "You are terse.")
        click(display, rect(api, "discussion_panel", "history"))
        poll(lambda: state(api)["system"], lambda t: t == "You are terse.")
        say(display, api, "next")
        poll(lambda: texts(api), lambda t: t[-2:] == ["next", reply])
        sent = chat_bodies(stub)[-1]["messages"]
        assert sent[0] == {"role": "system", "content": "You are terse."}
        assert [m["role"] for m in sent[1:]] == ["user", "assistant", "user", "assistant", "user"]
        assert not any("stopped" in str(m["content"]) or "Error" in str(m["content"]) for m in sent)
        shot(display, "turns-3-system.png")
        proc.stop(within=5)
    finally:
        proc.kill()
