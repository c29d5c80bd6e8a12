"""What the window asks of the open conversation and of the API keys: each runs on the shared
pool (the disk, the provider, the keychain), and answers by window events (``toast``,
``undo`` for a delete or clear, ``key_note``), never by touching a panel from another thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sloppy.providers import keys
from sloppy.providers.chat import ChatSession, Turn, Undo
from sloppy.providers.table import PROVIDER_BY_ID


class ChatActions:
    """``spawn`` runs a job on the pool, ``stream`` a reply on the stream lane and ``durable``
    a cheap job that must run even at quit (default: ``spawn``); ``post(kind, **data)`` posts
    a window event.

    A prompt is added and saved at once, on the calling (GUI) thread, so quitting never loses
    it; each action names the discussion shown when the user acted, and does nothing if
    another one was opened meanwhile.
    """

    def __init__(
        self,
        chat: ChatSession,
        spawn: Callable[..., Any],
        post: Callable[..., None],
        *,
        stream: Callable[..., Any] | None = None,
        durable: Callable[..., Any] | None = None,
    ) -> None:
        self.chat = chat
        self._spawn = spawn
        self._stream = stream or spawn
        self._durable = durable or spawn
        self._post = post

    def run(self, fn: Callable[..., object], *args: object) -> None:
        """``fn(*args)`` on the pool; what it raises is toasted (a failed reply is also
        shown in the discussion)."""
        self._spawn(self._toasting(fn, *args))

    def _toasting(self, fn: Callable[..., object], *args: object) -> Callable[[], None]:
        def job() -> None:
            try:
                fn(*args)
            except Exception as exc:
                self._post("toast", text=str(exc), kind="error")

        return job

    def _ask(self, begin: Callable[..., Turn], *args: object) -> None:
        """``begin`` the turn here and now (its prompt saved), then answer it on the lane."""
        try:
            turn = begin(*args, expect=self.chat.current_name)
        except Exception as exc:
            self._post("toast", text=str(exc), kind="error")
            return
        self._stream(self._toasting(self.chat.answer, turn))

    def send(self, prompt: str) -> None:
        self._ask(self.chat.begin_send, prompt)

    def edit_last(self, text: str) -> None:
        """Replace the last user message with ``text`` and ask again."""
        self._ask(self.chat.begin_edit_last, text)

    def retry(self) -> None:
        self._ask(self.chat.begin_retry)

    def regenerate(self) -> None:
        self._ask(self.chat.begin_regenerate)

    def set_system(self, text: str) -> None:
        name = self.chat.current_name
        self._durable(self._toasting(lambda: self.chat.set_system(text, expect=name)))

    def new(self) -> None:
        self.run(self.chat.new)

    def open(self, name: str) -> None:
        self.run(self._open, name)

    def _open(self, name: str) -> bool:
        """On the pool: open ``name``; a problem is toasted. True if it is open now."""
        problem = self.chat.open(name)
        if problem:
            self._post("toast", text=problem, kind="warn")
        return self.chat.current_name == name

    def rename(self, name: str, title: str) -> None:
        """Rename conversation ``name`` (opened first: a rename names the open one)."""

        def job() -> None:
            if self._open(name):
                self.chat.rename(title, expect=name)

        self._durable(self._toasting(job))

    def delete(self, name: str) -> None:
        self._durable(self._toasting(self._offer_undo, self.chat.delete, name))

    def clear(self) -> None:
        self._durable(self._toasting(self._offer_undo, self.chat.clear))

    def _offer_undo(self, fn: Callable[..., Undo | None], *args: object) -> None:
        undo = fn(*args)
        if undo is not None:
            self._post("undo", undo=undo)

    def undo(self, undo: Undo) -> None:
        def job() -> None:
            if not self.chat.undo(undo):
                self._post("toast", text=f"Could not undo: {undo.text}", kind="error")

        self._durable(self._toasting(job))

    def save(self) -> None:
        def job() -> None:
            with self.chat.lock:
                self.chat._save()
            self._post("toast", text="Discussion saved", kind="ok")

        self.run(job)


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
