"""Discussions as append-only JSON lines (schema 2) and the store's answers to bad input."""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import pytest

from sloppy.providers.chat import ChatSession
from sloppy.store import discussions, files, settings
from sloppy.store.messages import Discussion, Message


def _talk(name: str = "talk", n: int = 3) -> Discussion:
    return Discussion(
        name=name, messages=[Message("user", f"m{i}", at=float(i + 1)) for i in range(n)]
    )


def _texts(name: str = "talk") -> list[str]:
    found, problem = discussions.load(name)
    assert problem is None and found is not None
    return [m.text for m in found.messages]


def _forget() -> None:
    """What another process sees: nothing read yet."""
    discussions._states.clear()


def test_a_save_appends_only_what_the_file_lacks(sloppy_home: Path) -> None:
    d = _talk()
    merged = discussions.save(d)
    path = discussions.file_of("talk")
    before = path.read_bytes()
    inode = path.stat().st_ino
    merged.messages.append(Message("user", "one more", at=10.0))
    discussions.save(merged)
    after = path.read_bytes()
    assert after.startswith(before) and path.stat().st_ino == inode
    added = after[len(before) :].decode().splitlines()
    assert len(added) == 1 and json.loads(added[0])["text"] == "one more"
    discussions.save(merged)  # nothing new: nothing written
    assert path.read_bytes() == after
    _forget()
    assert _texts() == ["m0", "m1", "m2", "one more"]


