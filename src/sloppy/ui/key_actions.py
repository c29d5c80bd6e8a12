"""What the Provider panel asks about API keys and model lists: each runs on the shared pool;
results come back as window events (``key_note``, ``toast``), never by touching the panel from
another thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sloppy.providers import keys
from sloppy.providers.chat import ChatSession
from sloppy.providers.table import PROVIDER_BY_ID


class KeyActions:
    """``notes`` is the panel's line under the key field, per provider (GUI thread only);
    ``spawn`` runs a job on the pool; ``post(kind, **data)`` posts a window event."""

    def __init__(
        self,
        chat: ChatSession,
        notes: dict[str, str],
        spawn: Callable[..., Any],
        post: Callable[..., None],
    ) -> None:
        self.chat = chat
        self.notes = notes
        self._spawn = spawn
        self._post = post
        self._told_no_keychain = False

    def refresh_models(self, provider: str) -> None:
        """On the pool: list the provider's models if a key is there and the list is stale."""
        if self.chat.keys.source(provider) or PROVIDER_BY_ID[provider].key_optional:
            self.chat.catalog.refresh_if_stale(provider)

    def save(self, provider: str, key: str) -> None:
        """Save a pasted key (keychain, else this session), then test it."""
        key = key.strip()
        if not key:
            return
        self.notes[provider] = "Saving..."

        def job() -> None:
            try:
                where = self.chat.keys.save(provider, key)
            except (OSError, ValueError) as exc:
                self._post("key_note", provider=provider, text=f"Not saved: {exc}")
                return
            if where == keys.SESSION and not self._told_no_keychain:
                self._told_no_keychain = True
                self._post("toast", text=keys.NO_KEYCHAIN, kind="warn")
            notes = {
                keys.KEYCHAIN_SOURCE: "Saved in the keychain.",
                keys.FILE: f"Saved in {keys.key_file()} (plain text, only you can read).",
                keys.SESSION: "Kept for this session only.",
            }
            self._post("key_note", provider=provider, text=notes[where])
            self.chat.catalog.refresh(provider)

        self._spawn(job)

    def remove(self, provider: str) -> None:
        def job() -> None:
            self.chat.keys.remove(provider)
            self._post("key_note", provider=provider, text="Key removed from sloppy.")

        self._spawn(job)

    def test_connection(self, provider: str) -> None:
        """List the provider's models through its SDK; the panel shows the result."""
        self.notes.pop(provider, None)
        self._spawn(self.chat.catalog.refresh, provider)

    def choose_file(self, enabled: bool) -> None:
        self._spawn(self.chat.keys.choose_file, enabled)
