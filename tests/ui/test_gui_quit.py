"""Quitting the real window (the close a window manager sends) with a reply streaming or an
import warming: the process is gone within ``QUIT_BOUND_S`` and nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import env_for

from tests.support.gui import KEY, poll, start_gui
from tests.support.live import Proc
from tests.support.quitting import (
    QUIT_BOUND_S,
    is_partial,
    slow_warm_env,
    start_slow_stream,
    timed_exit,
    wait_warming_slow,
)
from tests.support.wm_close import close_window
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]


def close(display: Display) -> None:
    close_window(display.name, int(display.window()))


def test_closing_the_window_mid_reply_quits_at_once_and_keeps_the_partial_reply(
    display: Display, stub
) -> None:
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    proc, api = start_gui(display, env)
    try:
        start_slow_stream(api, stub, "tell me a long story")
        elapsed = timed_exit(proc, lambda: close(display))
    finally:
        proc.kill()
    assert elapsed < QUIT_BOUND_S, f"quit took {elapsed:.2f} s"
    # Restart: the prompt and the part of the reply that came are in the window.
    proc, api = start_gui(display, env)
    try:
        state = poll(lambda: api.get("/api/gui/state"), lambda s: len(s["messages"]) >= 2)
        prompt, reply = state["messages"][-2:]
        assert (prompt["role"], prompt["text"]) == ("user", "tell me a long story")
        assert reply["role"] == "assistant" and is_partial(reply["text"], stub.reply("openai"))
        proc.stop(within=5)
    finally:
        proc.kill()


def test_closing_the_window_while_warming_quits_at_once_and_writes_the_report(
    display: Display, stub, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY, **slow_warm_env(tmp_path), **display.env()}
    proc = Proc(["--enable-test-hooks", "--hook-port", "0", "--startup-report", str(report)], env)
    try:
        api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=60)
        wait_warming_slow(api)
        elapsed = timed_exit(proc, lambda: close(display))
    finally:
        proc.kill()
    assert elapsed < QUIT_BOUND_S, f"quit took {elapsed:.2f} s"
    written = json.loads(report.read_text())
    assert written["warmup"]["done"] is False
    assert {"quit", "quit.jobs", "gui.before_exit"} <= {p["name"] for p in written["phases"]}
