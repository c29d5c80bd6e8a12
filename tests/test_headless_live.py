"""sloppy --headless as a real process: hooks, warmup, the stub providers, signals, report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import PROVIDERS, SDK_MODULES, env_for

from sloppy.warm.warmlist import SDKS
from tests.support.live import Proc

pytestmark = pytest.mark.slow
KEY = "live-test-key-9f8e7d6c5b4a"


def _secrets_absent(home: Path, proc: Proc, stub_env: dict[str, str]) -> None:
    texts = ["".join(proc.stdout), "".join(proc.stderr)]
    texts += [
        p.read_text(errors="replace")
        for p in home.rglob("*")
        if p.is_file() and p.suffix in (".log", ".json")
    ]
    secrets = [KEY, *(v for k, v in stub_env.items() if k.endswith("_KEY"))]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_live_headless_hooks_send_and_sigterm(stub, sloppy_home: Path) -> None:
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0"], env)
    try:
        api = ApiHookClient(proc.wait_for_hook_url(60), KEY, timeout=130)
        assert api.wait_for_server(10)
        status = api.get("/api/warmup_wait?timeout=120")
        assert status["timed_out"] is False and status["done"] is True
        assert status["failed"] == []
        for provider in PROVIDERS:
            code, body = api.send(provider, "stub-model", f"ping {provider}")
            assert code == 200, body
            assert body == {"text": stub.reply(provider)}
        proc.stop(within=3.0)
    finally:
        proc.kill()
    _secrets_absent(sloppy_home, proc, env)


def test_sigterm_during_warmup_exits_promptly(sloppy_home: Path) -> None:
    proc = Proc(["--headless"], {"SLOPPY_WARM_CACHE": "off"})
    try:
        time.sleep(0.6)  # the lane is inside the SDK imports now
        proc.stop(within=3.0)
    finally:
        proc.kill()


def test_exit_when_warm_writes_the_report(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    spawned = time.time()
    proc = Proc(["--headless", "--exit-when-warm", "--startup-report", str(report_path)], {})
    try:
        assert proc.popen.wait(120) == 0
    finally:
        proc.kill()
    report = json.loads(report_path.read_text())
    assert report["schema"] == 1 and report["mode"] == "headless"
    assert report["frozen"] is False
    assert report["first_frame_epoch"] is None and report["frame_times_ms"] == []
    assert spawned <= report["process_start_epoch"] <= report["warm_done_epoch"]
    assert report["warmup"]["done"] is True
    names = {m["name"] for m in report["modules"]}
    assert {*SDK_MODULES, "numpy"} <= names
    for m in report["modules"]:
        assert set(m) == {"name", "thread", "start_epoch", "duration_s", "source"}
        assert m["thread"].startswith("controller-io")
        assert m["source"] in ("archive", "warm-cache", "filesystem")
    assert {p["name"] for p in report["phases"]} >= {
        "boot.recorder",
        "headless.controller",
        "controller.init",
        "warmup.run",
    }


def test_version_flag() -> None:
    proc = Proc(["--version"], {})
    assert proc.popen.wait(30) == 0
    time.sleep(0.1)
    out = "".join(proc.stdout)
    assert out.startswith("sloppy ")
    for name in ("python", "imgui-bundle", *(e.dist for e in SDKS)):
        assert f"{name}: " in out
