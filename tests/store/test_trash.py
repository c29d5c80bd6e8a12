"""The trash: discard and restore, pruning after 30 days (never silently), damaged metadata,
a restart, and two instances on one home."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sloppy.store import trash
from tests.support import ROOT
from tests.support.together import run_together

DAY = 86400.0


def _file(folder: Path, name: str, text: str = "data") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _discard_at(
    monkeypatch: pytest.MonkeyPatch, path: Path, epoch: float, title: str = ""
) -> trash.Trashed:
    with monkeypatch.context() as m:
        m.setattr(trash.time, "time", lambda: epoch)
        item = trash.discard(path, title=title)
    assert item is not None
    return item


def test_discard_and_restore(sloppy_home: Path) -> None:
    path = _file(sloppy_home / "data" / "discussions", "a.json", "precious")
    item = trash.discard(path, title="A")
    assert item is not None and not path.exists()
    assert item.path.parent == trash.directory() and item.path.read_text() == "precious"
    assert trash.items() == [item]
    assert trash.restore(item) == path and path.read_text() == "precious"
    assert trash.items() == [] and list(trash.directory().iterdir()) == []
    with pytest.raises(FileNotFoundError):
        trash.restore(item)


def test_restore_goes_to_todays_data_dir_after_the_home_moved(
    sloppy_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(sloppy_home / "data" / "discussions", "keep.json", "precious")
    assert trash.discard(path, title="Keep") is not None
    moved = tmp_path / "moved-home"
    sloppy_home.rename(moved)
    monkeypatch.setenv("SLOPPY_HOME", str(moved))
    (item,) = trash.items()
    assert item.origin == path  # recorded as it was
    restored = trash.restore(item)
    assert restored == moved / "data" / "discussions" / "keep.json"
    assert restored.read_text() == "precious" and not path.parent.exists()


@pytest.mark.parametrize("origin", ["", "keep.json", "/x/../..", "discussions/.."])
def test_an_origin_that_names_no_place_is_refused(sloppy_home: Path, origin: str) -> None:
    path = _file(sloppy_home / "data" / "discussions", "keep.json", "precious")
    item = trash.discard(path)
    assert item is not None
    with pytest.raises(ValueError, match="no usable place"):
        trash.restore(item._replace(origin=Path(origin)))
    assert item.path.read_text() == "precious"  # still in the trash


def test_restore_never_replaces_a_file_that_took_the_name(sloppy_home: Path) -> None:
    folder = sloppy_home / "data" / "discussions"
    item = trash.discard(_file(folder, "a.json", "old"))
    assert item is not None
    _file(folder, "a.json", "new")
    back = trash.restore(item)
    assert back != item.origin and back.parent == folder and back.read_text() == "old"
    assert (folder / "a.json").read_text() == "new"


def test_discarding_a_missing_file_says_so(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert trash.discard(sloppy_home / "nothing.json") is None
    assert "nothing.json" in caplog.text
    assert list(trash.directory().glob(f"*{trash.META}")) == []  # no note without a file


def test_prune_removes_only_what_is_older_than_30_days_with_one_log_line(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = sloppy_home / "data" / "discussions"
    now = time.time()
    for i in range(3):
        _discard_at(monkeypatch, _file(folder, f"old{i}.json"), now - 31 * DAY)
    young = _discard_at(monkeypatch, _file(folder, "young.json"), now - 29 * DAY)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sloppy.store.trash"):
        assert trash.prune() == 3
    [line] = [r.getMessage() for r in caplog.records if r.name == "sloppy.store.trash"]
    assert "removed 3 items" in line and str(trash.directory()) in line
    assert trash.items() == [young]
    assert sorted(p.name for p in trash.directory().iterdir()) == sorted(
        [young.path.name, young.path.name + trash.META]
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sloppy.store.trash"):
        assert trash.prune() == 0
    [line] = [r.getMessage() for r in caplog.records if r.name == "sloppy.store.trash"]
    assert line.startswith("trash: removed 0 items")


@pytest.mark.parametrize(
    "damage",
    [b"{not json", b'{"schema": 1, "at": "noon", "origin": "/x"}', b'{"schema": 7}', b"\xff\x00"],
)
def test_damaged_metadata_is_set_aside_and_the_rest_carries_on(
    sloppy_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    damage: bytes,
) -> None:
    folder = sloppy_home / "data" / "discussions"
    old = time.time() - 40 * DAY
    broken = _discard_at(monkeypatch, _file(folder, "broken.json"), old)
    fine = trash.discard(_file(folder, "fine.json"), title="fine")
    meta = broken.path.with_name(broken.path.name + trash.META)
    meta.write_bytes(damage)
    with caplog.at_level(logging.WARNING):
        assert trash.items() == [fine]
    assert len([r for r in caplog.records if meta.name in r.getMessage()]) == 1
    assert broken.path.exists()  # the user's file is kept ...
    assert list(trash.directory().glob(meta.name + ".bad-*"))  # ... and the note set aside
    assert trash.prune() == 1  # pruned by its age all the same (its name carries the time)
    assert not broken.path.exists() and trash.items() == [fine]


LISTER = """
import json
from sloppy.store import trash
print(json.dumps([[t.title, str(t.origin)] for t in trash.items()]))
"""


def test_a_restart_finds_what_is_in_the_trash(sloppy_home: Path) -> None:
    path = _file(sloppy_home / "data" / "discussions", "kept.json")
    trash.discard(path, title="Kept for later")
    out = subprocess.run(
        [sys.executable, "-c", LISTER], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [["Kept for later", str(path)]]


PRUNER = """
import sys, time
from pathlib import Path
from sloppy.store import trash
go = Path(sys.argv[1])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for i in range(20):
    p = Path(sys.argv[2]) / f"{sys.argv[3]}-{i}.json"
    p.write_text("x")
    assert trash.discard(p) is not None
print(trash.prune(), flush=True)
"""


def test_two_instances_discard_and_prune_one_trash(
    sloppy_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = sloppy_home / "data" / "discussions"
    old = time.time() - 31 * DAY
    for i in range(40):
        _discard_at(monkeypatch, _file(folder, f"old{i}.json"), old)
    argvs = [[str(folder), tag] for tag in "AB"]
    removed = [int(out) for out in run_together(PRUNER, argvs, tmp_path / "go")]
    assert sum(removed) == 40  # each old item removed once, counted once
    assert sorted(t.origin.name for t in trash.items()) == sorted(
        f"{tag}-{i}.json" for tag in "AB" for i in range(20)
    )
