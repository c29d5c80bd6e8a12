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
from sloppy.providers.errors import TIMED_OUT
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
    """A reply into the discussion is on its way: a new prompt, retry, regenerate and edit
    wait for it (or ``stop`` it)."""


class Moved(ValueError):
    """Another discussion was opened between the user's action and its doing: nothing done."""


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


class _Stream:
    """A reply on its way into ``discussion``: its pieces so far, its stop, its last save."""

    __slots__ = ("_joined", "cancel", "cut", "discussion", "pieces", "reply_id", "saved_at")

    def __init__(self, discussion: Discussion) -> None:
        self.discussion = discussion
        self.cancel = CancelToken()
        self.pieces: list[str] = []
        self._joined: str | None = ""
        #: The id of the reply when it arrives (its partial saves carry it too: replaced).
        self.reply_id = Message("assistant", "").id
        self.saved_at = time.monotonic()
        #: Why the stream was cut (its deadline), if it was.
        self.cut: str | None = None

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self._joined = None

    def text(self) -> str:
        """The pieces joined, once per new piece (the window reads it every frame)."""
        if self._joined is None:
            self._joined = "".join(self.pieces)
        return self._joined


@dataclass(frozen=True, slots=True)
class Turn:
    """A prompt added and saved (``ChatSession.begin_*``), waiting for ``ChatSession.answer``."""

    discussion: Discussion
    history: list[Message]
    prompt: str
    provider: str | None = None
    model: str | None = None
    stream: bool = True


#: At most one partial save of a streamed reply per this many seconds.
PARTIAL_SAVE_S = 1.0


