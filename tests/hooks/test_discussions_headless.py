"""sloppy --headless as a real process: conversations over the hook API, what reaches the
provider after an error, and the trash pruned at start with its log line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Fault, Stub, env_for

from sloppy.store import discussions, paths, trash
from sloppy.store.messages import Discussion, Message
from tests.support.live import Proc

pytestmark = pytest.mark.slow
KEY = "discussions-headless-key-0a1b2c"


def _old_trash_item(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    gone = folder / "long-gone.json"
    gone.write_text("{}")
    item = trash.discard(gone, title="long gone")
    assert item is not None
    stamp = int((time.time() - 31 * 86400) * 1000)
    old = item.path.with_name(f"{stamp:013d}-{item.path.name.split('-', 1)[1]}")
    os.replace(item.path, old)  # as if discarded 31 days ago


def test_conversations_over_the_hook_api_of_a_real_process(stub: Stub, sloppy_home: Path) -> None:
    discussions.save(
        Discussion(
            name="kept",
            title="Kept talk",
            messages=[Message("user", "old q", at=10.0), Message("assistant", "old a", at=11.0)],
        )
    )
    _old_trash_item(discussions.directory())
    proc = Proc(
        ["--headless", "--enable-test-hooks", "--hook-port", "0"],
        {**env_for(stub), "SLOPPY_HOOK_KEY": KEY},
    )
    try:
        api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=120)
        assert api.wait_for_server(10)
        listed = api.get("/api/discussions")
        assert [d["name"] for d in listed["discussions"]][-1] == "kept"
        code, _ = api.request(
            "POST",
            "/api/send",
            {"provider": "openai", "model": "m", "prompt": "x", "discussion": "nope"},
        )
        assert code == 404
        stub.faults["openai"] = Fault(status=500)  # every try (the SDK retries)
        body = {"provider": "openai", "model": "m", "prompt": "fails", "discussion": "kept"}
        code, _ = api.request("POST", "/api/send", body)
        assert code == 502
        del stub.faults["openai"]
        code, reply = api.request("POST", "/api/send", {**body, "prompt": "works"})
        assert code == 200, reply
        sent = stub.requests[-1]["body"]
        assert sent["messages"] == [
            {"role": "user", "content": "old q"},
            {"role": "assistant", "content": "old a"},
            {"role": "user", "content": "works"},
        ]
        assert api.get("/api/status")["discussion"] == "kept"
        proc.stop(within=5)
    finally:
        proc.kill()
    log = (paths.log_dir() / "sloppy.log").read_text()
    assert f"trash: removed 1 item older than 30 days from {trash.directory()}" in log
    texts = [m.text for m in discussions.load("kept")[0].messages]  # type: ignore[union-attr]
    assert texts[:3] == ["old q", "old a", "fails"] and texts[-2:] == [
        "works",
        stub.reply("openai"),
    ]