def test_a_cut_off_last_line_is_skipped_and_the_rest_loads(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    path.write_bytes(path.read_bytes()[:-20])  # a crash in the middle of the last append
    _forget()
    with caplog.at_level(logging.WARNING):
        assert _texts() == ["m0", "m1"]
    assert len([r for r in caplog.records if "talk.json" in r.getMessage()]) == 1
    found, _ = discussions.load("talk")
    assert found is not None
    found.messages.append(Message("user", "after", at=10.0))
    discussions.save(found)
    _forget()
    assert _texts() == ["m0", "m1", "after"]
    assert not list(path.parent.glob("talk.json.bad-*"))


def test_a_garbled_line_in_the_middle_is_skipped(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    lines = path.read_bytes().splitlines(keepends=True)
    lines[-2] = b'{"k": "m", "text": \xff garbage\n'
    path.write_bytes(b"".join(lines))
    _forget()
    with caplog.at_level(logging.WARNING):
        assert _texts() == ["m0", "m2"]
    assert len([r for r in caplog.records if "talk.json" in r.getMessage()]) == 1
    assert not list(path.parent.glob("talk.json.bad-*"))


def test_an_unreadable_header_sets_the_file_aside(sloppy_home: Path) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    data = b"[not a header]\n" + path.read_bytes().split(b"\n", 1)[1]
    path.write_bytes(data)
    _forget()
    found, problem = discussions.load("talk")
    assert found is None and problem is not None and "set aside" in problem
    [moved] = path.parent.glob("talk.json.bad-*")
    assert moved.read_bytes() == data


def test_a_file_rewritten_in_place_is_read_again(sloppy_home: Path) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    other = discussions.file_of("other")
    discussions.save(_talk("other", n=5))
    path.write_bytes(other.read_bytes())  # the same inode, larger: not an append
    assert _texts() == ["m0", "m1", "m2", "m3", "m4"]


def test_a_schema_1_file_loads_and_is_converted_on_its_first_save(sloppy_home: Path) -> None:
    path = discussions.file_of("old")
    path.parent.mkdir(parents=True)
    doc = {
        "schema": 1,
        "name": "old",
        "system": "Be brief.",
        "title": "Old one",
        "messages": [{"role": "user", "text": "hi", "at": 1.0, "id": "a"}],
        "dropped": ["z"],
    }
    old = json.dumps(doc, indent=1).encode()
    path.write_bytes(old)
    found, problem = discussions.load("old")
    assert problem is None and found is not None
    assert (found.title, found.system, found.dropped) == ("Old one", "Be brief.", ["z"])
    found.messages.append(Message("assistant", "yo", at=2.0))
    discussions.save(found)
    [kept] = path.parent.glob("old.json.schema1-*")
    assert kept.read_bytes() == old
    assert json.loads(path.read_bytes().split(b"\n", 1)[0])["schema"] == 2
    _forget()
    again, _ = discussions.load("old")
    assert again is not None and [m.text for m in again.messages] == ["hi", "yo"]
    assert (again.title, again.system, again.dropped) == ("Old one", "Be brief.", ["z"])


def test_compaction_keeps_everything_and_drops_the_garbage(sloppy_home: Path) -> None:
    d = discussions.save(_talk(n=2))
    path = discussions.file_of("talk")
    inode = path.stat().st_ino
    for i in range(discussions.COMPACT_MIN):  # one kept, one taken back, each time
        d.messages.append(Message("user", f"keep {i}", at=10.0 + i))
        d.messages.append(Message("assistant", f"retried {i}", at=10.5 + i))
        d = discussions.save(d)
        d.dropped.append(d.messages.pop().id)
        d.title = f"title {i}"
        d = discussions.save(d)
    assert path.stat().st_ino != inode  # rewritten
    assert len(path.read_bytes().splitlines()) < 3 * discussions.COMPACT_MIN
    _forget()
    found, _ = discussions.load("talk")
    assert found is not None and found.title == f"title {discussions.COMPACT_MIN - 1}"
    expected = ["m0", "m1"] + [f"keep {i}" for i in range(discussions.COMPACT_MIN)]
    assert [m.text for m in found.messages] == expected
    assert len(found.dropped) == discussions.COMPACT_MIN
    stale = _talk(n=2)  # a second instance still holding a retried reply: it stays gone
    stale.messages.append(Message("assistant", "x", at=99.0, id=found.dropped[0]))
    assert "x" not in [m.text for m in discussions.save(stale).messages]


# -- review findings --------------------------------------------------------------------------


def test_a_second_instance_keeps_the_first_ones_rename_and_system_prompt(sloppy_home: Path) -> None:
    discussions.save(Discussion(name="D", title="First", messages=[Message("user", "q", at=1.0)]))
    a, _ = discussions.load("D")
    b, _ = discussions.load("D")
    assert a is not None and b is not None
    a.title, a.system = "Renamed", "Answer in French"
    a = discussions.save(a)
    b.messages.append(Message("user", "from b", at=2.0))
    b = discussions.save(b)  # b never changed the title or the system prompt
    assert (b.title, b.system) == ("Renamed", "Answer in French")
    b.title = "Renamed by b"
    discussions.save(b)
    _forget()
    found, _ = discussions.load("D")
    assert found is not None and (found.title, found.system) == ("Renamed by b", "Answer in French")
    assert [m.text for m in found.messages] == ["q", "from b"]


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE, errno.EIO, errno.EINTR])
def test_a_transient_open_error_never_sets_a_healthy_file_aside(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    _forget()
    real = os.open

    def failing(p: object, *args: object, **kwargs: object) -> int:
        if str(p) == str(path):
            raise OSError(code, os.strerror(code))
        return real(p, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "open", failing)
    found, problem = discussions.load("talk")
    assert found is None and problem is not None and "just now" in problem
    with pytest.raises(discussions.NotSaved):
        discussions.save(_talk())
    monkeypatch.setattr(files.os, "open", real)
    assert not list(path.parent.glob("talk.json.bad-*"))
    assert _texts() == ["m0", "m1", "m2"]


def test_a_long_name_gets_a_short_unique_file(sloppy_home: Path) -> None:
    long_a, long_b = "x" * 300, "x" * 299 + "y"
    for name in (long_a, long_b):
        discussions.save(_talk(name))
    assert discussions.file_of(long_a) != discussions.file_of(long_b)
    assert len(discussions.file_of(long_a).name) <= discussions.NAME_CHARS + len(".json")
    assert _texts(long_a) == ["m0", "m1", "m2"]
    assert not discussions.valid_name(long_a)
    assert all(discussions.valid_name(n) for n in discussions.names())


def test_an_alias_or_overlong_discussion_in_settings_is_not_used(sloppy_home: Path) -> None:
    for bad in ("../default", "/default", "x" * 300):
        s = settings.Settings()
        s.discussion = bad
        settings.save(s)
        assert settings.load().discussion == "default"
    s.discussion = "talk-2"
    settings.save(s)
    assert settings.load().discussion == "talk-2"


def test_an_alias_of_a_discussion_is_not_opened(sloppy_home: Path) -> None:
    discussions.save(_talk("default"))
    chat = ChatSession()
    chat.new("other")
    for alias in ("../default", "/default", "default.json", "de fault"):
        assert chat.open(alias) is not None
        assert chat.current_name == "other"
    assert chat.open("default") is None and chat.current_name == "default"


def _write_old(name: str, messages: list[dict], **fields: object) -> None:
    path = discussions.file_of(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": 1, "messages": messages, **fields}))


def test_malformed_fields_are_neither_guessed_nor_stringified(sloppy_home: Path) -> None:
    _write_old("nulls", [{"role": None, "text": "hi"}], system=None, title=5)
    found, problem = discussions.load("nulls")
    assert problem is None and found is not None
    assert (found.system, found.title, found.messages[0].role) == ("", "hi", "user")
    for name, doc in {
        "error_text": {"messages": [{"role": "assistant", "text": "a", "error": "false"}]},
        "stopped_int": {"messages": [{"role": "assistant", "text": "a", "stopped": 0}]},
        "system_list": {"messages": [], "system": ["x"]},
        "role_list": {"messages": [{"role": ["user"], "text": "a"}]},
    }.items():
        _write_old(name, **doc)  # type: ignore[arg-type]
        found, problem = discussions.load(name)
        assert found is None and problem is not None and "set aside" in problem, name
    path = discussions.file_of("boolean")
    path.write_text(json.dumps({"schema": True, "messages": []}))
    assert discussions.load("boolean")[0] is None


def test_a_repeated_id_keeps_the_later_copy(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    same = {"role": "user", "id": "a", "at": 1.0}
    _write_old("dup", [{**same, "text": "first"}, {**same, "text": "second"}])
    with caplog.at_level(logging.WARNING):
        assert _texts("dup") == ["second"]
    assert len([r for r in caplog.records if "repeat an id" in r.getMessage()]) == 1


@pytest.mark.slow
def test_a_big_conversation_loads_and_saves_one_more_message_as_an_append(
    sloppy_home: Path,
) -> None:
    body = "lorem ipsum dolor sit amet " * 450  # about 12 kB a message
    d = Discussion(name="big")
    for batch in range(20):
        d.messages += [
            Message("user", f"{batch}-{i} {body}", at=batch * 100.0 + i) for i in range(100)
        ]
        d = discussions.save(d)
    path = discussions.file_of("big")
    assert path.stat().st_size > 20 * 1024 * 1024
    _forget()
    found, problem = discussions.load("big")
    assert problem is None and found is not None and len(found.messages) == 2000
    before = path.stat().st_size
    found.messages.append(Message("assistant", "one more", at=1e6))
    discussions.save(found)
    added = path.stat().st_size - before
    assert 0 < added < 1024  # the message, not the conversation
    _forget()
    assert _texts("big")[-1] == "one more"


def test_a_repeated_record_keeps_the_later_copy_in_its_place(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    lines = path.read_text().splitlines(keepends=True)
    again = json.loads(lines[-1])  # m2, written twice (say by a copy of the file's tail)
    with path.open("a") as fh:
        fh.write(json.dumps({**again, "text": "m2 again"}) + "\n")
    _forget()
    with caplog.at_level(logging.WARNING):
        assert _texts() == ["m0", "m1", "m2 again"]
    assert len([r for r in caplog.records if "repeat an id" in r.getMessage()]) == 1


def test_a_lone_surrogate_is_saved_as_a_question_mark_and_the_rest_is_kept(
    sloppy_home: Path,
) -> None:
    d = _talk()
    d.messages.append(Message("assistant", "bad \ud800 char", at=9.0))
    d.title = "title \udfff"
    merged = discussions.save(d)
    assert merged.messages[-1].text == "bad ? char" and merged.title == "title ?"
    _forget()
    assert _texts() == ["m0", "m1", "m2", "bad ? char"]


def test_a_failed_write_is_not_taken_as_written(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = discussions.save(_talk())
    d.messages.append(Message("user", "after a full disk", at=9.0))

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files, "open_append", full)
    with pytest.raises(OSError):
        discussions.save(d)
    monkeypatch.undo()
    discussions.save(d)
    _forget()
    assert _texts()[-1] == "after a full disk"


def _reply(text: str, *, stopped: bool = False, error: bool = False) -> Message:
    return Message("assistant", text, at=10.0, stopped=stopped, error=error, id="reply-1")


def _saved_reply() -> Message:
    _forget()
    found, problem = discussions.load("talk")
    assert problem is None and found is not None
    return found.messages[-1]


def test_a_reply_saved_while_it_streamed_is_replaced_by_its_final_state(
    sloppy_home: Path,
) -> None:
    """The stream saves its partial as a stopped message; the final reply (same id) follows."""
    prompt = Message("user", "q", at=1.0)
    d = Discussion(name="talk", messages=[prompt, _reply("Hel", stopped=True)])
    discussions.save(d)
    d.messages[-1] = _reply("Hello wor", stopped=True)
    discussions.save(d)
    assert _saved_reply().text == "Hello wor"
    d.messages[-1] = _reply("Hello world.")
    discussions.save(d)
    final = _saved_reply()
    assert (final.text, final.stopped) == ("Hello world.", False)
    # A copy still holding an earlier partial (another instance) never overwrites it.
    stale = Discussion(name="talk", messages=[prompt, _reply("Hello wor", stopped=True)])
    discussions.save(stale)
    assert (_saved_reply().text, _saved_reply().stopped) == ("Hello world.", False)


def test_an_error_replaces_a_partial_reply_and_a_shorter_partial_never_does(
    sloppy_home: Path,
) -> None:
    prompt = Message("user", "q", at=1.0)
    d = Discussion(name="talk", messages=[prompt, _reply("Hello wor", stopped=True)])
    discussions.save(d)
    d.messages[-1] = _reply("Hel", stopped=True)
    discussions.save(d)
    assert _saved_reply().text == "Hello wor"
    d.messages[-1] = _reply("openai: server error (HTTP 500)", error=True)
    discussions.save(d)
    assert _saved_reply().error


def test_a_cut_off_last_line_is_reported_once_however_often_it_is_read(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discussions.save(_talk())
    path = discussions.file_of("talk")
    with path.open("ab") as fh:
        fh.write(b'{"k":"m","role":"user","te')  # an append cut short (a crash's)
    _forget()
    with caplog.at_level(logging.WARNING, logger="sloppy.store.discussions"):
        for _ in range(3):
            assert _texts() == ["m0", "m1", "m2"]
        discussions.listing()
    assert sum("cut off" in r.getMessage() for r in caplog.records) == 1
