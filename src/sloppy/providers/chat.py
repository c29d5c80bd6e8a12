"""The chat session: the current discussion, the chosen provider, and sending to it.

The GUI and the hook API's ``/api/send`` share one session, so a prompt sent through either
shows up in the same discussion.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from sloppy.providers.client import AIClient, CancelToken, ProviderError, Reply
from sloppy.providers.keys import KeyStore
from sloppy.providers.model_catalog import ModelCatalog
from sloppy.providers.table import DEFAULT_MODELS, DEFAULT_PROVIDER
from sloppy.store import discussions
from sloppy.store.messages import Discussion, Message

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ProviderSettings:
    """Which provider to talk to. Keys are never stored here: see ``api_keys.KeyStore``."""

    provider: str = DEFAULT_PROVIDER
    model: str = DEFAULT_MODELS[DEFAULT_PROVIDER]
    base_url: str = ""


class ChatSession:
    """Thread-safe holder of the discussion; ``send`` blocks (run it on the pool)."""

    def __init__(self, client: AIClient | None = None) -> None:
        self.client = client or AIClient()
        self.keys = KeyStore(self.client)
        self.catalog = ModelCatalog(self.client)
        self.discussion = Discussion()
        self.settings = ProviderSettings()
        self.lock = threading.RLock()
        self.streaming: str | None = None  # partial reply while a stream is open
        self.busy = False
        self._cancel: CancelToken | None = None
        self._save_failing = False

    def select(self, provider: str, model: str | None = None, base_url: str | None = None) -> None:
        """Switch provider (and model/base URL); unknown names are rejected by ``send``."""
        with self.lock:
            self.settings = ProviderSettings(
                provider=provider,
                model=model or DEFAULT_MODELS.get(provider, ""),
                base_url=base_url if base_url is not None else "",
            )
            self.client.set_base_url(provider, self.settings.base_url or None)

    def messages(self) -> list[Message]:
        with self.lock:
            return list(self.discussion.messages)

    def send(
        self,
        prompt: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        on_token: Callable[[str], None] | None = None,
        stream: bool = True,
    ) -> Reply:
        """Append ``prompt``, ask the provider, append the reply (or the error) and save."""
        self.keys.wait_loaded()  # a key saved in the app wins over the environment's
        with self.lock:
            settings = replace(
                self.settings,
                provider=provider or self.settings.provider,
                model=model or self.settings.model,
            )
            history = list(self.discussion.messages)
            self.discussion.messages.append(Message("user", prompt))
            self.busy, self.streaming = True, "" if stream else None
            cancel = self._cancel = CancelToken()

        def token(piece: str) -> None:
            with self.lock:
                self.streaming = (self.streaming or "") + piece
            if on_token is not None:
                on_token(piece)

        try:
            reply = self.client.send(
                settings.provider,
                settings.model,
                history,
                prompt,
                system=self.discussion.system or None,
                on_token=token if stream else None,
                cancel=cancel,
            )
        except ProviderError as exc:
            with self.lock:
                self.discussion.messages.append(Message("assistant", str(exc), error=True))
            raise
        finally:
            with self.lock:
                self.busy, self.streaming, self._cancel = False, None, None
                self._save()
        with self.lock:
            text = reply.text + ("\n\n*(stopped)*" if reply.cancelled else "")
            self.discussion.messages.append(Message("assistant", text))
            self._save()
        return reply

    def stop(self) -> None:
        """Cancel the reply being streamed, if any."""
        with self.lock:
            cancel = self._cancel
        if cancel is not None:
            cancel.cancel()

    def clear(self) -> None:
        with self.lock:
            self.discussion.messages.clear()
            self.discussion.cleared_at = time.time()
            self._save()

    def new(self, name: str) -> None:
        with self.lock:
            self.discussion = Discussion(name=name, system=self.discussion.system)
            self._save()

    def restore(self, name: str = "default") -> str | None:
        """Continue discussion ``name`` from disk; returns a problem to report, if any.

        A bad file was set aside, so the name starts afresh; one that could not be set aside
        stays untouched and this session continues under a new name instead.
        """
        found, problem = discussions.load(name)
        with self.lock:
            if found is not None:
                self.discussion = replace(found, name=name)
            elif problem is not None and discussions.file_of(name).exists():
                fresh = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
                self.discussion = Discussion(name=fresh, system=self.discussion.system)
                problem += f"; continuing as {fresh!r}"
            else:
                self.discussion.name = name
        return problem

    def _save(self) -> None:
        """Merge into the file on disk (another instance may have written it) and show the union."""
        try:
            merged = discussions.save(self.discussion)
        except OSError as exc:
            # Once until a save works again: a read-only home must not warn on every message.
            level = logging.DEBUG if self._save_failing else logging.WARNING
            log.log(level, "could not save discussion %r: %s", self.discussion.name, exc)
            self._save_failing = True
            return
        self._save_failing = False
        self.discussion.messages = merged.messages
        self.discussion.cleared_at = merged.cleared_at
