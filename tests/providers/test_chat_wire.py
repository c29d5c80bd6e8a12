"""The conversation sent is the conversation: what the loopback stub received from each SDK
after an error reply, a stop mid-stream, a retry, a regenerate and an edit."""

from __future__ import annotations

from typing import Any

import pytest
from sloppy_testkit.provider_stub import PROVIDERS, Fault, Stub, base_urls

from sloppy.providers.chat import ChatSession
from sloppy.providers.client import AIClient, ProviderError

pytestmark = pytest.mark.usefixtures("sdks")

MODEL = {p: f"{p}-stub" for p in PROVIDERS}
#: What must never reach a model: error texts and stop marks.
NEVER_SENT = ("stub error", "Error code", "500", "(stopped)", "stopped")


def session(stub: Stub, provider: str) -> ChatSession:
    keys = {p: f"sk-{p}" for p in PROVIDERS}
    chat = ChatSession(AIClient(max_retries=0, keys=keys, base_urls=base_urls(stub)))
    chat.select(provider, MODEL[provider], base_urls(stub)[provider])
    return chat


def chat_requests(stub: Stub, provider: str) -> list[dict[str, Any]]:
    return [r["body"] for r in stub.requests if r["provider"] == provider and r["body"]]


def turns(provider: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """The (role, text) turns of one request, in the provider's wire format; system apart."""
    if provider == "gemini":
        return [
            (
                "assistant" if c["role"] == "model" else "user",
                "".join(p["text"] for p in c["parts"]),
            )
            for c in body["contents"]
        ]
    return [(m["role"], m["content"]) for m in body["messages"] if m["role"] != "system"]


def last_turns(stub: Stub, provider: str) -> list[tuple[str, str]]:
    body = chat_requests(stub, provider)[-1]
    text = str(body)
    for bad in NEVER_SENT:
        assert bad not in text, f"{bad!r} reached the model: {text}"
    sent = turns(provider, body)
    assert [r for r, _ in sent] == ["user", "assistant"] * (len(sent) // 2) + ["user"]
    return sent


def shown(chat: ChatSession) -> list[tuple[str, str, bool, bool]]:
    return [(m.role, m.text, m.error, m.stopped) for m in chat.messages()]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_after_an_error_reply_the_next_request_has_no_error_text(stub: Stub, provider: str) -> None:
    chat = session(stub, provider)
    reply = stub.reply(provider)
    chat.send("q0")
    stub.faults[provider] = Fault(status=500, times=1)
    with pytest.raises(ProviderError):
        chat.send("q1")
    error = chat.messages()[-1]
    assert error.error and "500" in error.text  # shown on the message
    chat.send("q2")
    assert last_turns(stub, provider) == [("user", "q0"), ("assistant", reply), ("user", "q2")]
    # Shown: the failed prompt and its error stay visible (never sent).
    assert [(t, e) for t, _, e, _ in shown(chat)] == [
        ("user", False),
        ("assistant", False),
        ("user", False),
        ("assistant", True),
        ("user", False),
        ("assistant", False),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retry_asks_again_with_the_failed_prompt_and_removes_the_error(
    stub: Stub, provider: str
) -> None:
    chat = session(stub, provider)
    reply = stub.reply(provider)
    chat.send("q0")
    stub.faults[provider] = Fault(status=500, times=1)
    with pytest.raises(ProviderError):
        chat.send("q1")
    chat.retry()
    assert last_turns(stub, provider) == [("user", "q0"), ("assistant", reply), ("user", "q1")]
    assert shown(chat) == [
        ("user", "q0", False, False),
        ("assistant", reply, False, False),
        ("user", "q1", False, False),
        ("assistant", reply, False, False),
    ]
    with pytest.raises(ValueError, match="nothing to retry"):
        chat.retry()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_after_a_stop_mid_stream_the_partial_reply_is_sent_without_a_mark(
    stub: Stub, provider: str
) -> None:
    chat = session(stub, provider)
    stub.reply_words = 40
    stub.faults[provider] = Fault(token_delay_s=0.05)
    got: list[str] = []

    def on_token(piece: str) -> None:
        got.append(piece)
        if len(got) == 3:
            chat.stop()

    assert chat.send("long one", on_token=on_token).cancelled
    partial = chat.messages()[-1]
    assert partial.stopped and not partial.error
    assert partial.text == "".join(got)  # what arrived, no mark appended
    assert "(stopped)" not in partial.text and 0 < len(partial.text) < len(stub.reply(provider))
    del stub.faults[provider]
    chat.send("next")
    assert last_turns(stub, provider) == [
        ("user", "long one"),
        ("assistant", partial.text),
        ("user", "next"),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_regenerate_and_edit_send_what_they_should(stub: Stub, provider: str) -> None:
    chat = session(stub, provider)
    reply = stub.reply(provider)
    chat.send("q1")
    chat.send("q2")
    chat.regenerate()
    assert last_turns(stub, provider) == [("user", "q1"), ("assistant", reply), ("user", "q2")]
    assert [m.text for m in chat.messages()] == ["q1", reply, "q2", reply]
    chat.edit_last("q2, said better")
    assert last_turns(stub, provider) == [
        ("user", "q1"),
        ("assistant", reply),
        ("user", "q2, said better"),
    ]
    assert [m.text for m in chat.messages()] == ["q1", reply, "q2, said better", reply]
    assert len(chat_requests(stub, provider)) == 4


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_system_prompt_is_sent_unless_the_conversation_has_one(
    stub: Stub, provider: str
) -> None:
    chat = session(stub, provider)
    chat.send("hi")
    assert "helpful assistant" not in str(chat_requests(stub, provider)[-1])
    plain = str(chat_requests(stub, provider)[-1])
    chat.set_system("Answer in French.")
    chat.send("again")
    assert "Answer in French." in str(chat_requests(stub, provider)[-1])
    assert "Answer in French." not in plain
