"""The chat session: the open discussion, the chosen provider, and sending to it.

The GUI and the hook API's ``/api/send`` share one session, so a prompt sent through either
shows up in the same discussion. What is sent is the conversation as the user sees it, minus
what is only shown: error turns (and the prompts they answered), stop marks, empty stopped
replies (``history_for_model``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sloppy.providers.client import AIClient, CancelToken, ProviderError, Reply
from sloppy.providers.keys import KeyStore
from sloppy.providers.model_catalog import ModelCatalog
from sloppy.providers.table import DEFAULT_MODELS, DEFAULT_PROVIDER
from sloppy.store import discussions, trash
from sloppy.store.discussions import Summary
from sloppy.store.messages import Discussion, Message, title_of

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ProviderSettings:
    """Which provider to talk to. Keys are never stored here: see ``api_keys.KeyStore``."""

    provider: str = DEFAULT_PROVIDER
    model: str = DEFAULT_MODELS[DEFAULT_PROVIDER]
    base_url: str = ""


@dataclass(frozen=True, slots=True)
class Undo:
    """What ``delete`` or ``clear`` set aside, for ``ChatSession.undo``."""

    kind: Literal["delete", "clear"]
    name: str
    title: str
    trashed: trash.Trashed

    @property
    def text(self) -> str:
        """What a toast says ("Deleted 'x'")."""
        verb = "Deleted" if self.kind == "delete" else "Cleared"
        return f"{verb} '{self.title or self.name}'"


class Busy(RuntimeError):
    """A reply is on its way: retry, regenerate and edit wait for it (or ``stop`` it)."""


def new_name() -> str:
    """A new discussion's id: sortable time, then random (two instances in one second)."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{os.urandom(3).hex()}"


def history_for_model(messages: Sequence[Message]) -> list[Message]:
    """The turns to send before a new prompt: each prompt with its answer, in order.

    An answer is the last reply after the prompt that is neither an error nor an empty stopped
    reply; a stopped reply's partial text is sent as it is (it carries no mark). A prompt
    without an answer (it failed, it was stopped at once, another prompt followed, or it is
    the trailing one) is left out, so roles alternate from a user turn.
    """
    kept: list[Message] = []
    prompt: Message | None = None
    answer: Message | None = None
    for m in [*messages, None]:
        if m is None or m.role == "user":
            if prompt is not None and answer is not None:
                kept += (prompt, answer)
            prompt, answer = m, None
        elif m.role == "assistant" and prompt is not None and not _shown_only(m):
            answer = m
    return kept


def _shown_only(m: Message) -> bool:
    """An error turn, or a reply stopped before any text: shown, never sent."""
    return m.error or (m.stopped and not m.text.strip())


