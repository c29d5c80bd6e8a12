"""Discussions on disk: one append-only JSON-lines file each in the data dir (schema 2).

The first line is a header (``{"schema": 2, "name": ...}``); every later line is one record:
a message (``"k": "m"``), a title or system prompt (``"title"``, ``"system"``: the last one
wins), ids taken back (``"drop"``: retried, regenerated, edited; they stay dropped), a time of
last activity (``"touch"``) or a clear (``"clear"``: every message before it is gone).

``save`` appends under an exclusive lock only what the file does not hold yet, so two instances
on one home both see the union and a save costs what it adds, not the whole conversation. What
this process read of a file is kept (``_State``): the next read starts where it stopped. A cut
off last line (a crash mid-append) or a garbled line is skipped and logged; a file whose header
cannot be read is set aside (renamed, never deleted). A schema-1 file (one JSON document) is
read as it is and rewritten as schema 2 on its first save, its old bytes set aside beside it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from sloppy.store import aside, files, paths
from sloppy.store.messages import Discussion, Message, _epoch, _ids, _text, is_schema

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; the merge still runs
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SCHEMA = 2
#: One record longer than this is skipped as garbled (a line is read at most this far).
MAX_LINE = 256 * 1024 * 1024
#: A header line is short; a first line is read at most this far.
HEADER_LINE = 64 * 1024
#: A schema-1 file is one document read whole; none was ever written near this size.
OLD_LIMIT = 1024 * 1024 * 1024
#: A file name longer than this (without ``.json``) is cut and given a checksum of the name.
NAME_CHARS = 96
#: A file with at least this many records is compacted once most of them are garbage.
COMPACT_MIN = 64
#: How many bytes before where a file was read to must be unchanged for it to be read on.
TAIL = 16
#: How many files' read state (``_State``) is kept.
KEPT_STATES = 4


class Summary(NamedTuple):
    """One discussion in the list: ``name`` is its id (the file's), ``title`` what is shown."""

    name: str
    title: str
    updated_at: float
    count: int  # type: ignore[assignment]  # the number of messages (shadows tuple.count)


#: ``listing``'s summaries by file, with the (inode, mtime_ns, size) they were read at.
_listed: dict[str, tuple[tuple[int, int, int], Summary]] = {}
_cache_lock = threading.Lock()


class NotSaved(OSError):
    """The file on disk could not be read (unreadable and not set aside, or an error that
    says nothing about the file): it is left untouched."""


class _State:
    """What one file holds, read up to byte ``end`` of inode ``ino``."""

    __slots__ = (
        "cut_at",
        "dropped",
        "end",
        "ino",
        "messages",
        "old",
        "records",
        "system",
        "tail",
        "title",
        "updated",
    )

    def __init__(self) -> None:
        self.ino, self.end = -1, 0
        self.tail = b""  # the bytes before ``end``: the file was only appended to if they match
        self.messages: dict[str, Message] = {}
        self.dropped: dict[str, None] = {}  # an ordered set
        self.title, self.system, self.updated = "", "", 0.0
        self.records = 0  # lines after the header, garbled ones too
        self.old = False  # read from a schema-1 file: rewritten on the next save
        self.cut_at = -1  # where a cut-off last line was reported (once, not at every read)

    def apply(self, rec: Any) -> None:
        """Apply one parsed record; raises ValueError on anything malformed."""
        if not isinstance(rec, dict):
            raise ValueError("not a record")
        kind = rec.get("k")
        if kind == "m":
            m = Message.from_json(rec)
            self.messages.pop(m.id, None)  # a repeated id: the later copy, in its place
            self.messages[m.id] = m
        elif kind in ("title", "system"):
            setattr(self, kind, _text(rec, "text", strict=True))
        elif kind == "drop":
            self.dropped.update(dict.fromkeys(_ids(rec.get("ids"))))
        elif kind == "touch":
            self.updated = max(self.updated, _epoch(rec.get("at")))
        elif kind == "clear":
            self.dropped.update(dict.fromkeys(self.messages))
        else:
            raise ValueError(f"unknown record {str(kind)[:20]!r}")

    def live(self) -> list[Message]:
        kept = [m for i, m in self.messages.items() if i not in self.dropped]
        kept.sort(key=lambda m: m.at)  # stable: equal times keep the file's order
        return kept

    def garbage(self) -> int:
        """Records that a rewrite would not keep (taken back, repeated, superseded)."""
        live = sum(1 for i in self.messages if i not in self.dropped)
        return self.records - live - 4  # the title, system, drop and touch records stay

    def discussion(self, name: str) -> Discussion:
        d = Discussion(
            name=name,
            system=self.system,
            messages=self.live(),
            title=self.title,
            updated_at=self.updated,
            dropped=list(self.dropped),
        )
        d.title, d.updated_at = d.shown_title(), d.last_activity()
        d.saved = (d.title, d.system)
        return d

    @classmethod
    def of_old(cls, d: Discussion) -> _State:
        state = cls()
        state.messages = {m.id: m for m in d.messages}
        state.dropped = dict.fromkeys(d.dropped)
        state.title, state.system, state.updated = d.title, d.system, d.updated_at
        state.old = True
        return state


#: The files read or written by this process, most recent last (at most ``KEPT_STATES``).
_states: dict[str, _State] = {}


def directory() -> Path:
    return paths.data_dir() / "discussions"


def file_of(name: str) -> Path:
    """The file that holds discussion ``name`` (names are sanitised to stay in the directory;
    a long one is cut and made unique by a checksum of the whole name)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "discussion"
    if len(safe) > NAME_CHARS:
        data = name.encode(errors="surrogatepass")
        safe = f"{safe[: NAME_CHARS - 17]}-{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
    return directory() / f"{safe}.json"


def valid_name(name: str) -> bool:
    """Whether ``name`` is a discussion's own name, not another spelling of its file's
    (``"../default"`` and ``"/default"`` are ``default.json`` too)."""
    return file_of(name).stem == name


def save(discussion: Discussion) -> Discussion:
    """Append to the file on disk what ``discussion`` has and it has not; returns the union.

    The caller shows what is returned. Raises ``NotSaved`` when the file cannot be read now
    (unreadable and not set aside, or a transient error): an unread file is never written.
    """
    path = file_of(discussion.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        state, problem, transient = _state(path)
        if transient or (problem is not None and (path.exists() or path.is_symlink())):
            raise NotSaved(f"{path.name} {problem}: not saved")
        fresh = state is None
        state = _State() if state is None else state
        lines = _changes(discussion, state)
        try:
            for line in lines:
                state.apply(json.loads(line))
            state.records += len(lines)
            if (
                fresh
                or state.old
                or (state.records >= COMPACT_MIN and state.garbage() * 2 > state.records)
            ):
                _rewrite(path, state, convert=state.old)
            elif lines:
                _append(path, state, lines)
        except BaseException:  # not written (disk full...): what was read must be read again
            with _cache_lock:
                _states.pop(str(path), None)
            raise
        merged = state.discussion(discussion.name)
        _remember(path, state)
    discussion.saved = merged.saved
    with contextlib.suppress(OSError):
        st = os.stat(path)
        with _cache_lock:
            _listed[str(path)] = ((st.st_ino, st.st_mtime_ns, st.st_size), summary(merged))
    return merged


def load(name: str) -> tuple[Discussion | None, str | None]:
    """``(discussion, problem)``: (None, None) if absent; a bad file is set aside and named."""
    path = file_of(name)
    with _locked(path):
        state, problem, _transient = _state(path)
        found = None if state is None else state.discussion(name)
    if problem is not None:
        return None, f"discussion {name!r} {problem}"
    return found, None


def names() -> list[str]:
    """The names of the discussions on disk (file stems; ``file_of`` maps each back)."""
    try:
        found = os.listdir(directory())
    except OSError:
        return []
    stems = [n[:-5] for n in found if n.endswith(".json") and not n.startswith(".")]
    return sorted(s for s in stems if file_of(s).name == f"{s}.json")


def exists(name: str) -> bool:
    return file_of(name).is_file()


def listing() -> list[Summary]:
    """Every discussion on disk, newest activity first; a bad file is set aside and skipped.

    A file unchanged since the last listing (same inode, size and modification time) is not
    read again: the list is redrawn after every reply.
    """
    found, seen = [], {}
    for name in names():
        path = str(file_of(name))
        try:
            st = os.stat(path)
        except OSError:
            continue
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with _cache_lock:
            cached = _listed.get(path)
        if cached is not None and cached[0] == stamp:
            found.append(cached[1])
        else:
            d, _problem = load(name)  # a bad file: set aside and logged by ``_state``
            if d is None:
                continue
            found.append(summary(d))
        seen[path] = (stamp, found[-1])
    with _cache_lock:
        _listed.clear()
        _listed.update(seen)
    return sorted(found, key=lambda s: s.updated_at, reverse=True)


def search(query: str) -> list[Summary]:
    """The discussions whose title or message text contains ``query`` (any case), newest first."""
    needle = query.casefold().strip()
    if not needle:
        return listing()

    def matches(d: Discussion) -> bool:
        return needle in d.title.casefold() or any(needle in m.text.casefold() for m in d.messages)

    return _summaries(matches)


def summary(d: Discussion) -> Summary:
    return Summary(d.name, d.shown_title(), d.last_activity(), len(d.messages))


def _summaries(keep: Callable[[Discussion], bool]) -> list[Summary]:
    found = []
    for name in names():
        d, _problem = load(name)  # a bad file: set aside and logged by ``_state``
        if d is not None and keep(d):
            found.append(summary(d))
    return sorted(found, key=lambda s: s.updated_at, reverse=True)


def merge(mine: Discussion, theirs: Discussion) -> Discussion:
    """Every message of both (by id, ``mine`` wins a tie) but those either took back, in time
    order; the title and system prompt ``mine`` changed since it read them, else ``theirs``'."""
    state = _State.of_old(theirs)
    for line in _changes(mine, state):
        state.apply(json.loads(line))
    return state.discussion(mine.name)


def _changes(mine: Discussion, state: _State) -> list[str]:
    """The records (JSON lines) that bring ``state`` up to what ``mine`` adds to it."""
    taken = [i for i in mine.dropped if i not in state.dropped]
    out = [_line({"k": "drop", "ids": taken})] if taken else []
    gone = state.dropped.keys() | set(taken)
    out += [
        _line({"k": "m", **m.to_json(), "text": _clean(m.text)})
        for m in mine.messages
        if m.id not in gone and _newer(m, state.messages.get(m.id))
    ]
    saved_title, saved_system = mine.saved if mine.saved is not None else ("", "")
    # Changed here since read: this copy's wins (later records win); else the file's stays.
    if mine.title not in (saved_title, state.title):
        out.append(_line({"k": "title", "text": _clean(mine.title)}))
    if mine.system not in (saved_system, state.system):
        out.append(_line({"k": "system", "text": _clean(mine.system)}))
    last = max((m.at for m in state.messages.values()), default=0.0)
    if mine.updated_at > max(state.updated, last) and out:
        out.append(_line({"k": "touch", "at": mine.updated_at}))
    return out


def _newer(m: Message, old: Message | None) -> bool:
    """Whether ``m`` adds to the file: a message it lacks, or the next state of a reply saved
    while it streamed (a stopped partial of that id: the final reply, an error, or a longer
    partial). A stale copy in another instance never overwrites a later state."""
    if old is None:
        return True
    if not old.stopped or old.error:
        return False
    if (m.text, m.stopped, m.error) == (old.text, old.stopped, old.error):
        return False
    return not m.stopped or m.error or len(m.text) > len(old.text)


def _clean(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (a provider may send one) becomes "?"."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _line(rec: dict[str, Any]) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def _state(path: Path) -> tuple[_State | None, str | None, bool]:
    """``(state, problem, transient)`` of ``path``, read on from where this process stopped.

    An unreadable file is set aside (``problem`` says so); ``transient``: an error that says
    nothing about the file, which is left as it is.
    """
    key = str(path)
    with _cache_lock:
        known = _states.get(key)
    try:
        state = _scan(path, known)
    except OSError as exc:
        if isinstance(exc, files.Unreadable):  # pragma: no cover - not an OSError
            raise
        return None, f"could not be read just now ({exc.strerror or exc})", True
    except Exception as exc:
        reason = str(exc) if isinstance(exc, files.Unreadable) else _describe(exc)
        with _cache_lock:
            _states.pop(key, None)
        moved = aside.set_aside(path, reason)
        if moved is None:
            return None, f"is unreadable ({reason}) and could not be set aside", False
        return None, f"was unreadable ({reason}) and was set aside as {moved.name}", False
    if state is None:
        with _cache_lock:
            _states.pop(key, None)
    else:
        _remember(path, state)
    return state, None, False


def _remember(path: Path, state: _State) -> None:
    with _cache_lock:
        _states.pop(str(path), None)
        _states[str(path)] = state
        while len(_states) > KEPT_STATES:
            del _states[next(iter(_states))]


def _scan(path: Path, known: _State | None) -> _State | None:
    """Read ``path`` (from ``known``'s end when it is the same file, grown); None if absent."""
    opened = files.open_regular(path, limit=sys.maxsize, transient=True)
    if opened is None:
        return None
    fd, st = opened
    with os.fdopen(fd, "rb") as fh:
        grown = known is not None and known.ino == st.st_ino and known.end <= st.st_size
        if known is not None and grown and not known.old and _same_tail(fh, known):
            if known.end < st.st_size:
                fh.seek(known.end)
                _read_records(fh, known, path)
            return known
        fh.seek(0)
        first = fh.readline(HEADER_LINE)
        try:
            header = json.loads(first)
        except (ValueError, RecursionError):
            header = None
        if not (isinstance(header, dict) and is_schema(header, SCHEMA)):
            if not first.lstrip().startswith(b"{"):
                raise files.Unreadable("not a discussion file")
            state = _State.of_old(_old(fh, path))
            state.ino, state.end = st.st_ino, st.st_size
            return state
        state = _State()
        state.ino, state.end = st.st_ino, fh.tell()
        _read_records(fh, state, path)
        return state


def _same_tail(fh: IO[bytes], state: _State) -> bool:
    fh.seek(state.end - len(state.tail))
    return fh.read(len(state.tail)) == state.tail


def _old(fh: IO[bytes], path: Path) -> Discussion:
    """A schema-1 file: one document (anything else raises ValueError)."""
    fh.seek(0)
    raw = fh.read(OLD_LIMIT + 1)
    if len(raw) > OLD_LIMIT:
        raise files.Unreadable(f"not a schema-{SCHEMA} file and over {OLD_LIMIT} bytes")
    return Discussion.from_json(json.loads(raw))


def _read_records(fh: IO[bytes], state: _State, path: Path) -> None:
    """Apply the records from the current position; a garbled line is skipped (logged), a cut
    off last one left for later (an append that is still being written, or a crash's)."""
    garbled = repeated = 0
    while True:
        line = fh.readline(MAX_LINE)
        if not line:
            break
        if not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # far too long: skip to the next line
                line = fh.readline(1 << 20)
            if not line:  # the end of the file: left for later (the next append starts anew)
                if state.cut_at != state.end:
                    state.cut_at = state.end
                    log.warning("%s: the last line is cut off; skipped", path.name)
                break
            garbled += 1
        else:
            try:
                rec = json.loads(line)
                repeated += (
                    isinstance(rec, dict)
                    and rec.get("k") == "m"
                    and rec.get("id") in state.messages
                )
                state.apply(rec)
            except Exception:  # a line that cannot be used, whatever the reason: skip it
                garbled += 1
        state.records += 1
        state.end = fh.tell()
    fh.seek(max(0, state.end - TAIL))
    state.tail = fh.read(state.end - fh.tell())
    if garbled:
        log.warning("%s: %d garbled line(s) skipped", path.name, garbled)
    if repeated:
        log.warning("%s: %d messages repeat an id; the later copy is kept", path.name, repeated)


def _append(path: Path, state: _State, lines: list[str]) -> None:
    data = "".join(lines)
    if os.stat(path).st_size > state.end:  # a cut-off line: ours must start on a line of its own
        data = "\n" + data
        state.records += 1
    with files.open_append(path, encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
        st = os.fstat(fh.fileno())  # under the lock: where this append ended
    state.ino, state.end = st.st_ino, st.st_size
    raw = data.encode("utf-8")
    if len(raw) >= TAIL:
        state.tail = raw[-TAIL:]
    else:  # a short record: the bytes before it are the file's, not necessarily ``tail``'s
        state.tail = b""


def _rewrite(path: Path, state: _State, *, convert: bool) -> None:
    """Write ``state`` as a fresh file atomically (new, compacted, or converted from schema 1:
    the old file is kept beside it as ``<name>.schema1-<ms>``)."""
    live = state.live()
    lines = [json.dumps({"schema": SCHEMA, "name": path.stem}) + "\n"]
    lines += [
        _line({"k": "title", "text": state.title}),
        _line({"k": "system", "text": state.system}),
    ]
    lines.append(_line({"k": "drop", "ids": list(state.dropped)}))
    lines += [_line({"k": "m", **m.to_json()}) for m in live]
    if state.updated:
        lines.append(_line({"k": "touch", "at": state.updated}))
    if convert:
        kept = path.with_name(f"{path.name}.schema1-{int(time.time() * 1000)}")
        try:
            os.link(path, kept)
        except OSError:
            files.write_atomic(kept, path.read_bytes())
        log.info(
            "%s: converted to schema %d; the old file is kept as %s", path.name, SCHEMA, kept.name
        )
    data = "".join(lines).encode("utf-8")
    files.write_atomic(path, data)
    st = os.stat(path)
    state.tail = data[-TAIL:]
    state.messages = {m.id: m for m in live}
    state.ino, state.end, state.records, state.old = st.st_ino, st.st_size, len(lines) - 1, False


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock beside ``path`` for one read-and-append (other processes)."""
    if fcntl is None or not path.parent.is_dir():
        yield
        return
    try:
        fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # read-only directory: nothing can be written, reading needs no lock
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
