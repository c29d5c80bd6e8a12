"""The SDK client: keys and base URLs per provider, one cached SDK client each, and sending.

Instead of ``openai.OpenAI(...)`` at import time, ``AIClient`` builds each provider's client
from its warmed SDK (``_require_warmed``) on first use, through the provider table's ``build``;
replies stream through ``providers.streams``, errors map through ``providers.errors``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sloppy.providers.cancel import CancelToken, no_register
from sloppy.providers.errors import ProviderError, redacted, to_provider_error
from sloppy.providers.streams import STREAMERS, Reply, collect
from sloppy.providers.table import (
    MODEL_LIST_TIMEOUT_S,
    PROVIDER_BY_ID,
    PROVIDER_TABLE,
    ClientOptions,
    Provider,
)
from sloppy.store.messages import Message
from sloppy.warm.engine import _require_warmed

__all__ = ["AIClient", "CancelToken", "ProviderError", "Reply"]

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 2

#: Each provider's SDK environment variables (views of ``table.PROVIDER_TABLE``).
KEY_ENV: dict[str, tuple[str, ...]] = {p.id: p.key_env for p in PROVIDER_TABLE}
BASE_URL_ENV: dict[str, str] = {p.id: p.base_url_env for p in PROVIDER_TABLE}


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
        # A dict update is atomic: no lock (``_lock`` guards only the cached clients).
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

        # The timeout is in it too: a new read timeout (``stream_idle_s``) builds a new client.
        fingerprint = hashlib.sha256(f"{key}\0{base_url}\0{self.timeout_s}".encode()).hexdigest()
        with self._lock:
            cached = self._clients.get(provider)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        # Built outside the lock: the SDK may still be warming (up to a minute), and nothing
        # else (another provider's send, a key change) should wait for it. Two racing builds
        # make two clients; the later one is kept.
        client = self._build(provider, key, base_url, self.timeout_s, self.max_retries)
        with self._lock:
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
            raise redacted(to_provider_error(provider, exc), key) from None
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
            register = cancel.on_cancel if cancel is not None else no_register
            fetch = STREAMERS[spec.chat_api]
            chunks = fetch(spec.id, client, model, turns, system, stream, register, self._live)
            return collect(chunks, on_token, cancel)
        except Exception as exc:
            if cancel is not None and cancel.is_set():
                return Reply("", cancelled=True)
            key = resolve_key(provider, self._keys.get(provider))
            raise redacted(to_provider_error(provider, exc), key) from exc


def _spec(provider: str) -> Provider:
    spec = PROVIDER_BY_ID.get(provider)
    if spec is None:
        choices = ", ".join(PROVIDER_BY_ID)
        raise ProviderError(provider, f"unknown provider; choose one of {choices}")
    return spec
