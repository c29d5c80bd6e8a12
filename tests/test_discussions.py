"""Discussions on disk: round trip, corrupt files set aside, SIGKILL during a save."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from sloppy import discussions, settings
from sloppy.chat import ChatSession
from sloppy.models import Discussion, Message
from tests.conftest import ROOT


def test_round_trip(sloppy_home: Path) -> None:
    d = Discussion(name="talk", messages=[Message("user", "hi"), Message("assistant", "yo")])
    path = discussions.save(d)
    assert path.is_relative_to(sloppy_home / "data")
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
    path = discussions.save(Discussion(name="../../etc/passwd"))
    assert path.parent == discussions.directory()


SAVER = """
import sys
from sloppy import discussions
from sloppy.models import Discussion, Message
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
