"""The hook API's conversations: GET /api/discussions and /api/send naming a discussion."""

from __future__ import annotations

import pytest
from sloppy_testkit.provider_stub import SDK_MODULES

from sloppy.providers.chat import ChatSession
from sloppy.store import discussions
from sloppy.store.messages import Discussion, Message
from tests.support.hook_app import hook_client, stub_session
from tests.support.warmed import warm_controller

KEY = "discussion-routes-key-0123456789"
H = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def controller(module_home):
    with warm_controller(*SDK_MODULES) as c:
        yield c


@pytest.fixture
def chat(stub) -> ChatSession:
    return stub_session(stub)


@pytest.fixture
def client(controller, chat):
    with hook_client(controller, chat, KEY) as tc:
        yield tc


def _saved(name: str, title: str, at: float, *texts: str) -> None:
    roles = ("user", "assistant")
    messages = [Message(roles[i % 2], t, at=at + i) for i, t in enumerate(texts)]
    discussions.save(Discussion(name=name, title=title, messages=messages, updated_at=at))


def test_discussions_lists_every_one_newest_first_with_the_current(client, chat) -> None:
    _saved("older", "Older talk", 1000.0, "q1", "q2")
    _saved("newer", "Newer talk", 2000.0, "about tides")
    chat.open("older")
    body = client.get("/api/discussions", headers=H).json()
    assert body["current"] == "older"
    assert body["discussions"] == [
        {"name": "newer", "title": "Newer talk", "updated_at": 2000.0, "messages": 1},
        {"name": "older", "title": "Older talk", "updated_at": 1001.0, "messages": 2},
    ]
    found = client.get("/api/discussions", params={"q": "TIDES"}, headers=H).json()
    assert [d["name"] for d in found["discussions"]] == ["newer"]


def test_send_to_a_named_discussion_opens_it_and_adds_there(client, chat, stub) -> None:
    _saved("target", "Target", 1000.0, "earlier", "an answer")
    _saved("other", "Other", 2000.0, "elsewhere")
    chat.open("other")
    resp = client.post(
        "/api/send",
        json={"provider": "openai", "model": "m", "prompt": "to target", "discussion": "target"},
        headers=H,
    )
    assert resp.status_code == 200, resp.text
    assert chat.current_name == "target"  # the window shows it too (one session)
    texts = [m.text for m in discussions.load("target")[0].messages]  # type: ignore[union-attr]
    assert texts == ["earlier", "an answer", "to target", stub.reply("openai")]
    other = discussions.load("other")[0]
    assert other is not None and [m.text for m in other.messages] == ["elsewhere"]
    assert "earlier" in str(stub.requests[-1]["body"])  # its history was sent


def test_send_to_an_unknown_discussion_is_a_404_and_sends_nothing(client, chat, stub) -> None:
    before = chat.current_name
    resp = client.post(
        "/api/send",
        json={"provider": "openai", "model": "m", "prompt": "hi", "discussion": "no-such"},
        headers=H,
    )
    assert resp.status_code == 404
    assert "no-such" in resp.json()["error"]["message"]
    assert stub.requests == [] and chat.current_name == before and chat.messages() == []


def test_send_without_a_discussion_adds_to_the_current_one(client, chat, stub) -> None:
    resp = client.post(
        "/api/send", json={"provider": "anthropic", "model": "m", "prompt": "plain"}, headers=H
    )
    assert resp.status_code == 200, resp.text
    listed = client.get("/api/discussions", headers=H).json()
    [entry] = listed["discussions"]
    assert entry["name"] == listed["current"] == chat.current_name
    assert entry["title"] == "plain" and entry["messages"] == 2
