"""The hook API in process (TestClient) and the HookServer on a real loopback socket."""

from __future__ import annotations

import logging
import stat
import time

import pytest

from sloppy import api_hooks
from sloppy.ai_client import AIClient
from sloppy.api_hooks import HookServer, build_app
from sloppy.app_controller import AppController
from sloppy.chat import ChatSession
from testkit.hook_client import ApiHookClient, url_from_line
from testkit.provider_stub import PROVIDERS, SDK_MODULES, Fault, base_urls

KEY = "test-hook-key-0123456789"
ENDPOINTS = [
    ("GET", "/api/status", None),
    ("GET", "/api/warmup_status", None),
    ("GET", "/api/warmup_wait?timeout=0", None),
    ("GET", "/api/startup_profile", None),
    ("POST", "/api/send", {"provider": "openai", "model": "m", "prompt": "hi"}),
]


@pytest.fixture(scope="module")
def controller():
    c = AppController(
        warm_modules=[
            "fastapi",
            "fastapi.security.api_key",
            "uvicorn",
            *SDK_MODULES,
        ]
    )
    assert c.wait_for_warmup(120)
    yield c
    c.shutdown()


@pytest.fixture
def chat(stub):
    keys = {p: f"sk-{p}" for p in PROVIDERS}
    return ChatSession(AIClient(max_retries=0, keys=keys, base_urls=base_urls(stub)))


@pytest.fixture
def client(controller, chat):
    from fastapi.testclient import TestClient

    from sloppy import warmup

    warmup.activate(controller.warmup)
    with TestClient(build_app(controller, chat, KEY, headless=True)) as tc:
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

    from sloppy import warmup

    slow = modules.make(gate=True)
    c = AppController(warm_modules=[slow], start_warmup=False)
    warmup.activate(controller.warmup)  # fastapi is warm there; c only answers the waits
    app = build_app(c, chat, KEY, headless=True)
    c.start_warmup()
    try:
        with TestClient(app) as tc:
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

    with TestClient(build_app(controller, ChatSession(), KEY, headless=True)) as tc:
        resp = tc.post(
            "/api/send",
            json={"provider": "openai", "model": "m", "prompt": "x"},
            headers={"X-API-Key": KEY},
        )
    assert resp.status_code == 400
    assert "no API key" in resp.json()["error"]["message"]


def test_generated_key_is_stored_0600_and_reused(sloppy_home) -> None:
    key, path = api_hooks.resolve_key()
    assert path is not None and path.is_relative_to(sloppy_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert api_hooks.resolve_key() == (key, path)


def test_env_key_wins(monkeypatch) -> None:
    monkeypatch.setenv("SLOPPY_HOOK_KEY", "from-env-key-123456")
    assert api_hooks.resolve_key() == ("from-env-key-123456", None)


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
    assert api_hooks.is_loopback("127.0.0.1") and api_hooks.is_loopback("::1")
    assert not api_hooks.is_loopback("0.0.0.0")
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

    from sloppy import warmup

    warmup.activate(controller.warmup)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env-secret-abcdef")
    chat = ChatSession(AIClient(keys={"openai": "sk-app-secret-123456"}))
    with TestClient(build_app(controller, chat, KEY, headless=True)) as tc:
        body = tc.get("/api/status", headers={"X-API-Key": KEY}).json()
    assert body["keys"]["openai"] == {"available": True, "source": "app"}
    assert body["keys"]["anthropic"] == {"available": True, "source": "ANTHROPIC_API_KEY"}
    assert body["keys"]["gemini"] == {"available": False, "source": None}
    assert "secret" not in str(body)
