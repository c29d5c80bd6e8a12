"""Talk to Gemini, Anthropic, OpenAI and OpenAI-compatible servers through their official SDKs.

Instead of ``import openai`` at the top (seconds on the first frame), each SDK is reached through
``_require_warmed`` when a client is first built; clients are cached and reused, and rebuilt when
the key or base URL changes. Every failure becomes one ``ProviderError``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sloppy.providers.table import (
    MODEL_LIST_TIMEOUT_S,
    PROVIDER_BY_ID,
    PROVIDER_TABLE,
    ClientOptions,
    Provider,
)
from sloppy.store.messages import Message
from sloppy.warm.engine import WarmupError, _require_warmed

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 2
MAX_TOKENS = 4096

#: Each provider's SDK environment variables (views of ``models.PROVIDER_TABLE``).
KEY_ENV: dict[str, tuple[str, ...]] = {p.id: p.key_env for p in PROVIDER_TABLE}
BASE_URL_ENV: dict[str, str] = {p.id: p.base_url_env for p in PROVIDER_TABLE}


class ProviderErrorDict(TypedDict):
    """The hook API's ``{"error": ...}`` body for a failed send."""

    provider: str
    status: int | None
    message: str


class ProviderError(Exception):
    """A provider call failed: which provider, the HTTP status if any, and a readable message."""

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}" + (f" (HTTP {status})" if status else ""))
        self.provider = provider
        self.status = status
        self.message = message

    def to_json(self) -> ProviderErrorDict:
        return ProviderErrorDict(provider=self.provider, status=self.status, message=self.message)


class CancelToken:
    """Cancels a streamed reply, even while it waits for the next chunk (it closes the stream)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            closers, self._closers = self._closers, []
        for close in closers:
            _close_quietly(close)

    def is_set(self) -> bool:
        return self._event.is_set()

    def on_cancel(self, close: Callable[[], None]) -> None:
        """Call ``close`` when cancelled (at once if already cancelled)."""
        with self._lock:
            if not self._event.is_set():
                self._closers.append(close)
                return
        _close_quietly(close)


def _close_quietly(close: Callable[[], None]) -> None:
    # A stream closed twice or mid-read: the cancellation still stands.
    with contextlib.suppress(Exception):
        close()


def _no_register(_close: Callable[[], None]) -> None:
    return None


def _abort(response: Any) -> None:
    """Close an HTTP response from another thread, waking a reader blocked in ``recv``.

    ``response.close()`` alone waits for the blocked read; shutting the socket down ends it.
    """
    if response is None:
        return
    stream = getattr(response, "extensions", {}).get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


@dataclass(slots=True)
class Reply:
    """What came back; ``cancelled`` if the caller stopped the stream (``text`` is partial)."""

    text: str
    cancelled: bool = False


def resolve_key(provider: str, configured: str | None = None) -> str | None:
    """The API key to use: sloppy's config first, then the SDK's own environment variables."""
    if configured:
        return configured
    for var in KEY_ENV.get(provider, ()):
        value = os.environ.get(var)
        if value:
            return value
    return None


def resolve_base_url(provider: str, configured: str | None = None) -> str | None:
    """The base URL: sloppy's config first, then the SDK's environment variable."""
    return configured or os.environ.get(BASE_URL_ENV.get(provider, ""), "") or None


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    return None


def _message_of(exc: BaseException, status: int | None) -> str:
    kind = type(exc).__name__
    if "Timeout" in kind or ("timeout" in str(exc).lower() and status is None):
        return "the request timed out"
    if "Connect" in kind or "Connection" in kind:
        return "could not connect to the server"
    msg = getattr(exc, "message", None) or str(exc) or kind
    if status == 401:
        return f"the API key was rejected: {msg}"
    if status == 404:
        return f"not found (is the model name right?): {msg}"
    if status == 429:
        return f"rate limited: {msg}"
    return str(msg)


def _redacted(err: ProviderError, key: str | None) -> ProviderError:
    """``err`` without the key in its text (some servers echo part of a rejected key)."""
    message = err.message
    if err.status in (401, 403):
        message = "the API key was rejected"
    elif key and len(key) >= 6 and key in message:
        message = message.replace(key, "***")
    if message == err.message:
        return err
    return ProviderError(err.provider, message, err.status)


def to_provider_error(provider: str, exc: BaseException) -> ProviderError:
    """Map any SDK or transport exception to a ``ProviderError``."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, WarmupError):
        return ProviderError(provider, f"the SDK is unavailable: {exc.cause}")
    status = _status_of(exc)
    return ProviderError(provider, _message_of(exc, status), status)


