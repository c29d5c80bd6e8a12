"""Streams in a real ``sloppy --headless``: never-ending replies do not hold up another
discussion's reply or the pool's jobs; a stalled stream is cut with a clear message; a prompt and
a partial reply survive ``kill -9``."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sloppy_testkit.hook_client import ApiHookClient
from sloppy_testkit.provider_stub import Fault, Stub, env_for

from sloppy.store import discussions, settings
from sloppy.store.messages import Discussion, Message
from tests.support.live import Proc

pytestmark = pytest.mark.slow
KEY = "stream-lane-key-0a1b2c3d4e"
#: Generous on a loaded machine; the measured time is printed (docs/design.md has figures).
FIFTH_REPLY_BOUND_S = 3.0


def _start(stub: Stub) -> tuple[Proc, ApiHookClient]:
    proc = Proc(
        ["--headless", "--enable-test-hooks", "--hook-port", "0"],
        {**env_for(stub), "SLOPPY_HOOK_KEY": KEY},
    )
    api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=120)
    assert api.wait_for_server(10)
    return proc, api


def _make(*names: str) -> None:
    for name in names:
        discussions.save(Discussion(name=name, messages=[Message("user", "hello", at=1.0)]))


def _send(api: ApiHookClient, discussion: str, prompt: str) -> tuple[int, object]:
    body = {"provider": "openai", "model": "m", "prompt": prompt, "discussion": discussion}
    return api.request("POST", "/api/send", body)


def _send_quietly(api: ApiHookClient, discussion: str, prompt: str) -> None:
    """``_send`` on a thread whose answer nobody reads (the process may be gone first)."""
    with contextlib.suppress(OSError):
        _send(api, discussion, prompt)


def _reached(stub: Stub, n: int) -> bool:
    return stub.count("openai") >= n


def _until(check: Callable[[], bool], what: str, polls: int = 1200) -> None:
    for _ in range(polls):
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def test_four_endless_streams_hold_up_neither_a_fifth_reply_nor_the_pool(
    stub: Stub, sloppy_home: Path
) -> None:
    names = [f"d{i}" for i in range(5)]
    _make(*names)
    proc, api = _start(stub)
    try:
        stub.faults["openai"] = Fault(stall_after=2, times=4)
        for i, name in enumerate(names[:4]):
            threading.Thread(target=_send_quietly, args=(api, name, f"p{i}"), daemon=True).start()
            _until(functools.partial(_reached, stub, i + 1), f"stream {i} reached the stub")
        code, body = _send(api, "d0", "again")  # a reply into d0 is on its way
        assert code == 409, body
        assert api.get("/api/status")["discussion"] == "d3"  # refused before opening d0
        t0 = time.monotonic()
        code, body = _send(api, "d4", "fifth")
        fifth_s = time.monotonic() - t0
        assert (
            code == 200
            and isinstance(body, dict)
            and body["text"].count("word") == stub.reply_words - 1
        )
        t0 = time.monotonic()
        api.get("/api/discussions")  # a job on the pool (the conversations' listing)
        pool_s = time.monotonic() - t0
        print(f"fifth reply in {fifth_s:.3f} s; a pool job in {pool_s:.3f} s")
        assert fifth_s < FIFTH_REPLY_BOUND_S
        assert pool_s < FIFTH_REPLY_BOUND_S
    finally:
        proc.stop(within=10)
    for i, name in enumerate(names[:4]):  # each stopped at quit, its prompt and part kept
        found, _ = discussions.load(name)
        assert found is not None and [m.text for m in found.messages][1] == f"p{i}"


def test_a_stalled_stream_is_cut_after_the_idle_timeout(stub: Stub, sloppy_home: Path) -> None:
    saved = settings.Settings()
    saved.stream_idle_s = 1.0
    settings.save(saved)
    _make("stalled")
    proc, api = _start(stub)
    try:
        stub.faults["openai"] = Fault(stall_after=2, times=1)
        t0 = time.monotonic()
        code, body = _send(api, "stalled", "will you finish?")
        cut_s = time.monotonic() - t0
        print(f"cut after {cut_s:.3f} s")
        assert code == 502, body
        assert isinstance(body, dict) and "cut after 1 s without data" in body["error"]["message"]
        found, _ = discussions.load("stalled")
        assert found is not None
        last = found.messages[-1]
        assert last.error and "cut after 1 s without data" in last.text
        # Nothing of the cut reply is sent next time.
        code, _ = _send(api, "stalled", "next")
        assert code == 200
        sent = stub.requests[-1]["body"]["messages"]
        assert [m["content"] for m in sent] == ["hello", "next"] or all(
            "word" not in m["content"] for m in sent[:-1]
        )
    finally:
        proc.stop(within=10)


def test_kill_9_mid_stream_keeps_the_prompt_and_the_partial_reply(
    stub: Stub, sloppy_home: Path
) -> None:
    _make("crash")
    proc, api = _start(stub)
    try:
        stub.reply_words = 400
        stub.faults["openai"] = Fault(token_delay_s=0.1)
        threading.Thread(
            target=_send_quietly, args=(api, "crash", "a long story"), daemon=True
        ).start()
        _until(lambda: stub.count("openai") >= 1, "the stub got the request")

        def partial_saved() -> bool:
            found, _ = discussions.load("crash")
            return found is not None and len(found.messages) == 3

        _until(partial_saved, "a partial save")
        time.sleep(1.5)  # another partial save or two
    finally:
        proc.kill()  # SIGKILL: nothing runs at exit
    found, _ = discussions.load("crash")
    assert found is not None
    prompt, partial = found.messages[1], found.messages[2]
    assert (prompt.role, prompt.text) == ("user", "a long story")
    assert partial.role == "assistant" and partial.stopped and "word" in partial.text
    proc, api = _start(stub)  # a restart shows both
    try:
        listed = {d["name"]: d for d in api.get("/api/discussions")["discussions"]}
        assert listed["crash"]["messages"] == 3
    finally:
        proc.stop(within=10)
