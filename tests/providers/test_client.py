"""The real SDKs against the loopback stub: replies, streams, cancel, and every error kind."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sloppy_testkit.provider_stub import PROVIDERS, Fault, Stub, base_urls

from sloppy.providers.client import AIClient, CancelToken, ProviderError
from sloppy.store.messages import Message

pytestmark = pytest.mark.usefixtures("sdks")

MODEL = {p: f"{p}-stub" for p in PROVIDERS}


def client_for(stub: Stub, *, timeout_s: float = 5.0, max_retries: int = 1) -> AIClient:
    keys = {p: f"sk-{p}" for p in PROVIDERS}
    return AIClient(
        timeout_s=timeout_s, max_retries=max_retries, keys=keys, base_urls=base_urls(stub)
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_reply(stub: Stub, provider: str) -> None:
    client = client_for(stub)
    history = [Message("user", "hi"), Message("assistant", "hello")]
    reply = client.send(provider, MODEL[provider], history, "how are you?", system="be brief")
    assert reply.text == stub.reply(provider)
    assert not reply.cancelled
    sent = stub.requests[-1]["body"]
    flat = str(sent)
    assert "how are you?" in flat and "hello" in flat and "be brief" in flat


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streamed_reply(stub: Stub, provider: str) -> None:
    client = client_for(stub)
    tokens: list[str] = []
    reply = client.send(provider, MODEL[provider], [], "stream please", on_token=tokens.append)
    assert tokens == stub.tokens(provider)
    assert reply.text == stub.reply(provider)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancel_mid_stream_while_waiting_for_a_chunk(stub: Stub, provider: str) -> None:
    stub.reply_words = 50
    stub.faults[provider] = Fault(token_delay_s=2.0)
    client = client_for(stub, timeout_s=30)
    cancel = CancelToken()
    tokens: list[str] = []

    cancelled_at: list[float] = []

    def cancel_now() -> None:
        cancelled_at.append(time.perf_counter())
        cancel.cancel()

    def on_token(tok: str) -> None:
        tokens.append(tok)
        threading.Timer(0.1, cancel_now).start()  # cancel while the stream is stalled

    reply = client.send(provider, MODEL[provider], [], "long", on_token=on_token, cancel=cancel)
    returned = time.perf_counter()
    assert reply.cancelled
    assert tokens and reply.text == "".join(tokens)
    assert len(tokens) < 50
    assert returned - cancelled_at[0] < 1.0  # did not wait for the next chunk (2 s away)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [401, 404, 429, 500])
def test_http_errors_become_provider_errors(stub: Stub, provider: str, status: int) -> None:
    stub.faults[provider] = Fault(status=status)
    client = client_for(stub, max_retries=1)
    with pytest.raises(ProviderError) as info:
        client.send(provider, MODEL[provider], [], "hi")
    err = info.value
    assert err.provider == provider
    assert err.status == status
    # A rejected key gets a fixed text: some servers echo part of the key back.
    said = {
        401: "the API key was rejected",
        404: "not found (is the model name right?): stub error, as the test asked",
        429: "rate limited: stub error, as the test asked",
        500: "server error: stub error, as the test asked",
    }[status]
    # The same sentence from every SDK, the status said once (not also the SDK's "Error code").
    assert str(err) == f"{provider}: {said} (HTTP {status})"
    assert 1 <= stub.count(provider) <= 2  # retries are bounded


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout(stub: Stub, provider: str) -> None:
    stub.faults[provider] = Fault(delay_s=3.0)
    client = client_for(stub, timeout_s=0.5, max_retries=0)
    t0 = time.perf_counter()
    with pytest.raises(ProviderError) as info:
        client.send(provider, MODEL[provider], [], "hi")
    assert time.perf_counter() - t0 < 2.5
    assert "timed out" in info.value.message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_refused(provider: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}" + ("/v1" if provider == "openai" else "")
    client = AIClient(timeout_s=2, max_retries=0, keys={provider: "k"}, base_urls={provider: url})
    with pytest.raises(ProviderError) as info:
        client.send(provider, MODEL[provider], [], "hi")
    assert info.value.provider == provider
    assert "connect" in info.value.message


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_reply(stub: Stub, provider: str) -> None:
    stub.faults[provider] = Fault(malformed=True)
    client = client_for(stub, max_retries=0)
    with pytest.raises(ProviderError) as info:
        client.send(provider, MODEL[provider], [], "hi")
    assert info.value.provider == provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_dropped_stream(stub: Stub, provider: str) -> None:
    stub.faults[provider] = Fault(drop_after=2)
    client = client_for(stub, max_retries=0)
    with pytest.raises(ProviderError) as info:
        client.send(provider, MODEL[provider], [], "hi", on_token=lambda _t: None)
    assert info.value.provider == provider


@pytest.mark.parametrize("provider", PROVIDERS)
def test_missing_key_sends_nothing(stub: Stub, provider: str) -> None:
    client = AIClient(base_urls=base_urls(stub))
    with pytest.raises(ProviderError, match="no API key"):
        client.send(provider, MODEL[provider], [], "hi")
    assert stub.requests == []


def test_keys_and_base_urls_from_the_sdk_environment(stub: Stub, monkeypatch) -> None:
    urls = base_urls(stub)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", urls["openai"])
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env-a")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", urls["anthropic"])
    monkeypatch.setenv("GEMINI_API_KEY", "g-env")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", urls["gemini"])
    client = AIClient(max_retries=0)
    for provider in PROVIDERS:
        assert client.send(provider, MODEL[provider], [], "hi").text == stub.reply(provider)
    headers = {r["provider"]: r["headers"] for r in stub.requests}
    assert headers["openai"]["authorization"] == "Bearer sk-env"
    # This anthropic release sends the key as a bearer token; older ones used x-api-key.
    sent = headers["anthropic"]
    assert "sk-env-a" in (sent.get("x-api-key", ""), sent.get("authorization", "")[7:])
    assert headers["gemini"]["x-goog-api-key"] == "g-env"


def test_client_is_reused_and_rebuilt_when_the_key_changes(stub: Stub) -> None:
    client = client_for(stub)
    client.send("openai", "m", [], "a")
    first = client._clients["openai"][1]
    client.send("openai", "m", [], "b")
    assert client._clients["openai"][1] is first
    client.configure("openai", key="sk-other", base_url=base_urls(stub)["openai"])
    client.send("openai", "m", [], "c")
    assert client._clients["openai"][1] is not first
    assert stub.requests[-1]["headers"]["authorization"] == "Bearer sk-other"


def test_openai_compatible_server_needs_no_key(stub: Stub) -> None:
    client = AIClient(max_retries=0, base_urls={"openai_compatible": base_urls(stub)["openai"]})
    assert client.send("openai_compatible", "local", [], "hi").text == stub.reply("openai")


def test_unknown_provider_and_missing_model() -> None:
    client = AIClient()
    with pytest.raises(ProviderError, match="unknown provider"):
        client.send("nope", "m", [], "hi")
    with pytest.raises(ProviderError, match="no model"):
        client.send("openai", "", [], "hi")


def test_keys_never_appear_in_errors(stub: Stub) -> None:
    stub.faults["openai"] = Fault(status=401)
    client = AIClient(
        max_retries=0,
        keys={"openai": "sk-SECRET-123"},
        base_urls={"openai": base_urls(stub)["openai"]},
    )
    with pytest.raises(ProviderError) as info:
        client.send("openai", "m", [], "hi")
    assert "sk-SECRET-123" not in str(info.value)
    assert "sk-SECRET-123" not in repr(client._clients)