class AIClient:
    """Sends discussions; one cached SDK client per provider. Thread-safe."""

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        keys: dict[str, str] | None = None,
        base_urls: dict[str, str] | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._keys = dict(keys or {})
        self._base_urls = dict(base_urls or {})
        self._clients: dict[str, tuple[str, Any]] = {}
        self._lock = threading.Lock()
        self._live = threading.local()  # the gemini response being read on this thread

    def configure(
        self, provider: str, *, key: str | None = None, base_url: str | None = None
    ) -> None:
        """Set sloppy's own key and base URL for ``provider`` (None clears each)."""
        self.set_key(provider, key)
        self.set_base_url(provider, base_url)

    def set_key(self, provider: str, key: str | None) -> None:
        """The key saved in the app for ``provider`` (None: fall back to the environment)."""
        # No lock: a dict update is atomic, and ``_lock`` may be held while an SDK warms.
        if key:
            self._keys[provider] = key
        else:
            self._keys.pop(provider, None)

    def set_base_url(self, provider: str, base_url: str | None) -> None:
        if base_url:
            self._base_urls[provider] = base_url
        else:
            self._base_urls.pop(provider, None)

    def base_url(self, provider: str) -> str | None:
        return resolve_base_url(provider, self._base_urls.get(provider))

    def app_key(self, provider: str) -> str | None:
        """The key saved in the app (not the environment's), for moving it between stores."""
        return self._keys.get(provider)

    def key_source(self, provider: str) -> str | None:
        """Where the key in use comes from: ``"app"``, an environment variable's name, or None."""
        if self._keys.get(provider):
            return "app"
        return next((var for var in KEY_ENV.get(provider, ()) if os.environ.get(var)), None)

    # -- clients -----------------------------------------------------------------------

    def _key(self, provider: str) -> tuple[str, str | None]:
        key = resolve_key(provider, self._keys.get(provider))
        base_url = self.base_url(provider)
        if key is None and PROVIDER_BY_ID[provider].key_optional and base_url:
            key = "not-needed"  # local servers usually take any key
        if key is None:
            names = " or ".join(KEY_ENV[provider])
            raise ProviderError(
                provider, f"no API key: paste one in the Provider panel, or set {names}"
            )
        return key, base_url

    def _client(self, provider: str) -> Any:
        key, base_url = self._key(provider)
        # The cache key is a digest so the key itself is never kept twice or shown in a repr.
        # hashlib is imported here, on a pool thread, to keep OpenSSL off the first frame.
        import hashlib

        fingerprint = hashlib.sha256(f"{key}\0{base_url}".encode()).hexdigest()
        with self._lock:
            cached = self._clients.get(provider)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            client = self._build(provider, key, base_url, self.timeout_s, self.max_retries)
            self._clients[provider] = (fingerprint, client)
            return client

    def _build(
        self, provider: str, key: str, base_url: str | None, timeout_s: float, max_retries: int
    ) -> Any:
        spec = PROVIDER_BY_ID[provider]
        options = ClientOptions(key, base_url, timeout_s, max_retries, self._track_response)
        return spec.build(_require_warmed(spec.sdk), options)

    # -- models ------------------------------------------------------------------------

    def list_models(self, provider: str, *, timeout_s: float = MODEL_LIST_TIMEOUT_S) -> list[str]:
        """The account's model ids, sorted: one authenticated call, no retries (``Test``).

        Raises ``ProviderError`` (a rejected key has status 401), never showing the key.
        """
        key = None
        try:
            spec = _spec(provider)
            key, base_url = self._key(provider)
            ids = spec.list_models(self._build(provider, key, base_url, timeout_s, 0))
        except Exception as exc:
            raise _redacted(to_provider_error(provider, exc), key) from None
        return sorted({i for i in ids if i})

    def _track_response(self, response: Any) -> None:
        holder = getattr(self._live, "holder", None)
        if holder is not None:
            holder["response"] = response

    # -- sending -----------------------------------------------------------------------

    def send(
        self,
        provider: str,
        model: str,
        history: Sequence[Message],
        prompt: str,
        *,
        system: str | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> Reply:
        """Send ``history`` + ``prompt``; streams through ``on_token`` when it is given."""
        spec = _spec(provider)
        if not model:
            raise ProviderError(provider, "no model selected")
        try:
            client = self._client(provider)
            turns = [*history, Message("user", prompt)]
            stream = on_token is not None
            register = cancel.on_cancel if cancel is not None else _no_register
            fetch = getattr(self, STREAMERS[spec.chat_api])
            chunks = fetch(spec.id, client, model, turns, system, stream, register)
            return _collect(chunks, on_token, cancel)
        except Exception as exc:
            if cancel is not None and cancel.is_set():
                return Reply("", cancelled=True)
            key = resolve_key(provider, self._keys.get(provider))
            raise _redacted(to_provider_error(provider, exc), key) from exc

    @staticmethod
    def _openai(
        provider: str,
        client: Any,
        model: str,
        turns: list[Message],
        system: str | None,
        stream: bool,
        register: Callable[[Callable[[], None]], None],
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
            register(lambda: _abort(events.response))
            for chunk in events:
                if not chunk.choices:
                    continue
                if chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
                finished = finished or chunk.choices[0].finish_reason is not None
        _check_finished(provider, finished)

    @staticmethod
    def _anthropic(
        provider: str,
        client: Any,
        model: str,
        turns: list[Message],
        system: str | None,
        stream: bool,
        register: Callable[[Callable[[], None]], None],
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
            register(lambda: _abort(events.response))
            for event in events:
                if event.type == "content_block_delta" and getattr(event.delta, "text", None):
                    yield event.delta.text
                elif event.type == "message_stop":
                    finished = True
                elif event.type == "error":
                    raise ProviderError(provider, str(getattr(event, "error", "stream error")))
        _check_finished(provider, finished)

    def _gemini(
        self,
        provider: str,
        client: Any,
        model: str,
        turns: list[Message],
        system: str | None,
        stream: bool,
        register: Callable[[Callable[[], None]], None],
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
        self._live.holder = holder
        events = client.models.generate_content_stream(
            model=model, contents=contents, config=config
        )
        register(lambda: _abort(holder.get("response")))
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
        _check_finished(provider, finished)


def _spec(provider: str) -> Provider:
    spec = PROVIDER_BY_ID.get(provider)
    if spec is None:
        choices = ", ".join(PROVIDER_BY_ID)
        raise ProviderError(provider, f"unknown provider; choose one of {choices}")
    return spec


#: Each chat API (``Provider.chat_api``) and the ``AIClient`` method that streams it.
STREAMERS = {"chat_completions": "_openai", "messages": "_anthropic", "generate_content": "_gemini"}


def _check_finished(provider: str, finished: bool) -> None:
    if not finished:
        raise ProviderError(provider, "the stream ended before the reply was complete")


def _collect(
    chunks: Iterable[str], on_token: Callable[[str], None] | None, cancel: CancelToken | None
) -> Reply:
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
