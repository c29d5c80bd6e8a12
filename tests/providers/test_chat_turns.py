"""ChatSession while replies are on their way: prompts saved at once, one reply per discussion,
several discussions at once, reopen, delete, and actions that name the discussion shown."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sloppy.providers.cancel import CancelToken
from sloppy.providers.chat import Busy, ChatSession, Moved
from sloppy.providers.client import AIClient, ProviderError, Reply
from sloppy.store import discussions
from sloppy.store.messages import Message
from sloppy.ui.actions import ChatActions

WAIT_S = 10.0


class GatedClient(AIClient):
    """Streams ``piece`` then waits for its prompt's gate (or a cancel); answers ``answer to
    <prompt>``. ``fail`` makes it raise instead."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        self.sent: dict[str, list[tuple[str, str]]] = {}
        self.fail = False
        self.piece = "part"

    def gate(self, prompt: str) -> threading.Event:
        self.started.setdefault(prompt, threading.Event())
        return self.gates.setdefault(prompt, threading.Event())

    def send(
        self,
        provider: str,
        model: str,
        history: Any,
        prompt: str,
        *,
        system: str | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> Reply:
        self.sent[prompt] = [(m.role, m.text) for m in history]
        gate = self.gates.get(prompt)
        if gate is not None:
            if on_token is not None:
                on_token(self.piece)
            self.started[prompt].set()
            while not gate.wait(0.01):
                if cancel is not None and cancel.is_set():
                    return Reply(self.piece, cancelled=True)
        if self.fail:
            raise ProviderError(provider, "HTTP 500 boom")
        return Reply(f"answer to {prompt}")


@pytest.fixture
def client(sloppy_home: Path) -> GatedClient:
    return GatedClient()


@pytest.fixture
def threads() -> Iterator[Callable[..., threading.Thread]]:
    started: list[threading.Thread] = []

    def start(fn: Callable[..., Any], *args: Any) -> threading.Thread:
        def run() -> None:
            with contextlib.suppress(Exception):
                fn(*args)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        started.append(t)
        return t

    yield start
    for t in started:
        t.join(WAIT_S)


def _streaming(
    chat: ChatSession, client: GatedClient, threads: Callable[..., threading.Thread], prompt: str
) -> tuple[threading.Event, threading.Thread]:
    """Send ``prompt`` on a thread; return its gate and thread once its reply streams."""
    gate = client.gate(prompt)
    t = threads(chat.send, prompt)
    assert client.started[prompt].wait(WAIT_S)
    return gate, t


def _on_disk(name: str) -> list[tuple[str, str]]:
    found, _problem = discussions.load(name)
    return [(m.role, m.text) for m in found.messages] if found is not None else []


def _shown(chat: ChatSession) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in chat.messages()]


def test_a_prompt_is_on_disk_before_the_keys_are_read(client: GatedClient, threads) -> None:
    chat = ChatSession(client)
    chat.new("A")
    chat.keys.start_loading(lambda _fn: None)  # the keychain has not answered yet
    t = threads(chat.send, "my prompt")
    for _ in range(500):
        if chat.busy:
            break
        time.sleep(0.01)
    assert chat.busy
    with chat.lock:  # the prompt is added and saved in one step
        assert _on_disk("A") == [("user", "my prompt")]
    chat.keys._loaded.set()
    t.join(WAIT_S)
    assert _on_disk("A") == [("user", "my prompt"), ("assistant", "answer to my prompt")]


def test_a_second_prompt_into_a_discussion_being_answered_is_refused(
    client: GatedClient, threads
) -> None:
    chat = ChatSession(client)
    chat.new("A")
    gate, t = _streaming(chat, client, threads, "p1")
    with pytest.raises(Busy):
        chat.send("p2")
    for again in (chat.begin_retry, chat.begin_regenerate):
        with pytest.raises(Busy):
            again()
    chat.stop()  # stops the one reply there is
    t.join(WAIT_S)
    assert not gate.is_set() and not t.is_alive()
    assert [(m.role, m.text, m.stopped) for m in chat.messages()] == [
        ("user", "p1", False),
        ("assistant", "part", True),
    ]


def test_replies_into_two_discussions_stream_at_once_and_pair_with_their_prompts(
    client: GatedClient, threads
) -> None:
    chat = ChatSession(client)
    chat.new("A")
    chat.send("a1")
    gate_a, ta = _streaming(chat, client, threads, "a2")
    chat.new("B")
    assert not chat.busy and chat.streaming is None  # B is idle while A streams
    gate_b, tb = _streaming(chat, client, threads, "b1")
    assert chat.streaming == "part" and set(chat.streaming_names()) == {"A", "B"}
    gate_a.set()
    gate_b.set()
    ta.join(WAIT_S)
    tb.join(WAIT_S)
    assert _on_disk("A") == [
        ("user", "a1"),
        ("assistant", "answer to a1"),
        ("user", "a2"),
        ("assistant", "answer to a2"),
    ]
    assert _on_disk("B") == [("user", "b1"), ("assistant", "answer to b1")]
    assert client.sent["b1"] == []


def test_reopening_a_discussion_being_answered_shows_the_same_one(
    client: GatedClient, threads
) -> None:
    chat = ChatSession(client)
    chat.new("A")
    chat.send("first")
    gate, t = _streaming(chat, client, threads, "second")
    chat.new("B")
    assert chat.open("A") is None
    assert chat.busy and chat.streaming == "part"
    gate.set()
    t.join(WAIT_S)
    assert _shown(chat)[-1] == ("assistant", "answer to second")
    chat.send("third")
    assert client.sent["third"] == [
        ("user", "first"),
        ("assistant", "answer to first"),
        ("user", "second"),
        ("assistant", "answer to second"),
    ]