class ChatSession:
    """Thread-safe holder of the open discussion; what blocks (sending, the disk) runs on the
    pool. ``on_switch`` callbacks get the name of each discussion opened (the GUI remembers it).
    """

    def __init__(self, client: AIClient | None = None) -> None:
        self.client = client or AIClient()
        self.keys = KeyStore(self.client)
        self.catalog = ModelCatalog(self.client)
        self.discussion = Discussion()
        self.settings = ProviderSettings()
        self.lock = threading.RLock()
        self.streaming: str | None = None  # partial reply while a stream is open
        #: The discussion the stream belongs to (another may have been opened meanwhile).
        self.streaming_name: str | None = None
        self.busy = False
        self.on_switch: list[Callable[[str], None]] = []
        self._cancel: CancelToken | None = None
        self._save_failing = False
        #: Discussions this session moved to the trash (never written back).
        self._gone: set[str] = set()

    @property
    def current_name(self) -> str:
        return self.discussion.name

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

    def history_for_model(self) -> list[Message]:
        """What would be sent before a new prompt now (``history_for_model``)."""
        with self.lock:
            return history_for_model(self.discussion.messages)

    # -- asking ------------------------------------------------------------------------

    def send(
        self,
        prompt: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        on_token: Callable[[str], None] | None = None,
        stream: bool = True,
    ) -> Reply:
        """Append ``prompt``, ask the provider, append the reply (or the error) and save.

        A discussion without a title takes one from its first prompt.
        """
        with self.lock:
            d = self.discussion
            history = history_for_model(d.messages)
            d.messages.append(Message("user", prompt))
            if not d.title:
                d.title = title_of(prompt)
        return self._ask(d, history, prompt, provider, model, on_token, stream)

    def retry(self, *, on_token: Callable[[str], None] | None = None) -> Reply:
        """The last turn failed: remove the error and ask again with the same prompt."""
        with self.lock:
            d = self._idle()
            if not d.messages or not d.messages[-1].error:
                raise ValueError("the last turn did not fail: nothing to retry")
            self._drop(d, len(d.messages) - 1)
            history, prompt = self._trailing_prompt(d)
        return self._ask(d, history, prompt, None, None, on_token, True)

    def regenerate(self, *, on_token: Callable[[str], None] | None = None) -> Reply:
        """Drop the last reply and ask again for the prompt it answered."""
        with self.lock:
            d = self._idle()
            if not d.messages or d.messages[-1].role != "assistant":
                raise ValueError("there is no reply to regenerate")
            self._drop(d, len(d.messages) - 1)
            history, prompt = self._trailing_prompt(d)
        return self._ask(d, history, prompt, None, None, on_token, True)

    def edit_last(self, text: str, *, on_token: Callable[[str], None] | None = None) -> Reply:
        """Replace the last prompt with ``text``, drop what followed it, and ask again."""
        with self.lock:
            d = self._idle()
            users = [i for i, m in enumerate(d.messages) if m.role == "user"]
            if not users:
                raise ValueError("there is no prompt to edit")
            self._drop(d, users[-1])
            history = history_for_model(d.messages)
            d.messages.append(Message("user", text))
        return self._ask(d, history, text, None, None, on_token, True)

    def _idle(self) -> Discussion:
        """The open discussion, unless a reply is on its way (the lock is held)."""
        if self.busy:
            raise Busy("a reply is on its way: stop it first")
        return self.discussion

    def _trailing_prompt(self, d: Discussion) -> tuple[list[Message], str]:
        """The history before ``d``'s last message, a prompt, and its text (the lock is held)."""
        if not d.messages or d.messages[-1].role != "user":
            self._save_discussion(d)
            raise ValueError("there is no prompt to answer")
        return history_for_model(d.messages[:-1]), d.messages[-1].text

    @staticmethod
    def _drop(d: Discussion, start: int) -> None:
        """Take back ``d``'s messages from ``start`` on (a merge drops them too)."""
        d.dropped.extend(m.id for m in d.messages[start:])
        del d.messages[start:]

    def _ask(
        self,
        d: Discussion,
        history: list[Message],
        prompt: str,
        provider: str | None,
        model: str | None,
        on_token: Callable[[str], None] | None,
        stream: bool,
    ) -> Reply:
        """Ask for a reply to ``prompt`` after ``history``; append it (or the error) to ``d``."""
        self.keys.wait_loaded()  # a key saved in the app wins over the environment's
        with self.lock:
            settings = replace(
                self.settings,
                provider=provider or self.settings.provider,
                model=model or self.settings.model,
            )
            d.updated_at = time.time()
            self.busy, self.streaming = True, "" if stream else None
            self.streaming_name = d.name
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
                system=d.system or None,
                on_token=token if stream else None,
                cancel=cancel,
            )
        except ProviderError as exc:
            with self.lock:
                d.messages.append(Message("assistant", str(exc), error=True))
            raise
        finally:
            with self.lock:
                self.busy, self.streaming, self._cancel = False, None, None
                self.streaming_name = None
                self._save_discussion(d)
        with self.lock:
            # A stopped reply keeps what had arrived; the mark is the flag, not the text.
            d.messages.append(Message("assistant", reply.text, stopped=reply.cancelled))
            d.updated_at = time.time()
            self._save_discussion(d)
        return reply

    def stop(self) -> None:
        """Cancel the reply being streamed, if any."""
        with self.lock:
            cancel = self._cancel
        if cancel is not None:
            cancel.cancel()

    # -- conversations -----------------------------------------------------------------

    def conversations(self, query: str = "") -> list[Summary]:
        """Every discussion, newest activity first (the open one too, even if not saved yet);
        with ``query``, those whose title or text contains it."""
        found = discussions.search(query) if query.strip() else discussions.listing()
        with self.lock:
            d = self.discussion
            mine = discussions.summary(d)
            on_disk = any(s.name == d.name for s in found)
            if not on_disk and not query.strip() and not discussions.exists(d.name):
                found.insert(0, mine)
            # The open one as this session holds it (a reply may not be saved yet).
            found = [mine if s.name == d.name else s for s in found]
        return found

    def open(self, name: str) -> str | None:
        """Open discussion ``name``; returns a problem to report (no such discussion, a bad
        file set aside), else None. The open one is saved as it is (it always is)."""
        with self.lock:
            if name == self.discussion.name:
                return None
        if not (discussions.valid_name(name) and discussions.exists(name)):
            return f"there is no discussion {name!r}"
        found, problem = discussions.load(name)
        if found is None:
            return problem or f"there is no discussion {name!r}"
        found.name = name
        self._switch(found)
        return problem

    def new(self, name: str | None = None) -> str:
        """Start a new, empty discussion (saved with its first message); returns its name."""
        fresh = Discussion(name=name or new_name())
        self._switch(fresh)
        return fresh.name

    def rename(self, title: str) -> None:
        with self.lock:
            self.discussion.title = title.strip()
            self._save()

    def set_system(self, text: str) -> None:
        """The open discussion's system prompt (nothing is sent when it is empty)."""
        with self.lock:
            self.discussion.system = text
            self._save()

    def delete(self, name: str) -> Undo | None:
        """Move discussion ``name`` to the trash (the open one: a new one opens); None if it
        was never saved or cannot be moved (logged)."""
        with self.lock:
            current = name == self.discussion.name
            if current:
                self.stop()
                title = self.discussion.shown_title()
        if not current:
            found, _problem = discussions.load(name)
            title = found.shown_title() if found is not None else ""
        gone = self._discard(name, title)
        if current:
            self.new()
        return Undo("delete", name, title, gone) if gone is not None else None

    def clear(self) -> Undo | None:
        """Move the open discussion to the trash and open an empty one with its title and
        system prompt. None if there was nothing to clear."""
        with self.lock:
            d = self.discussion
            if not d.messages:
                return None
            self.stop()
            title = d.shown_title()
            self._save()
        gone = self._discard(d.name, title)
        if gone is None:
            return None
        self._switch(Discussion(name=new_name(), system=d.system, title=title))
        return Undo("clear", d.name, title, gone)

    def _discard(self, name: str, title: str) -> trash.Trashed | None:
        if not discussions.exists(name):
            return None
        gone = trash.discard(discussions.file_of(name), title=title)
        if gone is not None:
            with self.lock:
                self._gone.add(name)  # a reply still arriving must not write it back
        return gone

    def undo(self, u: Undo) -> bool:
        """Put back what ``u`` set aside and open it; False if it is no longer in the trash."""
        try:
            path = trash.restore(u.trashed)
        except OSError as exc:
            log.warning("could not restore %r from the trash: %s", u.name, exc)
            return False
        if path != discussions.file_of(u.name):
            # Its name was taken meanwhile (another instance saved under it): merge the two.
            restored, _problem = discussions.load(path.stem)
            if restored is not None:
                restored.name = u.name
                discussions.save(restored)
                trash.discard(path, title=u.title)
        found, problem = discussions.load(u.name)
        if found is None:
            log.warning("could not open %r after restoring it: %s", u.name, problem)
            return False
        found.name = u.name
        self._switch(found)
        return True

    def restore(self, name: str = "default") -> str | None:
        """Continue discussion ``name`` from disk; returns a problem to report, if any.

        A bad file was set aside, so the name starts afresh; one that could not be set aside
        stays untouched and this session continues under a new name instead.
        """
        found, problem = discussions.load(name)
        with self.lock:
            self._gone.discard(name)
            if found is not None:
                found.name = name
                self.discussion = found
            elif problem is not None and discussions.file_of(name).exists():
                fresh = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
                self.discussion = Discussion(name=fresh)
                problem += f"; continuing as {fresh!r}"
            else:
                self.discussion.name = name
        return problem

    def _switch(self, d: Discussion) -> None:
        with self.lock:
            self.discussion = d
            self._gone.discard(d.name)  # opened again (restored, or saved by another instance)
            callbacks = list(self.on_switch)
        for cb in callbacks:
            cb(d.name)

    def _save(self) -> None:
        """Save the open discussion (the lock is held)."""
        self._save_discussion(self.discussion)

    def _save_discussion(self, d: Discussion) -> None:
        """Merge ``d`` into its file (another instance may have written it) and show the union.

        A discussion that never had a message, title or system prompt is not written, nor one
        moved to the trash.
        """
        if d.name in self._gone:
            return
        if not (d.messages or d.title or d.system or d.dropped or discussions.exists(d.name)):
            return
        try:
            merged = discussions.save(d)
        except OSError as exc:
            # Once until a save works again: a read-only home must not warn on every message.
            level = logging.DEBUG if self._save_failing else logging.WARNING
            log.log(level, "could not save discussion %r: %s", d.name, exc)
            self._save_failing = True
            return
        self._save_failing = False
        d.messages, d.cleared_at, d.dropped = merged.messages, merged.cleared_at, merged.dropped
        d.title, d.system, d.updated_at = merged.title, merged.system, merged.updated_at
