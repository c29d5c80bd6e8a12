"""The hook API in process (TestClient) and the HookServer on a real loopback socket."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import stat
import time

import pytest
from sloppy_testkit.hook_client import ApiHookClient, url_from_line
from sloppy_testkit.provider_stub import PROVIDERS, SDK_MODULES, Fault

from sloppy.app.controller import AppController
from sloppy.hooks import guard, h11_deadline, hook_key
from sloppy.hooks.routes import build_app
from sloppy.hooks.server import HookServer
from sloppy.providers.chat import ChatSession
from sloppy.providers.client import AIClient
from tests.support.damage import DAMAGE_KINDS, apply_damage
from tests.support.hook_app import hook_client, stub_session
from tests.support.warmed import warm_controller

KEY = "test-hook-key-0123456789"
LOOPBACK = "http://127.0.0.1"
ENDPOINTS = [
    ("GET", "/api/status", None),
    ("GET", "/api/warmup_status", None),
    ("GET", "/api/warmup_wait?timeout=0", None),
    ("GET", "/api/startup_profile", None),
    ("POST", "/api/send", {"provider": "openai", "model": "m", "prompt": "hi"}),
    ("GET", "/api/discussions", None),
]


@pytest.fixture(scope="module")
def controller(module_home):
    with warm_controller(*SDK_MODULES) as c:
        yield c


@pytest.fixture
def chat(stub):
    return stub_session(stub)


@pytest.fixture
def client(controller, chat):
    with hook_client(controller, chat, KEY) as tc:
        yield tc


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
def test_every_endpoint_requires_the_key(client, method, path, body, headers) -> None:
    resp = client.request(method, path, json=body, headers=headers)
    assert resp.status_code == 401
    assert KEY not in resp.text


def test_no_docs_or_schema_are_served(client) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path, headers={"X-API-Key": KEY}).status_code == 404


def test_status(client) -> None:
    body = client.get("/api/status", headers={"X-API-Key": KEY}).json()
    assert body["headless"] is True
    assert {"version", "pid", "uptime_s", "provider", "model"} <= set(body)


def test_warmup_status_is_the_contract(client, controller) -> None:
    body = client.get("/api/warmup_status", headers={"X-API-Key": KEY}).json()
    assert set(body) == {"pending", "in_flight", "completed", "failed", "order", "done"}
    assert body["done"] is True
    assert body == controller.warmup_status()


def test_warmup_wait(client) -> None:
    body = client.get("/api/warmup_wait?timeout=5", headers={"X-API-Key": KEY}).json()
    assert body["timed_out"] is False and body["done"] is True
    assert client.get("/api/warmup_wait", headers={"X-API-Key": KEY}).status_code == 200


@pytest.mark.parametrize("timeout", ["-1", "300.5", "abc", "1e9"])
def test_warmup_wait_rejects_bad_timeouts(client, timeout) -> None:
    resp = client.get(f"/api/warmup_wait?timeout={timeout}", headers={"X-API-Key": KEY})
    assert resp.status_code == 422


def test_warmup_wait_times_out(controller, chat, modules) -> None:
    from fastapi.testclient import TestClient

    from sloppy.warm import engine

    slow = modules.make(gate=True)
    c = AppController(warm_modules=[slow], start_warmup=False)
    engine.activate(controller.warmup)  # fastapi is warm there; c only answers the waits
    app = build_app(c, chat, KEY, headless=True)
    c.start_warmup()
    try:
        with TestClient(app, base_url=LOOPBACK) as tc:
            t0 = time.perf_counter()
            body = tc.get("/api/warmup_wait?timeout=0.3", headers={"X-API-Key": KEY}).json()
            assert 0.25 < time.perf_counter() - t0 < 3
            assert body["timed_out"] is True and body["done"] is False
            modules.gates[slow].set()
            body = tc.get("/api/warmup_wait?timeout=10", headers={"X-API-Key": KEY}).json()
            assert body["timed_out"] is False
    finally:
        c.shutdown()


def test_startup_profile(client) -> None:
    body = client.get("/api/startup_profile", headers={"X-API-Key": KEY}).json()
    assert any(p["name"] == "controller.init" for p in body["phases"])
    assert {m["name"] for m in body["modules"]} >= {"fastapi", "openai"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_send_returns_the_reply_and_records_it(client, chat, stub, provider) -> None:
    resp = client.post(
        "/api/send",
        json={"provider": provider, "model": "m", "prompt": "hello"},
        headers={"X-API-Key": KEY},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"text": stub.reply(provider)}
    assert [m.text for m in chat.messages()][-2:] == ["hello", stub.reply(provider)]


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "openai", "model": "m"},
        {"provider": "openai", "prompt": "x"},
        {"provider": "openai", "model": "", "prompt": "x"},
        {"provider": "openai", "model": 5, "prompt": ["x"]},
        "not an object",
        None,
    ],
)
def test_send_rejects_malformed_input(client, body) -> None:
    resp = client.post("/api/send", json=body, headers={"X-API-Key": KEY})
    assert resp.status_code == 422


def test_send_rejects_an_unknown_provider(client) -> None:
    resp = client.post(
        "/api/send",
        json={"provider": "skynet", "model": "m", "prompt": "x"},
        headers={"X-API-Key": KEY},
    )
    assert 400 <= resp.status_code < 500


def test_provider_failure_is_a_json_error(client, stub) -> None:
    stub.faults["anthropic"] = Fault(status=500)
    resp = client.post(
        "/api/send",
        json={"provider": "anthropic", "model": "m", "prompt": "x"},
        headers={"X-API-Key": KEY},
    )
    assert resp.status_code == 502
    err = resp.json()["error"]
    assert err["provider"] == "anthropic" and err["status"] == 500
    assert "stub error" in err["message"]


def test_missing_provider_key_is_a_client_error(controller) -> None:
    from fastapi.testclient import TestClient

    with TestClient(
        build_app(controller, ChatSession(), KEY, headless=True), base_url=LOOPBACK
    ) as tc:
        resp = tc.post(
            "/api/send",
            json={"provider": "openai", "model": "m", "prompt": "x"},
            headers={"X-API-Key": KEY},
        )
    assert resp.status_code == 400
    assert "no API key" in resp.json()["error"]["message"]


def test_generated_key_is_stored_0600_and_reused(sloppy_home) -> None:
    key, path = hook_key.resolve_key()
    assert path is not None and path.is_relative_to(sloppy_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hook_key.resolve_key() == (key, path)


def test_env_key_wins(monkeypatch) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", "from-env-key-123456")
    assert hook_key.resolve_key() == ("from-env-key-123456", None)


def test_hook_server_on_loopback_free_port(controller, chat, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", KEY)
    server = HookServer(controller, chat, port=0, headless=True)
    url = server.start()
    try:
        out = capsys.readouterr().out
        assert [url_from_line(ln) for ln in out.splitlines()].count(url) == 1
        assert url.startswith("http://127.0.0.1:") and server.port != 0
        assert KEY not in out
        api = ApiHookClient(url, KEY)
        assert api.wait_for_server(5)
        assert api.request("GET", "/api/status")[0] == 200
        assert ApiHookClient(url, "bad").request("GET", "/api/status")[0] == 401
    finally:
        server.stop()
    assert not server._thread or not server._thread.is_alive()


def test_non_loopback_host_warns(controller, chat, caplog, monkeypatch) -> None:
    assert guard.is_loopback("127.0.0.1") and guard.is_loopback("::1")
    assert not guard.is_loopback("0.0.0.0")
    monkeypatch.setenv("SLOPPY_HOOK_KEY", KEY)

    def exposure_warnings() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and "not loopback" in r.getMessage()
        ]

    caplog.set_level(logging.WARNING, logger="sloppy")
    loopback = HookServer(controller, chat, port=0, headless=True)
    loopback.start()
    loopback.stop()
    assert exposure_warnings() == []
    # 192.0.2.1 (TEST-NET-1) is never assigned to this machine: the bind fails after the
    # warning, so the test exposes nothing to the network.
    exposed = HookServer(controller, chat, host="192.0.2.1", port=0, headless=True)
    with pytest.raises(OSError):
        exposed.start()
    (warning,) = exposure_warnings()
    assert "192.0.2.1" in warning and KEY not in warning


def test_status_says_which_providers_have_a_key(controller, stub, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from sloppy.warm import engine

    engine.activate(controller.warmup)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env-secret-abcdef")
    chat = ChatSession(AIClient(keys={"openai": "sk-app-secret-123456"}))
    with TestClient(build_app(controller, chat, KEY, headless=True), base_url=LOOPBACK) as tc:
        body = tc.get("/api/status", headers={"X-API-Key": KEY}).json()
    assert body["keys"]["openai"] == {"available": True, "source": "app"}
    assert body["keys"]["anthropic"] == {"available": True, "source": "ANTHROPIC_API_KEY"}
    assert body["keys"]["gemini"] == {"available": False, "source": None}
    assert "secret" not in str(body)


# -- hardening: the key before the body, sizes, hosts, encodings, timeouts --------------------

SEND = {"provider": "openai", "model": "m", "prompt": "hi"}


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"provider": "openai"', b"\xff\xfe", b"[]" * 1000],
)
def test_unauthenticated_bodies_get_401_whatever_they_hold(client, content) -> None:
    resp = client.post("/api/send", content=content, headers={"Content-Type": "application/json"})
    assert resp.status_code == 401
    assert resp.json() == {"detail": "missing or wrong X-API-Key"}
    assert resp.headers["connection"] == "close"


def test_unauthenticated_request_is_refused_before_its_body_is_read(controller, chat) -> None:
    from sloppy.warm import engine

    engine.activate(controller.warmup)
    app = build_app(controller, chat, KEY, headless=True)
    received = []

    async def receive() -> dict:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/send",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", b"314572800")],
        "query_string": b"",
    }
    asyncio.run(app(scope, receive, send))
    assert received == [] and sent[0]["status"] == 401


def test_body_over_the_limit_is_413(client) -> None:
    big = b'{"provider": "openai", "model": "m", "prompt": "' + b"x" * guard.MAX_BODY_BYTES
    resp = client.post(
        "/api/send",
        content=big + b'"}',
        headers={"X-API-Key": KEY, "Content-Type": "application/json"},
    )
    assert resp.status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        yield big
        yield b'"}'

    resp = client.post(
        "/api/send",
        content=chunks(),
        headers={"X-API-Key": KEY, "Content-Type": "application/json"},
    )
    assert resp.status_code == 413


def test_a_lone_surrogate_is_422_and_not_recorded(client, chat) -> None:
    before = chat.messages()
    for field in ("prompt", "model"):
        body = json.dumps({**SEND, field: "a\ud800b"})
        resp = client.post(
            "/api/send",
            content=body,
            headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        )
        assert resp.status_code == 422, resp.text
        assert field in resp.text
    assert chat.messages() == before


@pytest.mark.parametrize(
    ("host", "web_host", "ok"),
    [
        ("127.0.0.1:8999", "127.0.0.1", True),
        ("localhost", "127.0.0.1", True),
        ("[::1]:8999", "127.0.0.1", True),
        ("evil.example", "127.0.0.1", False),
        ("evil.example:8999", "127.0.0.1", False),
        ("127.0.0.1.evil.example", "127.0.0.1", False),
        ("192.168.1.5:8999", "127.0.0.1", False),
        ("192.168.1.5:8999", "192.168.1.5", True),
        ("10.0.0.7", "0.0.0.0", True),
        ("rebind.example", "0.0.0.0", False),
        ("box.lan", "box.lan", True),
    ],
)
def test_host_header_must_name_loopback_or_the_web_host(
    controller, chat, host, web_host, ok
) -> None:
    from fastapi.testclient import TestClient

    from sloppy.warm import engine

    engine.activate(controller.warmup)
    app = build_app(controller, chat, KEY, headless=True, web_host=web_host)
    with TestClient(app, base_url=LOOPBACK) as tc:
        resp = tc.get("/api/status", headers={"X-API-Key": KEY, "Host": host})
    assert resp.status_code == (200 if ok else 400), resp.text


def test_status_reports_files_set_aside(client, sloppy_home) -> None:
    path = sloppy_home / "config" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text("{{{")
    from sloppy.store import settings

    settings.load()
    body = client.get("/api/status", headers={"X-API-Key": KEY}).json()
    last = body["set_aside"][-1]
    assert last["file"] == str(path) and last["set_aside_as"].startswith(str(path) + ".bad-")
    assert "JSON" in last["reason"]


@pytest.mark.parametrize("bad", ["x", "short-key-15chr", "has a space in it!!", "ключ" * 5])
def test_short_or_odd_env_keys_are_refused(monkeypatch, bad) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", bad)
    with pytest.raises(ValueError, match=r"must be 16 to") as err:
        hook_key.resolve_key()
    assert bad not in str(err.value)


def test_launcher_exits_2_on_a_short_env_key(monkeypatch, capsys) -> None:
    from sloppy_launcher import boot1_argv

    monkeypatch.setenv("SLOPPY_HOOK_KEY", "x")
    with pytest.raises(SystemExit) as exit_:
        boot1_argv.parse(["--headless", "--enable-test-hooks"])
    assert exit_.value.code == 2
    assert "SLOPPY_HOOK_KEY must be 16" in capsys.readouterr().err
    assert not isinstance(boot1_argv.parse(["--headless"]), int)  # no hooks: not needed


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_a_damaged_key_file_is_set_aside_and_replaced(sloppy_home, kind) -> None:
    key, path = hook_key.resolve_key()
    assert path is not None
    apply_damage(path, kind)
    damaged_inode = path.lstat().st_ino
    new_key, new_path = hook_key.resolve_key()
    assert new_path == path and hook_key.usable(new_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    asides = list(path.parent.glob("hook_key.bad-*"))
    if kind == "truncated":  # half a generated key is still a usable key: kept
        assert new_key == key[: len(key) // 2] and asides == []
        assert path.lstat().st_ino == damaged_inode  # kept in place, not rewritten
    else:
        assert new_key != key and len(asides) == 1
        assert asides[0].lstat().st_ino == damaged_inode  # moved, not copied or deleted


def test_partial_request_heads_are_dropped(controller, chat, monkeypatch) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", KEY)
    monkeypatch.setattr(h11_deadline, "HEADER_TIMEOUT_S", 0.5)
    hooks = HookServer(controller, chat, port=0, headless=True)
    hooks.start()
    socks = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", hooks.port))
            s.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-")
            socks.append(s)
        idle = socket.create_connection(("127.0.0.1", hooks.port))  # not a byte sent
        socks.append(idle)
        time.sleep(1.5)
        for s in socks:
            s.settimeout(2)
            assert s.recv(100) == b""  # closed by the server
        api = ApiHookClient(hooks.url or "", KEY)
        assert api.request("GET", "/api/status")[0] == 200  # still serving
    finally:
        for s in socks:
            s.close()
        hooks.stop()


def test_a_slow_but_complete_request_is_served(controller, chat, monkeypatch) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", KEY)
    monkeypatch.setattr(h11_deadline, "HEADER_TIMEOUT_S", 1.0)
    hooks = HookServer(controller, chat, port=0, headless=True)
    hooks.start()
    try:
        with socket.create_connection(("127.0.0.1", hooks.port)) as s:
            for _ in range(2):  # two requests on one keep-alive connection
                s.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                time.sleep(0.4)
                s.sendall(f"X-API-Key: {KEY}\r\n\r\n".encode())
                s.settimeout(5)
                assert _read_response(s).startswith(b"HTTP/1.1 200")
                # The deadline restarts after each response: the second head, complete
                # 1.2 s after the connection opened, is still on time.
                time.sleep(0.4)
    finally:
        hooks.stop()


def test_port_in_use_names_the_port(controller, chat, monkeypatch, caplog) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", KEY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        server = HookServer(controller, chat, port=port, headless=True)
        with pytest.raises(OSError, match=f"127.0.0.1 port {port}: the port is in use"):
            server.start()


def test_stopping_during_warmup_logs_no_error(controller, modules, caplog) -> None:
    from sloppy.warm import engine

    slow = modules.make(gate=True)
    c = AppController(warm_modules=[slow, "fastapi", "fastapi.security.api_key", "uvicorn"])
    server = HookServer(c, ChatSession(), port=0, headless=True)
    try:
        with caplog.at_level(logging.INFO, logger="sloppy"):
            server.start_in_background()
            time.sleep(0.3)  # the start job waits for fastapi behind the gated module
            server.stop()
            c.shutdown()
            modules.gates[slow].set()
            time.sleep(0.3)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("not started: sloppy is stopping" in r.getMessage() for r in caplog.records)
    finally:
        engine.activate(controller.warmup)


def _read_response(s: socket.socket) -> bytes:
    """One whole HTTP response (head and Content-Length body) from ``s``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += s.recv(4096)
    return head + b"\r\n\r\n" + body
