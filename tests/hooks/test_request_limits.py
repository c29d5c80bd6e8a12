"""The hook server's limits on a real socket: a body must follow its head in time, and a request
head has a size limit (README: the hook API's refusals)."""

from __future__ import annotations

import http.client
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient

from sloppy.app.controller import AppController
from sloppy.hooks import guard, h11_deadline
from sloppy.hooks.server import HookServer
from sloppy.providers.chat import ChatSession
from tests.support.warmed import warm_controller

KEY = "test-hook-key-0123456789"
#: A body the routes refuse without calling anything (422): what matters is that it is read.
BODY = b'{"provider": "nope", "model": "m", "prompt": "hi"}'


@pytest.fixture(scope="module")
def controller(module_home: Path) -> Iterator[AppController]:
    with warm_controller() as c:
        yield c


@pytest.fixture
def server(controller: AppController, monkeypatch: pytest.MonkeyPatch) -> Iterator[HookServer]:
    from sloppy.warm import engine

    engine.activate(controller.warmup)
    monkeypatch.setenv("SLOPPY_HOOK_KEY", KEY)
    monkeypatch.setattr(h11_deadline, "BODY_TIMEOUT_S", 1.0)
    hooks = HookServer(controller, ChatSession(), port=0, headless=True)
    hooks.start()
    yield hooks
    hooks.stop()


def _post_head(length: int) -> bytes:
    return (
        f"POST /api/send HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _read_all(s: socket.socket, timeout: float = 30) -> bytes:
    """Everything until the server closes the connection."""
    s.settimeout(timeout)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def _still_serving(hooks: HookServer) -> None:
    assert ApiHookClient(hooks.url or "", KEY).request("GET", "/api/status")[0] == 200


def test_a_body_that_never_comes_gets_408_and_the_connection_closes(
    server: HookServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert h11_deadline.BODY_TIMEOUT_S == 1.0  # 10 s in use (README), shortened for the test
    socks = []
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(20):
                s = socket.create_connection(("127.0.0.1", server.port))
                s.sendall(_post_head(len(BODY)) + BODY[:10])  # authenticated; body stalls
                socks.append(s)
            t0 = time.monotonic()
            replies = [_read_all(s) for s in socks]
            waited = time.monotonic() - t0
        for reply in replies:
            assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
            assert b"request body not complete within 1 s" in reply
        assert waited < 20  # the deadline, not the client, ended them (unbounded before)
        assert [r.getMessage() for r in caplog.records] == []  # no error for the cut route
        _still_serving(server)
    finally:
        for s in socks:
            s.close()


def _response(s: socket.socket) -> int:
    """The status of the next whole response on ``s`` (its body read)."""
    reply = http.client.HTTPResponse(s)
    reply.begin()
    reply.read()
    return reply.status


def test_a_slow_but_complete_body_is_served(server: HookServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(10)
        s.sendall(_post_head(len(BODY)) + BODY[:10])
        time.sleep(0.5)
        s.sendall(BODY[10:])
        assert _response(s) == 422
        # Kept alive past the body deadline of the first request: the next one is served.
        time.sleep(0.8)
        s.sendall(
            f"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n\r\n".encode()
        )
        assert _response(s) == 200


def _get_with_padding(pad: int) -> bytes:
    head = f"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
    head += f"X-Pad: {'a' * pad}\r\n"
    return head.encode() + b"\r\n"


@pytest.mark.parametrize("authenticated", [True, False])
def test_a_20_kib_request_head_is_refused_with_431(server: HookServer, authenticated: bool) -> None:
    request = _get_with_padding(20 * 1024)
    if not authenticated:
        request = request.replace(f"X-API-Key: {KEY}".encode(), b"X-Other: 1")
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(request)
        reply = _read_all(s)
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
    assert f"request head over {guard.MAX_HEAD_BYTES} bytes".encode() in reply
    _still_serving(server)


def test_a_head_just_under_the_limit_is_served(server: HookServer) -> None:
    base = len(_get_with_padding(0))
    request = _get_with_padding(guard.MAX_HEAD_BYTES - base)
    assert len(request) == guard.MAX_HEAD_BYTES
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(request)
        s.settimeout(10)
        assert s.recv(100).startswith(b"HTTP/1.1 200 ")
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(_get_with_padding(guard.MAX_HEAD_BYTES - base + 1))
        assert _read_all(s).startswith(b"HTTP/1.1 431 ")


def test_a_head_arriving_in_pieces_past_the_limit_is_refused(server: HookServer) -> None:
    request = _get_with_padding(20 * 1024)
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        for at in range(0, len(request), 4096):
            s.sendall(request[at : at + 4096])
            time.sleep(0.05)
        reply = _read_all(s)
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
    _still_serving(server)
