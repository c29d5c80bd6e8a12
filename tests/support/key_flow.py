"""The key flow a person goes through in the window: paste a key, test it, pick a model,
send, restart signed in, remove it; shared by the source-tree and the frozen-bundle tests."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sloppy_testkit import keyring_backend
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Stub, base_urls

from tests.support import module_from_file
from tests.support.gui import poll, shot
from tests.support.live import Proc
from tests.support.xvfb import Display

HOOK_KEY = "gui-keys-hook-key-0123456789"
SECRET = "sk-typed-in-the-window-4f2a9c"


def start(
    display: Display, env: dict[str, str], report: Path, cmd: list[str] | None = None
) -> tuple[Proc, ApiHookClient]:
    args = ["--enable-test-hooks", "--hook-port", "0", "--startup-report", str(report)]
    proc = Proc(args, {**env, **display.env()}, cmd=cmd)
    api = ApiHookClient(proc.wait_for_hook_url(90), HOOK_KEY, timeout=150)
    assert api.wait_for_server(10)
    status = api.get("/api/warmup_wait?timeout=120")
    assert status["done"] and status["failed"] == []
    return proc, api


def click(display: Display, rect: list[float], *, left: bool = False) -> None:
    """Click the middle of ``rect`` (``left``: near its left edge, off a widget's label)."""
    x = int(rect[0] + 8) if left else int((rect[0] + rect[2]) / 2)
    y = int((rect[1] + rect[3]) / 2)
    display.xdotool("mousemove", "--window", display.window(), str(x), str(y), "click", "1")


def window_icon(display: Display) -> list[int]:
    """The window's ``_NET_WM_ICON``: width, height, then ARGB pixels (as GLFW set it)."""
    as_numbers = ["-f", "_NET_WM_ICON", "32c", " = $0+\\n"]
    out = subprocess.run(
        ["xprop", "-id", display.window(), *as_numbers, "_NET_WM_ICON"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, **display.env()},
    ).stdout
    return [int(v) for v in out.split("=", 1)[1].replace(",", " ").split()]


def panel(api: ApiHookClient) -> dict[str, Any]:
    return api.get("/api/gui/state")["provider_panel"]


def in_file(store: Path) -> Callable[[], str | None]:
    """What the test keychain (a JSON file) holds for sloppy's OpenAI entry."""

    def stored() -> str | None:
        return json.loads(store.read_text()).get("sloppy", {}).get("openai")

    return stored


def frozen_backend(tmp_path: Path) -> tuple[dict[str, str], Callable[[], str | None]]:
    """The test keychain for a bundle (no PYTHONPATH there): keyring's own config file."""
    config = tmp_path / "xdg-config"
    (config / "python_keyring").mkdir(parents=True)
    (config / "python_keyring" / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring = keyring_backend.FileKeyring\n"
        f"keyring-path = {Path(keyring_backend.__file__).parent}\n"
    )
    store = tmp_path / "keychain.json"
    return {"XDG_CONFIG_HOME": str(config), "SLOPPY_TEST_KEYRING": str(store)}, in_file(store)


def key_flow(
    stub: Stub,
    sloppy_home: Path,
    tmp_path: Path,
    backend: dict[str, str],
    stored: Callable[[], str | None],
    cmd: list[str] | None = None,
) -> None:
    """Paste, test, pick, send, restart signed in, remove; ``cmd``: a bundle instead."""
    display = Display()
    env = {
        "SLOPPY_HOOK_KEY": HOOK_KEY,
        "OPENAI_BASE_URL": base_urls(stub)["openai"],  # the stub instead of the real service
        **backend,
    }
    report = tmp_path / "report.json"
    outputs: list[str] = []
    try:
        proc, api = start(display, env, report, cmd)
        try:
            # sloppy's own icon (packaging/icons/draw_icon.py), not imgui_bundle's default.
            icon = window_icon(display)
            assert icon[:2] == [256, 256]
            drawn = module_from_file("packaging/icons/draw_icon.py").draw(256)
            for x, y in ((128, 70), (20, 200), (0, 0), (128, 115)):
                r, g, b, a = drawn[(y * 256 + x) * 4 : (y * 256 + x) * 4 + 4]
                assert icon[2 + y * 256 + x] == (a << 24) | (r << 16) | (g << 8) | b, (x, y)
            state = api.get("/api/gui/state")
            assert state["first_run_hint"] is True
            assert state["provider_panel"]["key_status"] == "API key: missing"
            status = api.get("/api/status")
            assert status["keys"]["openai"] == {"available": False, "source": None}
            # Type the key into the real key field.
            win = display.window()
            display.xdotool("windowfocus", "--sync", win)
            click(display, panel(api)["rects"]["key_input"])
            display.xdotool("type", "--delay", "20", SECRET)
            poll(lambda: panel(api), lambda p: p["key_input"] == "*" * len(SECRET))
            shot(display, "gui-keys-1-typed.png")
            assert SECRET not in json.dumps(api.get("/api/gui/state"))
            display.chord("Return")
            p = poll(lambda: panel(api), lambda p: p["connection"].startswith("Connected"))
            assert p["key_status"] == "API key: saved in the keychain"
            assert p["key_input"] == ""  # the field is cleared once saved
            assert p["models"] == sorted(stub.models["openai"])
            assert stored() == SECRET
            shot(display, "gui-keys-2-saved.png")
            # Pick a model from the list.
            click(display, p["rects"]["model_list"], left=True)
            poll(lambda: panel(api), lambda p: "model:gpt-stub-large" in p["rects"])
            time.sleep(0.3)  # a popup's first frame is laid out hidden: take a settled rect
            click(display, panel(api)["rects"]["model:gpt-stub-large"])
            poll(lambda: panel(api), lambda p: p["model"] == "gpt-stub-large")
            # Send through the window: the stub sees the typed key.
            click(display, api.get("/api/gui/state")["discussion_panel"]["rects"]["prompt"])
            display.xdotool("type", "--delay", "20", "hello key")
            display.chord("ctrl", "Return")
            reply = stub.reply("openai")
            state = poll(
                lambda: api.get("/api/gui/state"),
                lambda s: [m["text"] for m in s["messages"]][-2:] == ["hello key", reply],
            )
            assert state["first_run_hint"] is False
            chat = [r for r in stub.requests if r["path"].endswith("/chat/completions")]
            assert chat[-1]["headers"]["authorization"] == f"Bearer {SECRET}"
            assert chat[-1]["body"]["model"] == "gpt-stub-large"
            status = api.get("/api/status")
            assert status["keys"]["openai"] == {"available": True, "source": "keychain"}
            outputs += [json.dumps(status), json.dumps(api.get("/api/startup_profile"))]
            proc.stop(within=5)
        finally:
            proc.kill()
        outputs += [*proc.stdout, *proc.stderr]
        # Restart: still signed in, the listed models come from the cache.
        proc, api = start(display, env, report, cmd)
        try:
            p = poll(
                lambda: panel(api), lambda p: p["key_status"] == "API key: saved in the keychain"
            )
            assert p["model"] == "gpt-stub-large"
            code, body = api.send("openai", "gpt-stub-large", "after restart")
            assert code == 200 and body == {"text": stub.reply("openai")}
            # Remove: back to missing, and gone from the keychain.
            click(display, panel(api)["rects"]["key_remove"])
            poll(lambda: panel(api), lambda p: p["key_status"] == "API key: missing")
            assert stored() is None
            proc.stop(within=5)
        finally:
            proc.kill()
        outputs += [*proc.stdout, *proc.stderr, report.read_text()]
    finally:
        display.close()
    logs = [f.read_text(errors="replace") for f in sloppy_home.rglob("*.log*") if f.is_file()]
    assert logs, "no log file was written"
    for text in [*outputs, *logs]:
        assert SECRET not in text
