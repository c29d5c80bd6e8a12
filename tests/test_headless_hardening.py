"""sloppy --headless as a real process under abuse: saved discussions, two instances on one
home, early signals, bad keys, a busy port, and a large unauthenticated upload."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import env_for

from sloppy.store import discussions
from sloppy.store.messages import Discussion, Message
from tests.support.live import Proc

pytestmark = pytest.mark.slow
KEY = "hardening-test-key-0a1b2c3d4e"


def _start(env: dict[str, str], *extra: str) -> tuple[Proc, ApiHookClient]:
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0", *extra], env)
    api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=120)
    assert api.wait_for_server(10)
    return proc, api


def _texts() -> list[str]:
    found, problem = discussions.load("default")
    assert problem is None and found is not None
    return [m.text for m in found.messages]


def test_headless_continues_the_saved_discussion(stub, sloppy_home: Path) -> None:
    discussions.save(Discussion(messages=[Message("user", "old q"), Message("assistant", "old a")]))
    proc, api = _start({**env_for(stub), "SLOPPY_HOOK_KEY": KEY})
    try:
        assert api.get("/api/status")["discussion"] == "default"
        code, body = api.send("openai", "m", "new q")
        assert code == 200, body
        proc.stop(within=5)
    finally:
        proc.kill()
    assert _texts() == ["old q", "old a", "new q", stub.reply("openai")]


def test_two_instances_on_one_home_keep_each_others_messages(stub, sloppy_home: Path) -> None:
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    (a, api_a), (b, api_b) = _start(env), _start(env)
    try:
        for i in range(3):
            for name, api in (("A", api_a), ("B", api_b)):
                code, body = api.send("anthropic", "m", f"{name}{i}")
                assert code == 200, body
        a.stop(within=5)
        b.stop(within=5)
    finally:
        a.kill()
        b.kill()
    prompts = [t for t in _texts() if t != stub.reply("anthropic")]
    assert prompts == ["A0", "B0", "A1", "B1", "A2", "B2"]
    assert len(_texts()) == 12


@pytest.mark.usefixtures("sigint_deliverable")
@pytest.mark.parametrize("delay", [0.02, 0.05, 0.1, 0.2, 0.4])
def test_an_early_sigint_exits_cleanly(delay: float) -> None:
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0"], {})
    try:
        time.sleep(delay)
        proc.popen.send_signal(signal.SIGINT)
        code = proc.popen.wait(10)
    finally:
        proc.kill()
    time.sleep(0.1)  # the reader threads drain the pipes
    err = "".join(proc.stderr)
    if code != 0 and delay < 0.1:
        # Still inside the interpreter's own start (site, the console-script wrapper):
        # Python's default handling, before sloppy's first line runs.
        assert "launcher/" not in err and "sloppy/" not in err, err
        return
    assert code == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "ERROR" not in err  # stopping before the hook server started is not a failure


def test_a_short_hook_key_exits_2_without_quoting_it() -> None:
    proc = Proc(["--headless", "--enable-test-hooks"], {"SLOPPY_HOOK_KEY": "tiny-key"})
    try:
        assert proc.popen.wait(30) == 2
    finally:
        proc.kill()
    time.sleep(0.1)
    err = "".join(proc.stderr)
    assert "SLOPPY_HOOK_KEY must be 16 to" in err and "tiny-key" not in err


def test_a_busy_port_is_named(sloppy_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", str(port)], {})
        try:
            deadline = time.monotonic() + 90
            while "hook server failed" not in "".join(proc.stderr):
                assert time.monotonic() < deadline, "".join(proc.stderr)
                time.sleep(0.1)
            proc.stop(within=5)
        finally:
            proc.kill()
    err = "".join(proc.stderr)
    assert f"cannot listen on 127.0.0.1 port {port}: the port is in use" in err


def _rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def _upload(port: int, total: int, *, chunked: bool) -> tuple[bytes, int]:
    """POST ``total`` bytes without a key; (the server's answer, bytes sent before it closed)."""
    head = "POST /api/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {total}\r\n\r\n"
    block = b"x" * (1024 * 1024)
    piece = b"%x\r\n%s\r\n" % (len(block), block) if chunked else block
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head.encode())
        try:
            while sent < total:
                s.sendall(piece)
                sent += len(block)
        except OSError:  # the server answered and closed: the rest was never wanted
            pass
        s.settimeout(10)
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except OSError:
            pass
    return answer, sent


@pytest.mark.parametrize("chunked", [False, True])
def test_a_300_mb_unauthenticated_post_does_not_grow_memory(
    chunked: bool, record_property: Callable[[str, object], None]
) -> None:
    proc, api = _start({"SLOPPY_HOOK_KEY": KEY})
    try:
        api.get("/api/warmup_wait?timeout=120")
        time.sleep(0.5)
        port = int(api.base_url.rsplit(":", 1)[1])
        rss0, hwm0 = _rss_kib(proc.popen.pid)
        answer, sent = _upload(port, 300 * 1024 * 1024, chunked=chunked)
        time.sleep(0.5)
        rss1, hwm1 = _rss_kib(proc.popen.pid)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert api.get("/api/status")["pid"] == proc.popen.pid  # still serving
        proc.stop(within=5)
    finally:
        proc.kill()
    measured = (
        f"sent {sent / 2**20:.0f} MiB before the server closed; RSS {rss0 / 1024:.1f} -> "
        f"{rss1 / 1024:.1f} MiB, peak {hwm0 / 1024:.1f} -> {hwm1 / 1024:.1f} MiB"
    )
    record_property("memory", measured)  # in the JUnit report, not on stdout
    assert rss1 - rss0 < 16 * 1024 and hwm1 - hwm0 < 16 * 1024, measured
