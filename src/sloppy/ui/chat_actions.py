"""What the window asks of the open conversation: each runs on the shared pool (the disk, the
provider), and what fails is toasted. A delete or clear posts an ``undo`` event for its toast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sloppy.providers.chat import ChatSession, Undo


class ChatActions:
    """``spawn`` runs a job on the pool; ``post(kind, **data)`` posts a window event."""

    def __init__(
        self, chat: ChatSession, spawn: Callable[..., Any], post: Callable[..., None]
    ) -> None:
        self.chat = chat
        self._spawn = spawn
        self._post = post

    def run(self, fn: Callable[..., object], *args: object) -> None:
        """``fn(*args)`` on the pool; what it raises is toasted (a failed reply is also
        shown in the discussion)."""

        def job() -> None:
            try:
                fn(*args)
            except Exception as exc:
                self._post("toast", text=str(exc), kind="error")

        self._spawn(job)

    def send(self, prompt: str) -> None:
        self.run(self.chat.send, prompt)

    def edit_last(self, text: str) -> None:
        """Replace the last user message with ``text`` and ask again."""
        self.run(self.chat.edit_last, text)

    def retry(self) -> None:
        self.run(self.chat.retry)

    def regenerate(self) -> None:
        self.run(self.chat.regenerate)

    def set_system(self, text: str) -> None:
        self.run(self.chat.set_system, text)

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
                self.chat.rename(title)

        self.run(job)

    def delete(self, name: str) -> None:
        self.run(self._offer_undo, self.chat.delete, name)

    def clear(self) -> None:
        self.run(self._offer_undo, self.chat.clear)

    def _offer_undo(self, fn: Callable[..., Undo | None], *args: object) -> None:
        undo = fn(*args)
        if undo is not None:
            self._post("undo", undo=undo)

    def undo(self, undo: Undo) -> None:
        def job() -> None:
            if not self.chat.undo(undo):
                self._post("toast", text=f"Could not undo: {undo.text}", kind="error")

        self.run(job)

    def save(self) -> None:
        def job() -> None:
            with self.chat.lock:
                self.chat._save()
            self._post("toast", text="Discussion saved", kind="ok")

        self.run(job)
