"""A person with no environment variables: paste a key in the window, test it, pick a model,
send, restart and still be signed in. The key never shows up in the state, logs or reports."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sloppy_testkit.provider_stub import Stub, base_urls

from sloppy.providers.keys import NO_KEYCHAIN
from tests.support.gui import poll, shot
from tests.support.key_flow import HOOK_KEY, SECRET, click, in_file, key_flow, panel, start
from tests.support.xvfb import Display

pytestmark = [pytest.mark.slow, pytest.mark.gui]


def test_paste_test_pick_send_restart(stub: Stub, sloppy_home: Path, tmp_path: Path) -> None:
    store = tmp_path / "keychain.json"
    backend = {
        "PYTHON_KEYRING_BACKEND": "sloppy_testkit.keyring_backend.FileKeyring",
        "SLOPPY_TEST_KEYRING": str(store),
    }
    key_flow(stub, sloppy_home, tmp_path, backend, in_file(store))


def test_paste_with_the_real_secret_service(
    stub: Stub, sloppy_home: Path, tmp_path: Path, secret_service: str
) -> None:
    """The same through keyring's own discovery and gnome-keyring on a private bus."""
    from keyring.backends import SecretService

    def stored() -> str | None:
        return SecretService.Keyring().get_password("sloppy", "openai")

    backend = {"DBUS_SESSION_BUS_ADDRESS": secret_service}
    key_flow(stub, sloppy_home, tmp_path, backend, stored)


def test_no_keychain_keeps_the_key_for_the_session(stub: Stub, tmp_path: Path) -> None:
    """No keychain backend: said once, the key works until quit, a restart has none."""
    stub.models["openai"] = [f"gpt-stub-{i:02d}" for i in range(20)]
    display = Display()
    env = {
        "SLOPPY_HOOK_KEY": HOOK_KEY,
        "OPENAI_BASE_URL": base_urls(stub)["openai"],
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    report = tmp_path / "report.json"
    try:
        proc, api = start(display, env, report)
        try:
            p = poll(lambda: panel(api), lambda p: p["keychain_ok"] is False)
            assert p["key_status"] == "API key: missing"
            display.xdotool("windowfocus", "--sync", display.window())
            click(display, p["rects"]["key_input"])
            display.xdotool("type", "--delay", "20", SECRET)
            poll(lambda: panel(api), lambda p: p["key_input"] == "*" * len(SECRET))
            click(display, panel(api)["rects"]["key_save"])
            state = poll(
                lambda: api.get("/api/gui/state"),
                lambda s: s["provider_panel"]["connection"].startswith("Connected"),
            )
            assert state["provider_panel"]["key_status"] == "API key: this session only"
            shot(display, "gui-keys-3-no-keychain.png")
            # A long list opens with a filter field that has the keyboard.
            click(display, state["provider_panel"]["rects"]["model_list"], left=True)
            poll(lambda: panel(api), lambda p: "model:gpt-stub-07" in p["rects"])
            display.xdotool("type", "--delay", "30", "stub-1")
            poll(
                lambda: panel(api),
                lambda p: (
                    sorted(k for k in p["rects"] if k.startswith("model:"))
                    == [f"model:gpt-stub-{i}" for i in range(10, 20)]
                ),
            )
            time.sleep(0.3)
            click(display, panel(api)["rects"]["model:gpt-stub-13"])
            poll(lambda: panel(api), lambda p: p["model"] == "gpt-stub-13")
            assert state["toasts"].count(NO_KEYCHAIN) == 1
            code, body = api.send("openai", "gpt-stub-13", "session key")
            assert code == 200 and body == {"text": stub.reply("openai")}
            proc.stop(within=5)
        finally:
            proc.kill()
        logs = "".join(proc.stdout + proc.stderr)
        assert logs.count(NO_KEYCHAIN) <= 1 and SECRET not in logs
        proc, api = start(display, env, report)
        try:
            p = poll(lambda: panel(api), lambda p: p["keychain_ok"] is False)
            assert p["key_status"] == "API key: missing"
            proc.stop(within=5)
        finally:
            proc.kill()
    finally:
        display.close()
    on_disk = [f.read_bytes() for f in tmp_path.rglob("*") if f.is_file()]
    assert not any(SECRET.encode() in data for data in on_disk)
