"""The real GUI under Xvfb: first frame, warmup, report, chat, palette, themes, restart."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import env_for

from sloppy.ui.frame_cap import FREE_FPS, STARTUP_FRAMES
from sloppy.ui.theme import DEFAULT as DEFAULT_THEME
from sloppy.ui.theme_nerv import BLACK as NERV_BLACK
from tests.support.gui import KEY, poll, shot, shot_until, start_gui
from tests.support.live import Proc
from tests.support.screenshot import Image
from tests.support.xvfb import Display

OK_RGBA, WARN_RGBA = DEFAULT_THEME.ok, DEFAULT_THEME.warn

pytestmark = [pytest.mark.slow, pytest.mark.gui]


def window_size(display: Display) -> str:
    out = display.xdotool("getwindowgeometry", display.window())
    return out.split("Geometry:")[1].split()[0]


def near(rgb: tuple[int, int, int], rgba: tuple[float, ...], tol: int = 40) -> bool:
    return all(abs(c - round(f * 255)) <= tol for c, f in zip(rgb, rgba[:3], strict=False))


def dot_pixels(img: Image, rgba: tuple[float, ...]) -> int:
    """Pixels of colour ``rgba`` where the status bar draws its dot (bottom left)."""
    return sum(
        near(img.pixel(x, y), rgba) for y in range(img.height - 30, img.height) for x in range(30)
    )


def test_first_frame_warmup_and_exit_when_warm(display: Display, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    spawned = time.time()
    proc = Proc(["--exit-when-warm", "--startup-report", str(report_path)], display.env())
    try:
        assert proc.popen.wait(120) == 0, "".join(proc.stderr)
    finally:
        proc.kill()
    r = json.loads(report_path.read_text())
    assert r["mode"] == "gui" and r["warmup"]["done"] is True
    assert spawned < r["process_start_epoch"] < r["first_frame_epoch"] < r["warm_done_epoch"]
    assert r["first_frame_epoch"] - spawned < 10
    assert len(r["frame_times_ms"]) >= 2 and all(t > 0 for t in r["frame_times_ms"])
    # While warming the window idles between changes: after hello_imgui's startup frames (drawn
    # whatever sloppy asks) the lane's few wakes and warm done draw a handful more, not a stream
    # at FREE_FPS (``pace_idling`` and the cap themselves: tests/ui/test_frame_cap.py).
    warming_s = r["warm_done_epoch"] - r["first_frame_epoch"]
    assert len(r["frame_times_ms"]) < STARTUP_FRAMES + warming_s * FREE_FPS / 2, r
    names = {p["name"] for p in r["phases"]}
    assert {"gui.init", "gui.controller", "gui.post_init", "gui.start_background"} <= names
    # Warmup started only after the first frame was presented.
    assert min(m["start_epoch"] for m in r["modules"]) >= r["first_frame_epoch"] - 0.05


def clears_with_window_bg(api: ApiHookClient, img: Image, rgba: tuple[float, ...]) -> None:
    """The dockspace paints no background under the panels: the GL clear colour is the
    theme's window background, so no pixel of the window shows hello_imgui's black (where
    the panels' rounded corners and the gaps between them let it through)."""
    clear = api.get("/api/gui/state")["clear_color"]
    assert clear == pytest.approx([*rgba[:3], 1.0], abs=1e-3)
    w, h = api.get("/api/gui/state")["windows"]["viewport"][2:4]
    black = [(x, y) for y in range(int(h)) for x in range(int(w)) if img.pixel(x, y) == (0, 0, 0)]
    assert not black, black[:5]


def test_chat_palette_theme_and_restore(display: Display, stub, sloppy_home: Path) -> None:
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    proc, api = start_gui(display, env)
    try:
        bar = poll(lambda: api.get("/api/gui/state")["status_bar"], lambda b: b["dot"] == "ok")
        assert bar["text"] == "All imports ready" and bar["progress"] is None
        assert bar["provider"].startswith("OpenAI: ")
        img = shot_until(
            display,
            "gui-1-default.png",
            lambda img: dot_pixels(img, OK_RGBA) > 10 and dot_pixels(img, WARN_RGBA) == 0,
        )
        clears_with_window_bg(api, img, DEFAULT_THEME.colors["window_bg"])
        win = display.window()
        display.xdotool("windowfocus", "--sync", win)
        # Type a prompt into the input box and send it with Ctrl+Enter: a real keyboard.
        x0, y0, x1, y1 = api.get("/api/gui/state")["discussion_panel"]["rects"]["prompt"]
        x, y = str(int((x0 + x1) / 2)), str(int((y0 + y1) / 2))
        display.xdotool("mousemove", "--window", win, x, y, "click", "1")
        display.xdotool("type", "--delay", "30", "hello stub")
        display.chord("ctrl", "Return")
        reply = stub.reply("openai")
        state = poll(
            lambda: api.get("/api/gui/state"),
            lambda s: [m["text"] for m in s["messages"]][-2:] == ["hello stub", reply],
        )
        assert state["provider"] == "openai"
        # Command palette, keyboard only: open, filter, run.
        display.chord("ctrl", "shift", "p")
        poll(lambda: api.get("/api/gui/state"), lambda s: s["palette_open"])
        display.xdotool("type", "--delay", "30", "theme nerv")
        display.chord("Return")
        poll(
            lambda: api.get("/api/gui/state"),
            lambda s: s["theme"] == "nerv" and not s["palette_open"],
        )
        # Near-black NERV background, between the panels too.
        img = shot_until(
            display,
            "gui-2-nerv-chat.png",
            lambda img: all(c < 40 for c in img.mean(10, 60, 820, 640)),
        )
        assert api.get("/api/gui/state")["clear_color"] == pytest.approx([*NERV_BLACK[:3], 1.0])
        display.xdotool("windowsize", win, "1000", "700")
        poll(lambda: window_size(display), lambda size: size == "1000x700")
        proc.stop(within=5)
    finally:
        proc.kill()
    # Restart: the discussion, the theme and the window size come back.
    proc, api = start_gui(display, env)
    try:
        state = poll(lambda: api.get("/api/gui/state"), lambda s: s["theme"] == "nerv")
        texts = [m["text"] for m in state["messages"]]
        assert texts[-2:] == ["hello stub", stub.reply("openai")]
        assert window_size(display) == "1000x700"
        shot(display, "gui-3-restored.png")
        proc.stop(within=5)
    finally:
        proc.kill()


def test_idles_once_nothing_moves(display: Display, stub) -> None:
    """Warm, no toast, no reply streaming: hello_imgui idles instead of burning a core."""
    proc, api = start_gui(display, {**env_for(stub), "SLOPPY_HOOK_KEY": KEY})
    try:

        def state() -> dict[str, Any]:
            return api.get("/api/gui/state")

        poll(state, lambda s: any("providers ready" in t for t in s["toasts"]))
        poll(state, lambda s: s["toasts"] == [], timeout=15)
        time.sleep(0.5)
        before, t0 = state()["frames"], time.monotonic()
        time.sleep(3)
        rate = (state()["frames"] - before) / (time.monotonic() - t0)
        assert rate < 15, f"{rate:.0f} frames/s while idle (idling renders at 9)"
        proc.stop(within=5)
    finally:
        proc.kill()


def test_send_waits_for_a_cold_sdk(display: Display, stub, tmp_path: Path) -> None:
    """A prompt sent before its SDK is warm waits for it (the job jumps the queue)."""
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY, **display.env()}
    proc = Proc(["--enable-test-hooks", "--hook-port", "0"], env)
    try:
        api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=150)
        code, body = api.send("anthropic", "m", "early bird")
        assert code == 200 and body == {"text": stub.reply("anthropic")}
        proc.stop(within=5)
    finally:
        proc.kill()


