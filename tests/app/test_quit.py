"""Quitting, in process: ``Runtime.shutdown`` saves the discussion first and stays short.

The real window and a real stream are in ``tests/ui/test_gui_quit.py``; here the provider is a
stand-in so each case (a reply being streamed, a send still waiting) is exact.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import env_for

from sloppy.app.profiler import StartupProfiler
from sloppy.app.runtime import Runtime, RuntimeOptions
from sloppy.providers.cancel import CancelToken
from sloppy.providers.streams import Reply
from sloppy.store import discussions
from sloppy.store.messages import Message
from tests.support.live import Proc
from tests.support.quitting import QUIT_BOUND_S, is_partial, start_slow_stream, timed_exit

KEY = "quit-test-key-0123456789ab"


class StreamingClient:
    """Streams one piece, then waits for the cancel as a real stream waits for its next chunk."""

    def __init__(self) -> None:
        self.streaming = threading.Event()

    def send(self, *_args: Any, on_token: Callable[[str], None], cancel: CancelToken, **_kw: Any):
        closed = threading.Event()
        cancel.on_cancel(closed.set)
        on_token("half a reply")
        self.streaming.set()
        closed.wait(30)
        return Reply("half a reply", cancelled=True)


class WaitingClient:
    """Never answers before ``release`` (a send waiting for its SDK), whatever the cancel."""

    def __init__(self) -> None:
        self.waiting, self.release = threading.Event(), threading.Event()

    def send(self, *_args: Any, **_kw: Any) -> Reply:
        self.waiting.set()
        self.release.wait(30)
        return Reply("too late")


@pytest.fixture
def runtime(sloppy_home: Path) -> Iterator[Runtime]:
    rt = Runtime(RuntimeOptions(mode="gui"), profiler=StartupProfiler())
    yield rt
    rt.shutdown()


def quit_timed(rt: Runtime) -> float:
    t0 = time.perf_counter()
    rt.shutdown()
    return time.perf_counter() - t0


def saved_texts() -> list[tuple[str, str]]:
    found, problem = discussions.load("default")
    assert problem is None and found is not None
    return [(m.role, m.text) for m in found.messages]


def test_quit_cancels_a_streamed_reply_and_saves_what_came(runtime: Runtime) -> None:
    client = StreamingClient()
    runtime.chat.client = client  # type: ignore[assignment]
    job = runtime.controller.submit_io(runtime.chat.send, "tell me a story")
    assert client.streaming.wait(10)
    assert quit_timed(runtime) < QUIT_BOUND_S
    assert job.result(0).cancelled
    (user, reply) = saved_texts()
    assert user == ("user", "tell me a story")
    assert reply[0] == "assistant" and reply[1].startswith("half a reply")


def test_quit_saves_the_prompt_of_a_send_still_waiting(runtime: Runtime) -> None:
    client = WaitingClient()
    runtime.chat.client = client  # type: ignore[assignment]
    job = runtime.controller.submit_io(runtime.chat.send, "are you there?")
    assert client.waiting.wait(10)
    try:
        assert quit_timed(runtime) < QUIT_BOUND_S
        assert not job.done()  # left behind: the launcher exits without it
        assert saved_texts() == [("user", "are you there?")]
    finally:
        client.release.set()
        job.result(10)  # its save lands in this test's home, not a later one's


def test_quit_records_its_phases_for_the_report(runtime: Runtime) -> None:
    runtime.shutdown()
    names = {p["name"] for p in runtime.profiler.phases()}
    assert {"quit", "quit.cancel", "quit.jobs", "quit.profile", "quit.save"} <= names


@pytest.mark.slow
def test_sigterm_mid_reply_quits_at_once_and_keeps_the_partial_reply(stub) -> None:
    """Headless, a real process and a real stream: SIGTERM while the stub streams slowly."""
    env = {**env_for(stub), "SLOPPY_HOOK_KEY": KEY}
    proc = Proc(["--headless", "--enable-test-hooks", "--hook-port", "0"], env)
    try:
        api = ApiHookClient(proc.wait_for_hook_url(60), KEY, timeout=130)
        assert api.get("/api/warmup_wait?timeout=120")["done"]
        start_slow_stream(api, stub, "tell me a long story")
        elapsed = timed_exit(proc, proc.popen.terminate)
    finally:
        proc.kill()
    assert elapsed < QUIT_BOUND_S, f"quit took {elapsed:.2f} s"
    texts = saved_texts()
    assert len(texts) == 2, (texts, "".join(proc.stderr)[-3000:])
    (user, reply) = texts
    assert user == ("user", "tell me a long story")
    assert reply[0] == "assistant" and is_partial(reply[1], stub.reply("openai"))


def test_quit_saves_the_discussion_being_answered_even_when_another_is_open(
    runtime: Runtime,
) -> None:
    client = WaitingClient()
    runtime.chat.client = client  # type: ignore[assignment]
    runtime.chat.new("A")
    job = runtime.controller.submit_stream(runtime.chat.send, "a question")
    assert client.waiting.wait(10)
    runtime.chat.new("B")
    with runtime.chat.lock:  # changed in memory only (its save is the quit's)
        runtime.chat._streams["A"].discussion.title = "renamed meanwhile"
    try:
        assert quit_timed(runtime) < QUIT_BOUND_S
        found, _problem = discussions.load("A")
        assert found is not None and found.title == "renamed meanwhile"
        assert [(m.role, m.text) for m in found.messages] == [("user", "a question")]
    finally:
        client.release.set()
        job.result(10)


def test_a_rename_still_queued_at_quit_is_done(runtime: Runtime) -> None:
    """The pool is full; the rename waits behind; quitting runs it instead of dropping it."""
    c = runtime.controller
    release = threading.Event()
    started = threading.Barrier(5)

    def block() -> None:
        started.wait(10)
        release.wait(10)

    blockers = [c.submit_io(block) for _ in range(4)]
    started.wait(10)
    runtime.chat.new("R")
    with runtime.chat.lock:
        runtime.chat.discussion.messages.append(Message("user", "hi"))
        runtime.chat._save()
    renamed = c.spawn_durable(lambda: runtime.chat.rename("a better title"))
    try:
        runtime.shutdown()
        assert renamed.cancelled()
        found, _problem = discussions.load("R")
        assert found is not None and found.title == "a better title"
    finally:
        release.set()
        for b in blockers:
            b.result(10)
