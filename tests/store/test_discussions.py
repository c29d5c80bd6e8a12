"""Discussions on disk: round trip, corrupt files set aside, SIGKILL during a save."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sloppy.providers.chat import ChatSession
from sloppy.store import aside, discussions, files, settings
from sloppy.store.messages import Discussion, Message
from tests.support import ROOT
from tests.support.together import run_together


def test_round_trip(sloppy_home: Path) -> None:
    d = Discussion(name="talk", messages=[Message("user", "hi"), Message("assistant", "yo")])
    discussions.save(d)
    assert discussions.file_of("talk").is_relative_to(sloppy_home / "data")
    loaded, problem = discussions.load("talk")
    assert problem is None and loaded is not None
    assert [m.text for m in loaded.messages] == ["hi", "yo"]


def test_corrupt_file_is_set_aside_and_reported(sloppy_home: Path) -> None:
    discussions.save(Discussion(name="bad"))
    path = discussions.directory() / "bad.json"
    path.write_text('{"schema": 1, "messages": [ {"text": ')
    chat = ChatSession()
    problem = chat.restore("bad")
    assert problem is not None and "set aside" in problem
    aside = list(discussions.directory().glob("bad.json.bad-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"schema": 1')
    assert chat.discussion.messages == []


def test_foreign_schema_is_set_aside(sloppy_home: Path) -> None:
    discussions.directory().mkdir(parents=True)
    (discussions.directory() / "v9.json").write_text(json.dumps({"schema": 9}))
    found, problem = discussions.load("v9")
    assert found is None and problem


def test_names_are_sanitised(sloppy_home: Path) -> None:
    discussions.save(Discussion(name="../../etc/passwd"))
    assert discussions.file_of("../../etc/passwd").parent == discussions.directory()
    assert [p.name for p in discussions.directory().glob("*.json")] == ["etc_passwd.json"]


SAVER = """
import sys
from sloppy.store import discussions
from sloppy.store.messages import Discussion, Message
i = 0
big = "x" * 200_000
while True:
    i += 1
    discussions.save(Discussion(name="kill", messages=[Message("user", f"{i} {big}")]))
    if i == 3:
        print("saving", flush=True)
"""


def test_sigkill_during_saves_leaves_a_readable_file(sloppy_home: Path) -> None:
    for delay in (0.05, 0.13, 0.29):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER], stdout=subprocess.PIPE, cwd=ROOT, text=True
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saving"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        loaded, problem = discussions.load("kill")
        assert problem is None and loaded is not None
        assert loaded.messages[0].text.endswith("x" * 1000)


def test_settings_round_trip_and_bad_file(sloppy_home: Path) -> None:
    s = settings.load()
    assert s.theme == "default"
    s.theme, s.provider = "nerv", "anthropic"
    settings.save(s)
    assert settings.load().theme == "nerv"
    settings.path().write_text("{{{")
    assert settings.load().theme == "default"
    assert list(settings.path().parent.glob("settings.json.bad-*"))


# -- unreadable discussions are set aside and never overwritten ------------------------------

UNREADABLE: dict[str, str | bytes] = {
    "huge_int_at": '{"schema": 1, "messages": [{"role": "user", "text": "x", "at": 1'
    + "0" * 400
    + "}]}",
    "infinite_at": '{"schema": 1, "messages": [{"role": "user", "text": "x", "at": 1e999}]}',
    "nan_at": '{"schema": 1, "messages": [{"role": "user", "text": "x", "at": NaN}]}',
    "string_at": '{"schema": 1, "messages": [{"role": "user", "text": "x", "at": "noon"}]}',
    "deeply_nested": '{"schema": 1, "messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "not_utf8": b'{"schema": 1, "messages": [{"text": "\xff\xfe"}]}',
    # Valid JSON, but a lone surrogate can be neither drawn nor sent to a provider.
    "lone_surrogate": '{"schema": 1, "messages": [{"role": "user", "text": "a\\ud800"}]}',
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_discussion_is_set_aside_then_saved_afresh(
    sloppy_home: Path, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = discussions.file_of("default")
    path.parent.mkdir(parents=True)
    content = UNREADABLE[case]
    data = content if isinstance(content, bytes) else content.encode()
    path.write_bytes(data)
    chat = ChatSession()
    with caplog.at_level(logging.WARNING):
        problem = chat.restore("default")
    assert problem is not None and "set aside" in problem
    assert len([r for r in caplog.records if "default.json" in r.getMessage()]) == 1
    [moved] = path.parent.glob("default.json.bad-*")
    assert moved.read_bytes() == data  # the user's bytes, untouched
    assert [e["set_aside_as"] for e in aside.events()][-1] == str(moved)
    with chat.lock:
        chat.discussion.messages.append(Message("user", "after"))
        chat._save()
    assert moved.read_bytes() == data
    loaded, problem = discussions.load("default")
    assert problem is None and loaded is not None
    assert [m.text for m in loaded.messages] == ["after"]


def test_an_unexpected_parse_error_is_set_aside_too(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = discussions.file_of("odd")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"schema": 1, "messages": [{"role": "user", "text": "kept"}]}))

    def explode(_obj: object) -> Discussion:
        raise KeyError("surprise")

    monkeypatch.setattr(Discussion, "from_json", explode)
    found, problem = discussions.load("odd")
    assert found is None and problem is not None and "KeyError" in problem
    assert len(list(discussions.directory().glob("odd.json.bad-*"))) == 1


def test_a_file_that_cannot_be_set_aside_is_never_overwritten(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = discussions.file_of("default")
    path.parent.mkdir(parents=True)
    path.write_text("{garbage")
    monkeypatch.setattr(files.os, "replace", _refuse_rename_of(path, files.os.replace))
    chat = ChatSession()
    problem = chat.restore("default")
    assert problem is not None and "could not be set aside" in problem
    assert chat.discussion.name.startswith("default-")
    with chat.lock:
        chat.discussion.messages.append(Message("user", "elsewhere"))
        chat._save()
    assert path.read_text() == "{garbage"
    assert discussions.load(chat.discussion.name)[0] is not None
    with pytest.raises(discussions.NotSaved):
        discussions.save(Discussion(name="default"))
    assert path.read_text() == "{garbage"


def _refuse_rename_of(path: Path, real: Any) -> Any:
    def replace(src: Any, dst: Any) -> None:
        if Path(src) == path:
            raise PermissionError(13, "Permission denied")
        real(src, dst)

    return replace


def test_messages_without_ids_get_the_same_id_everywhere(sloppy_home: Path) -> None:
    path = discussions.file_of("old")
    path.parent.mkdir(parents=True)
    doc = {"schema": 1, "messages": [{"role": "user", "text": "hi", "at": 5.0}]}
    path.write_text(json.dumps(doc))
    a, _ = discussions.load("old")
    b, _ = discussions.load("old")
    assert a is not None and b is not None
    assert a.messages[0].id == b.messages[0].id


# -- two instances on one home ---------------------------------------------------------------


def test_merge_keeps_both_sides_in_time_order() -> None:
    mine = Discussion(messages=[Message("user", "a", at=1), Message("user", "c", at=3)])
    theirs = Discussion(messages=[Message("user", "b", at=2), mine.messages[0]])
    merged = discussions.merge(mine, theirs)
    assert [m.text for m in merged.messages] == ["a", "b", "c"]


def test_an_old_cleared_at_never_hides_a_message(sloppy_home: Path) -> None:
    """Messages without a time (0.0) and a ``cleared_at`` in the future both survive saves."""
    path = discussions.file_of("old")
    path.parent.mkdir(parents=True)
    future = time.time() + 86_400
    doc = {"schema": 1, "cleared_at": future, "messages": [{"role": "user", "text": "no time"}]}
    path.write_text(json.dumps(doc))
    chat = ChatSession()
    assert chat.restore("old") is None
    with chat.lock:
        chat.discussion.messages.append(Message("user", "new"))
        chat._save()
    assert [m.text for m in chat.discussion.messages] == ["no time", "new"]
    loaded, _ = discussions.load("old")
    assert loaded is not None and [m.text for m in loaded.messages] == ["no time", "new"]


WRITER = """
import sys, time
from pathlib import Path
from sloppy.providers.chat import ChatSession
from sloppy.store.messages import Message
go, tag = Path(sys.argv[1]), sys.argv[2]
chat = ChatSession()
chat.restore("shared")
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for i in range(60):
    with chat.lock:
        chat.discussion.messages.append(Message("user", f"{tag}-{i}"))
        chat._save()