class ChatSession:
    """Thread-safe holder of the open discussion; what blocks (sending, the disk) runs on the
    pool. ``on_switch`` callbacks get the name of each discussion opened (the GUI remembers it).

    Each discussion has at most one reply on its way (``_streams``); replies into different
    discussions may stream at the same time.
    """

    def __init__(self, client: AIClient | None = None) -> None:
        self.client = client or AIClient()
        self.keys = KeyStore(self.client)
        self.catalog = ModelCatalog(self.client)
        self.discussion = Discussion()
        self.settings = ProviderSettings()
        self.lock = threading.RLock()
        self.on_switch: list[Callable[[str], None]] = []
        #: Replies on their way, by discussion name.
        self._streams: dict[str, _Stream] = {}
        self._save_failing = False
        #: Discussions this session moved to the trash (never written back).
        self._gone: set[str] = set()
        #: A stream is cut after ``stream_total_s`` in all (checked on each piece; a stream
        #: without pieces is cut by the SDK's read timeout, ``stream_idle_s``).
        self.stream_total_s = 900.0
        self.stream_idle_s = self.client.timeout_s

    def set_stream_limits(self, idle_s: float, total_s: float) -> None:
        """Cut streams after ``idle_s`` without data (the read timeout) or ``total_s`` in all.

        The read timeout is never longer than ``total_s``: a stream that stops sending is cut
        by then too, with no timer of its own.
        """
        self.stream_idle_s, self.stream_total_s = min(idle_s, total_s), total_s
        self.client.timeout_s = self.stream_idle_s

    @property
    def current_name(self) -> str:
        return self.discussion.name

    @property
    def busy(self) -> bool:
        """A reply into the open discussion is on its way."""
        return self.discussion.name in self._streams

    @property
    def streaming(self) -> str | None:
        """The open discussion's partial reply while it streams (None when it does not).

        Read every frame, so without the lock (a save may hold it): a dict lookup and a cached
        join are safe against the stream's thread adding a piece (at worst a frame late).
        """
        st = self._streams.get(self.discussion.name)
        return st.text() if st is not None else None

    @property
    def streaming_name(self) -> str | None:
        """The open discussion's name while a reply into it streams."""
        name = self.discussion.name
        return name if name in self._streams else None

    def streaming_names(self) -> list[str]:
        with self.lock:
            return list(self._streams)

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
        expect: str | None = None,
    ) -> Reply:
        """Append ``prompt``, ask the provider, append the reply (or the error) and save.

        A discussion without a title takes one from its first prompt.
        """
        turn = self.begin_send(prompt, provider=provider, model=model, stream=stream, expect=expect)
        return self.answer(turn, on_token=on_token)

    def begin_send(
        self,
        prompt: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        stream: bool = True,
        expect: str | None = None,
    ) -> Turn:
        """Add ``prompt`` to the open discussion (``expect``: only if it is that one) and save
        it at once: what waits (keys, the provider) comes after, in ``answer``.

        Raises ``Busy`` if a reply into it is on its way.
        """
        with self.lock:
            d = self._idle(expect)
            history = history_for_model(d.messages)
            d.messages.append(Message("user", prompt))
            if not d.title:
                d.title = title_of(prompt)
            return self._begin(d, history, prompt, provider, model, stream)

    def begin_retry(self, *, expect: str | None = None) -> Turn:
        """The last turn failed: remove the error, to ask again with the same prompt."""
        with self.lock:
            d = self._idle(expect)
            if not d.messages or not d.messages[-1].error:
                raise ValueError("the last turn did not fail: nothing to retry")
            if len(d.messages) < 2 or d.messages[-2].role != "user":
                raise ValueError("there is no prompt to answer")
            self._drop(d, len(d.messages) - 1)
            history, prompt = history_for_model(d.messages[:-1]), d.messages[-1].text
            return self._begin(d, history, prompt, None, None, True)

    def begin_regenerate(self, *, expect: str | None = None) -> Turn:
        """Drop the last reply, to ask again for the prompt it answered."""
        with self.lock:
            d = self._idle(expect)
            if not d.messages or d.messages[-1].role != "assistant":
                raise ValueError("there is no reply to regenerate")
            if len(d.messages) < 2 or d.messages[-2].role != "user":
                raise ValueError("there is no prompt to answer")
            self._drop(d, len(d.messages) - 1)
            history, prompt = history_for_model(d.messages[:-1]), d.messages[-1].text
            return self._begin(d, history, prompt, None, None, True)

    def begin_edit_last(self, text: str, *, expect: str | None = None) -> Turn:
        """Replace the last prompt with ``text`` and drop what followed it, to ask again."""
        with self.lock:
            d = self._idle(expect)
            users = [i for i, m in enumerate(d.messages) if m.role == "user"]
            if not users:
                raise ValueError("there is no prompt to edit")
            self._drop(d, users[-1])
            history = history_for_model(d.messages)
            d.messages.append(Message("user", text))
            return self._begin(d, history, text, None, None, True)

    def retry(self, *, on_token: Callable[[str], None] | None = None) -> Reply:
        return self.answer(self.begin_retry(), on_token=on_token)

    def regenerate(self, *, on_token: Callable[[str], None] | None = None) -> Reply:
        return self.answer(self.begin_regenerate(), on_token=on_token)

    def edit_last(self, text: str, *, on_token: Callable[[str], None] | None = None) -> Reply:
        return self.answer(self.begin_edit_last(text), on_token=on_token)

    def _idle(self, expect: str | None = None) -> Discussion:
        """The open discussion (``expect``: it must be that one), unless a reply into it is
        on its way (the lock is held)."""
        d = self.discussion
        if expect is not None and d.name != expect:
            raise Moved("another conversation was opened meanwhile: nothing done")
        if d.name in self._streams:
            raise Busy("a reply is on its way: stop it first")
        return d

    def _begin(
        self,
        d: Discussion,
        history: list[Message],
        prompt: str,
        provider: str | None,
        model: str | None,
        stream: bool,
    ) -> Turn:
        """Mark ``d`` as answered and save it with its prompt (the lock is held)."""
        self._streams[d.name] = _Stream(d)
        d.updated_at = time.time()
        self._save_discussion(d)
        return Turn(d, history, prompt, provider, model, stream)

    @staticmethod
    def _drop(d: Discussion, start: int) -> None:
        """Take back ``d``'s messages from ``start`` on (a merge drops them too)."""
        d.dropped.extend(m.id for m in d.messages[start:])
        del d.messages[start:]

    def answer(self, turn: Turn, *, on_token: Callable[[str], None] | None = None) -> Reply:
        """Ask for a reply to ``turn``'s prompt; append it (or the error) to its discussion.

        The partial reply is saved at most once per ``PARTIAL_SAVE_S`` while it streams (a
        crash keeps it, as a stopped reply with the final reply's id: replaced at the end).
        """
        d = turn.discussion
        idle_s = self.stream_idle_s
        with self.lock:
            st = self._streams.get(d.name)
            if st is None or st.discussion is not d:
                raise ValueError("this turn is no longer waiting for its answer")
        try:
            self.keys.wait_loaded()  # a key saved in the app wins over the environment's
            with self.lock:
                settings = replace(
                    self.settings,
                    provider=turn.provider or self.settings.provider,
                    model=turn.model or self.settings.model,
                )
                total_s = self.stream_total_s
            deadline = time.monotonic() + total_s

            def token(piece: str) -> None:
                if time.monotonic() > deadline:
                    st.cut = f"cut after {total_s:g} s"
                    st.cancel.cancel()
                    return
                with self.lock:
                    st.add(piece)
                    if time.monotonic() - st.saved_at >= PARTIAL_SAVE_S:
                        self._save_partial(st)
                if on_token is not None:
                    on_token(piece)

            reply = self.client.send(
                settings.provider,
                settings.model,
                turn.history,
                turn.prompt,
                system=d.system or None,
                on_token=token if turn.stream else None,
                cancel=st.cancel,
            )
            if st.cut is not None:
                raise ProviderError(settings.provider, st.cut)
        except ProviderError as exc:
            shown = exc
            if exc.status is None and exc.message == TIMED_OUT and turn.stream:
                shown = ProviderError(exc.provider, f"cut after {idle_s:g} s without data")
            with self.lock:
                d.messages.append(Message("assistant", str(shown), error=True, id=st.reply_id))
            if shown is exc:
                raise
            raise shown from exc
        finally:
            with self.lock:
                if self._streams.get(d.name) is st:
                    del self._streams[d.name]
                self._save_discussion(d)
        with self.lock:
            # A stopped reply keeps what had arrived; the mark is the flag, not the text.
            d.messages.append(
                Message("assistant", reply.text, stopped=reply.cancelled, id=st.reply_id)
            )
            d.updated_at = time.time()
            self._save_discussion(d)
        return reply

    def _save_partial(self, st: _Stream) -> None:
        """Save ``st``'s discussion with the partial reply as a stopped one (the lock is held)."""
        st.saved_at = time.monotonic()
        d = st.discussion
        if d.name in self._gone:
            return
        partial = Message("assistant", st.text(), stopped=True, id=st.reply_id)
        snapshot = Discussion(
            d.name,
            d.system,
            [*d.messages, partial],
            d.cleared_at,
            d.title,
            d.updated_at,
            list(d.dropped),
        )
        try:
            discussions.save(snapshot)
        except OSError as exc:
            log.debug("could not save the partial reply of %r: %s", d.name, exc)

    def stop(self, name: str | None = None) -> None:
        """Cancel the reply being streamed into ``name`` (default: the open discussion)."""
        with self.lock:
            st = self._streams.get(self.discussion.name if name is None else name)
        if st is not None:
            st.cancel.cancel()

    def stop_all(self) -> None:
        """Cancel every reply on its way (quitting)."""
        with self.lock:
            cancels = [st.cancel for st in self._streams.values()]
        for cancel in cancels:
            cancel.cancel()

    def save_all(self) -> None:
        """Save the open discussion and every one a reply is on its way into (quitting)."""
        with self.lock:
            self._save()
            for st in list(self._streams.values()):
                if st.discussion is not self.discussion:
                    self._save_discussion(st.discussion)

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
            st = self._streams.get(name)
        if st is not None:  # its reply is on its way: the copy it adds to, not a stale one
            self._switch(st.discussion)
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

    def rename(self, title: str, *, expect: str | None = None) -> None:
        """Retitle the open discussion (``expect``: only if it is that one)."""
        with self.lock:
            self._current(expect).title = title.strip()
            self._save()

    def set_system(self, text: str, *, expect: str | None = None) -> None:
        """The open discussion's system prompt (nothing is sent when it is empty)."""
        with self.lock:
            self._current(expect).system = text
            self._save()

    def _current(self, expect: str | None) -> Discussion:
        if expect is not None and self.discussion.name != expect:
            raise Moved("another conversation was opened meanwhile: nothing done")
        return self.discussion

    def delete(self, name: str) -> Undo | None:
        """Move discussion ``name`` to the trash (the open one: a new one opens); None if it
        was never saved or cannot be moved (logged)."""
        with self.lock:
            current = name == self.discussion.name
            st = self._streams.get(name)
            held = self.discussion if current else st.discussion if st is not None else None
            if held is not None:
                title = held.shown_title()
                self._save_discussion(held)  # the trash keeps what is in memory too
                self._gone.add(name)  # a reply still arriving must not write it back
            if st is not None:
                st.cancel.cancel()
        if held is None:
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
        with self.lock:
            self._gone.add(name)  # a reply still arriving must not write it back
        if not discussions.exists(name):
            return None
        gone = trash.discard(discussions.file_of(name), title=title)
        if gone is None:
            with self.lock:
                self._gone.discard(name)  # still on disk: saving it goes on
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
        st = self._streams.get(d.name)
        if st is not None and st.discussion is d:
            # Its partial reply saved from the stream is shown as it streams, not as a message.
            merged.messages = [m for m in merged.messages if m.id != st.reply_id]
        d.messages, d.cleared_at, d.dropped = merged.messages, merged.cleared_at, merged.dropped
        d.title, d.system, d.updated_at = merged.title, merged.system, merged.updated_at
