"""One streamer per chat API: each turns a discussion into the SDK's call and yields text.

Instead of a method looked up by name, ``STREAMERS`` maps ``Provider.chat_api`` to its
function; each registers how to abort its HTTP response (``CancelToken.on_cancel``) and
raises ``ProviderError`` when a stream ends before the reply is complete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sloppy.providers.cancel import CancelToken, abort
from sloppy.providers.errors import ProviderError
from sloppy.store.messages import Message


class Reply(NamedTuple):
    """What came back; ``cancelled`` if the caller stopped the stream (``text`` is partial)."""

    text: str
    cancelled: bool = False


MAX_TOKENS = 4096

#: How a streamer hands over the close of its HTTP response (``CancelToken.on_cancel``).
Register = Callable[[Callable[[], None]], None]


def openai_chunks(
    provider: str,
    client: Any,
    model: str,
    turns: list[Message],
    system: str | None,
    stream: bool,
    register: Register,
    live: threading.local,
) -> Iterable[str]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": m.role, "content": m.text} for m in turns]
    if not stream:
        resp = client.chat.completions.create(model=model, messages=messages)
        if not resp.choices:
            raise ProviderError(provider, "the reply had no choices")
        yield resp.choices[0].message.content or ""
        return
    finished = False
    with client.chat.completions.create(model=model, messages=messages, stream=True) as events:
        register(lambda: abort(events.response))
        for chunk in events:
            if not chunk.choices:
                continue
            if chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content
            finished = finished or chunk.choices[0].finish_reason is not None
    check_finished(provider, finished)


def anthropic_chunks(
    provider: str,
    client: Any,
    model: str,
    turns: list[Message],
    system: str | None,
    stream: bool,
    register: Register,
    live: threading.local,
) -> Iterable[str]:
    kwargs: dict[str, Any] = {
        "model": model,
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": m.role, "content": m.text} for m in turns],
    }
    if system:
        kwargs["system"] = system
    if not stream:
        resp = client.messages.create(**kwargs)
        yield "".join(b.text for b in resp.content if getattr(b, "type", "") == "text")
        return
    finished = False
    with client.messages.create(stream=True, **kwargs) as events:
        register(lambda: abort(events.response))
        for event in events:
            if event.type == "content_block_delta" and getattr(event.delta, "text", None):
                yield event.delta.text
            elif event.type == "message_stop":
                finished = True
            elif event.type == "error":
                error = getattr(event, "error", None)
                raise ProviderError(provider, getattr(error, "message", None) or "stream error")
    check_finished(provider, finished)


def gemini_chunks(
    provider: str,
    client: Any,
    model: str,
    turns: list[Message],
    system: str | None,
    stream: bool,
    register: Register,
    live: threading.local,
) -> Iterable[str]:
    contents = [
        {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.text}]}
        for m in turns
    ]
    config = {"system_instruction": system} if system else None
    if not stream:
        resp = client.models.generate_content(model=model, contents=contents, config=config)
        yield resp.text or ""
        return
    holder: dict[str, Any] = {}
    live.holder = holder
    events = client.models.generate_content_stream(model=model, contents=contents, config=config)
    register(lambda: abort(holder.get("response")))
    finished = False
    try:
        for chunk in events:
            if chunk.text:
                yield chunk.text
            candidates = chunk.candidates or []
            finished = finished or any(c.finish_reason for c in candidates)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    check_finished(provider, finished)


#: Each chat API (``Provider.chat_api``) and the function that streams it.
STREAMERS: dict[str, Callable[..., Iterable[str]]] = {
    "chat_completions": openai_chunks,
    "messages": anthropic_chunks,
    "generate_content": gemini_chunks,
}


def check_finished(provider: str, finished: bool) -> None:
    if not finished:
        raise ProviderError(provider, "the stream ended before the reply was complete")


def collect(
    chunks: Iterable[str], on_token: Callable[[str], None] | None, cancel: CancelToken | None
) -> Reply:
    """Read ``chunks`` into a ``Reply``, feeding ``on_token``; stops early once cancelled."""
    parts: list[str] = []
    it = iter(chunks)
    try:
        for piece in it:
            if cancel is not None and cancel.is_set():
                return Reply("".join(parts), cancelled=True)
            parts.append(piece)
            if on_token is not None:
                on_token(piece)
    except Exception:
        if cancel is not None and cancel.is_set():
            return Reply("".join(parts), cancelled=True)
        raise
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()  # closes the SDK stream (and its HTTP response) when cancelled
    if cancel is not None and cancel.is_set():
        return Reply("".join(parts), cancelled=True)
    return Reply("".join(parts))