print(len(chat.messages()), flush=True)
"""


def test_two_processes_saving_one_discussion_lose_nothing(
    sloppy_home: Path, tmp_path: Path
) -> None:
    discussions.save(Discussion(name="shared", messages=[Message("user", "before")]))
    seen = [int(out) for out in run_together(WRITER, [["A"], ["B"]], tmp_path / "go")]
    loaded, problem = discussions.load("shared")
    assert problem is None and loaded is not None
    texts = [m.text for m in loaded.messages]
    expected = {"before"} | {f"{t}-{i}" for t in "AB" for i in range(60)}
    assert set(texts) == expected and len(texts) == len(expected)
    for tag in "AB":  # each writer's own messages stay in its order
        assert [t for t in texts if t.startswith(tag)] == [f"{tag}-{i}" for i in range(60)]
    assert max(seen) == len(expected)  # the last writer showed everyone's messages


def test_a_failing_save_warns_once_until_one_works(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chat = ChatSession()
    real = discussions.save

    def read_only(_d: Discussion) -> Discussion:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(discussions, "save", read_only)
    with caplog.at_level(logging.WARNING, logger="sloppy.providers.chat"):
        for i in range(3):
            chat.set_system(f"system {i}")
        assert len(caplog.records) == 1
        monkeypatch.setattr(discussions, "save", real)
        chat.set_system("works")
        monkeypatch.setattr(discussions, "save", read_only)
        chat.set_system("fails again")
    assert len(caplog.records) == 2


def test_listing_sees_every_change_to_a_file_it_listed_before(sloppy_home: Path) -> None:
    d = Discussion(name="x", title="ab", messages=[Message("user", "q", at=1.0)])
    discussions.save(d)
    assert [s.title for s in discussions.listing()] == ["ab"]
    d.title = "ba"  # the same size, likely the same mtime tick: the new inode tells
    discussions.save(d)
    assert [s.title for s in discussions.listing()] == ["ba"]
    discussions.save(Discussion(name="y", messages=[Message("user", "newer", at=2.0)]))
    assert [s.title for s in discussions.listing()] == ["newer", "ba"]
    discussions.file_of("x").unlink()
    assert [s.name for s in discussions.listing()] == ["y"]


def test_every_field_round_trips(sloppy_home: Path) -> None:
    d = Discussion(
        name="all",
        system="Be brief.",
        messages=[
            Message("user", "q", at=1.0),
            Message("assistant", "boom", at=2.0, error=True),
            Message("assistant", "half", at=3.0, stopped=True),
        ],
        title="Everything",
        updated_at=4.0,
        dropped=["gone-1"],
    )
    discussions.save(d)
    loaded, problem = discussions.load("all")
    assert problem is None and loaded == d
    assert loaded is not d and loaded != Discussion(name="all")
    assert [(m.error, m.stopped) for m in loaded.messages] == [
        (False, False),
        (True, False),
        (False, True),
    ]