def test_a_failed_warm_module_shows_yellow_dot_count_and_toast(
    display: Display, stub, tmp_path: Path
) -> None:
    """Force a warm failure (SLOPPY_WARM_EXTRA names a module that raises): the user is told."""
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "sloppy_forced_failure.py").write_text("raise RuntimeError('forced for the test')\n")
    env = {
        **env_for(stub),
        "SLOPPY_HOOK_KEY": KEY,
        "PYTHONPATH": str(mods),
        "SLOPPY_WARM_EXTRA": "sloppy_forced_failure",
    }
    proc, api = start_gui(display, env, failures=1)
    try:
        (failed,) = api.get("/api/warmup_status")["failed"]
        assert failed["module"] == "sloppy_forced_failure"
        assert "forced for the test" in failed["error"]
        state = poll(
            lambda: api.get("/api/gui/state"),
            lambda s: any(t.startswith("Warmup finished with 1 failure") for t in s["toasts"]),
        )
        assert state["status_bar"]["text"] == "Imports: 1 failed"
        assert state["status_bar"]["dot"] == "warn"
        shot_until(
            display,
            "gui-4-warm-failure.png",
            lambda img: dot_pixels(img, WARN_RGBA) > 10 and dot_pixels(img, OK_RGBA) == 0,
        )
        # Everything else still works: a provider answers.
        code, body = api.send("openai", "m", "still there?")
        assert code == 200 and body == {"text": stub.reply("openai")}
        proc.stop(within=5)
    finally:
        proc.kill()