def test_regenerate_and_retry_check_the_turns_before_dropping_anything(
    client: GatedClient,
) -> None:
    chat = ChatSession(client)
    chat.new("A")
    chat.send("p1")
    with chat.lock:  # a reply merged in from another instance: two replies in a row
        chat.discussion.messages.append(Message("assistant", "merged reply"))
        chat._save()
    before = _shown(chat)
    with pytest.raises(ValueError, match="no prompt"):
        chat.regenerate()
    assert _shown(chat) == before
    with chat.lock:
        chat.discussion.messages.append(Message("assistant", "boom", error=True))
    with pytest.raises(ValueError, match="no prompt"):
        chat.retry()
    assert len(_shown(chat)) == len(before) + 1


def test_delete_while_a_reply_streams_keeps_the_prompt_in_the_trash_and_stops_it(
    client: GatedClient, threads
) -> None:
    chat = ChatSession(client)
    chat.new("B")
    gate, t = _streaming(chat, client, threads, "b1")
    chat.new("A")
    undo = chat.delete("B")
    assert undo is not None
    t.join(WAIT_S)
    assert not gate.is_set() and not t.is_alive()  # stopped, not answered
    assert not discussions.exists("B")  # the stopped reply did not write it back
    assert chat.undo(undo)
    assert _on_disk("B")[0] == ("user", "b1")


def test_delete_of_a_first_prompt_in_flight_is_not_written_back(
    client: GatedClient, threads, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = ChatSession(client)
    chat.new("B")
    # Saving fails (a full disk): nothing is on disk when the delete comes.
    monkeypatch.setattr(discussions, "save", _raise_oserror)
    gate, t = _streaming(chat, client, threads, "b1")
    chat.new("A")
    assert chat.delete("B") is None
    monkeypatch.undo()
    gate.set()
    t.join(WAIT_S)
    assert not discussions.exists("B")


def _raise_oserror(_d: Any) -> Any:
    raise OSError("disk full")


def test_actions_act_on_the_discussion_shown_when_the_user_acted(
    client: GatedClient,
) -> None:
    chat = ChatSession(client)
    chat.new("A")
    jobs: list[Callable[[], None]] = []
    posted: list[tuple[str, dict[str, Any]]] = []
    actions = ChatActions(chat, jobs.append, lambda event, **data: posted.append((event, data)))
    actions.set_system("be brief")  # queued; B is opened before it runs
    actions.send("hello")  # the prompt is in A at once; the reply is queued
    assert _on_disk("A") == [("user", "hello")]
    chat.new("B")
    for job in jobs:
        job()
    assert chat.discussion.system == ""
    found, _ = discussions.load("A")
    assert found is not None and found.system == ""
    assert _on_disk("A") == [("user", "hello"), ("assistant", "answer to hello")]
    assert any("another conversation" in data.get("text", "") for _k, data in posted)
    with pytest.raises(Moved):
        chat.set_system("x", expect="A")


def test_the_streamed_text_is_joined_once_per_new_piece(client: GatedClient, threads) -> None:
    chat = ChatSession(client)
    chat.new("A")
    client.piece = "x" * 10
    gate, t = _streaming(chat, client, threads, "p")
    first = chat.streaming
    assert first == "x" * 10 and chat.streaming is first  # cached: no join per frame
    gate.set()
    t.join(WAIT_S)


def test_a_partial_reply_is_saved_while_it_streams_and_replaced_at_the_end(
    client: GatedClient, threads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sloppy.providers.chat.PARTIAL_SAVE_S", 0.0)
    chat = ChatSession(client)
    chat.new("A")
    gate, t = _streaming(chat, client, threads, "p")
    found, _ = discussions.load("A")
    assert found is not None
    assert [(m.role, m.text, m.stopped) for m in found.messages] == [
        ("user", "p", False),
        ("assistant", "part", True),
    ]
    chat.set_system("be brief")  # a save while it streams: the partial is not a message
    assert _shown(chat) == [("user", "p")] and chat.streaming == "part"
    gate.set()
    t.join(WAIT_S)
    assert _on_disk("A") == [("user", "p"), ("assistant", "answer to p")]
    assert len(chat.messages()) == 2


class EndlessClient(AIClient):
    """Streams a piece every few milliseconds until cancelled."""

    def send(
        self,
        provider: str,
        model: str,
        history: Any,
        prompt: str,
        *,
        system: str | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> Reply:
        assert on_token is not None and cancel is not None
        parts: list[str] = []
        for _ in range(100_000):  # bounded: the deadline cuts it long before
            if cancel.is_set():
                return Reply("".join(parts), cancelled=True)
            parts.append("word ")
            on_token("word ")
            time.sleep(0.002)
        return Reply("".join(parts))


def test_a_stream_past_its_total_deadline_is_cut_and_never_sent(sloppy_home: Path) -> None:
    chat = ChatSession(EndlessClient())
    chat.set_stream_limits(60.0, 0.3)
    chat.new("A")
    with pytest.raises(ProviderError, match=r"cut after 0\.3 s"):
        chat.send("go on forever")
    last = chat.messages()[-1]
    assert last.error and last.text.endswith("cut after 0.3 s")
    assert chat.history_for_model() == []
    assert not chat.busy


def test_the_read_timeout_is_the_idle_limit_and_never_past_the_total(sloppy_home: Path) -> None:
    chat = ChatSession(AIClient())
    chat.set_stream_limits(60.0, 900.0)
    assert chat.client.timeout_s == 60.0
    chat.set_stream_limits(600.0, 5.0)  # a silent stream is cut by the total limit's time
    assert chat.client.timeout_s == 5.0 and chat.stream_total_s == 5.0
