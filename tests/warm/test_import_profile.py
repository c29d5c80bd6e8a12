"""The persisted import profile: round trip, keep-N, and everything that can be wrong on disk."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from sloppy.warm import import_profile
from sloppy.warm.import_profile import ProfileStore, RunKey, RunRecord, run_key
from tests.support import engine_run
from tests.support.damage import DAMAGE_KINDS, apply_damage


def _run(i: int, loads: list[list[Any]] | None = None) -> RunRecord:
    run = RunRecord(id=f"run-{i}", key=run_key(), warm={"a": 0.1 * i}, demands={})
    if loads is not None:
        run["loads"] = loads
    return run


def test_round_trip(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.json")
    assert store.runs() == []
    assert store.save_run(_run(1))
    assert [r["id"] for r in store.runs()] == ["run-1"]
    assert json.loads((tmp_path / "p.json").read_text())["schema"] == import_profile.SCHEMA


def test_saving_the_same_run_replaces_it(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.json")
    store.save_run(_run(1))
    store.save_run({**_run(1), "warm": {"a": 9.0}})
    (only,) = store.runs()
    assert only["warm"] == {"a": 9.0}


def test_keeps_the_last_n_runs_and_loads_only_for_the_newest(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.json")
    for i in range(import_profile.KEEP_RUNS + 3):
        store.save_run(_run(i, loads=[["m", "MainThread", 0.0, 0.1, "filesystem"]]))
    runs = store.runs()
    assert len(runs) == import_profile.KEEP_RUNS
    assert runs[-1]["id"] == f"run-{import_profile.KEEP_RUNS + 2}"
    with_loads = [r for r in runs if "loads" in r]
    assert len(with_loads) == import_profile.KEEP_LOADS
    assert with_loads[-1] is runs[-1]


def test_runs_filtered_by_key(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.json")
    store.save_run(_run(1))
    store.save_run({**_run(2), "key": {**run_key(), "frozen": not run_key()["frozen"]}})
    assert [r["id"] for r in store.runs(key=run_key())] == ["run-1"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"schema": 1, "runs": [{"id": "x"',  # truncated
        b"\x00\xff garbage \x13",  # garbled
        b'{"schema": "2", "runs": []}',  # no schema number
        b'["not", "an", "object"]',
        f'{{"schema": {import_profile.SCHEMA}, "runs": "nope"}}'.encode(),
    ],
)
def test_bad_file_is_set_aside_with_one_log_line_and_rebuilt(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(content)
    store = ProfileStore(path)
    with caplog.at_level(logging.WARNING):
        assert store.runs() == []
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    aside = list(tmp_path.glob("p.json.bad-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content  # kept, never deleted
    assert store.save_run(_run(1))
    assert [r["id"] for r in store.runs()] == ["run-1"]


def test_another_versions_profile_is_replaced_with_one_line_and_never_piles_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "p.json"
    # Upgrades and downgrades across schema changes: each version finds the other's file.
    for version, schema in enumerate([1, 3, 1, 999, 0] * 2):
        path.write_text(json.dumps({"schema": schema, "runs": [{"id": "theirs"}]}))
        store = ProfileStore(path)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert store.runs() == [] and store.runs() == []
            assert store.save_run(_run(version))
        said = [r for r in caplog.records if r.name.startswith("sloppy.")]
        assert len(said) == 1 and said[0].levelno == logging.INFO, said
        assert f"schema {schema}" in said[0].getMessage()
        assert [r["id"] for r in store.runs()] == [f"run-{version}"]
    assert list(tmp_path.iterdir()) == [path]  # nothing set aside, nothing left over


def test_unusable_cache_dir_costs_one_warning_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    store = ProfileStore(blocker / "cache" / "p.json")
    with caplog.at_level(logging.WARNING):
        assert store.runs() == []
        assert store.save_run(_run(1)) is False
        assert store.save_run(_run(2)) is False
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1


def test_unwritable_dir_costs_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise PermissionError(13, "Permission denied")

    # Root ignores directory modes, so refuse the temp file the way a read-only dir would.
    monkeypatch.setattr("sloppy.store.files.tempfile.mkstemp", refuse)
    store = ProfileStore(tmp_path / "p.json")
    with caplog.at_level(logging.WARNING):
        assert store.save_run(_run(1)) is False
        assert store.save_run(_run(2)) is False
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_controller_saves_its_run_on_completion(sloppy_home: Path) -> None:
    from sloppy.app.controller import AppController

    c = AppController(warm_modules=["json"])
    assert c.wait_for_warmup(10)
    c.shutdown()
    store = ProfileStore()
    assert store.path.is_relative_to(sloppy_home)
    (run,) = store.runs(key=run_key())
    assert "json" in run["warm"]


# -- damage and crashes on the warm engine's start (issue 11) ---------------------------------


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_damage_matrix_profile(kind: str, tmp_path: Path, sloppy_home: Path) -> None:
    mods = engine_run.write_modules(tmp_path / "engine-mods")
    assert engine_run.start(mods).out["warm"]
    path = sloppy_home / "cache" / import_profile.FILENAME
    apply_damage(path, kind)
    damaged = engine_run.start(mods)
    assert damaged.out["warm"] and not damaged.out["failed"], damaged.stderr[-2000:]
    assert "Traceback" not in damaged.stderr
    aside = list(path.parent.glob(f"{import_profile.FILENAME}.bad-*"))
    if kind == "foreign":  # another version's profile: replaced, with one info line
        assert aside == [] and damaged.warnings() == [], damaged.log
        assert len([ln for ln in damaged.log if "another version of sloppy" in ln]) == 1
    else:
        assert len(aside) == 1
        assert len(damaged.warnings()) == 1, damaged.log  # one line, not one per read
    # Rebuilt: a readable profile with this run in it.
    assert len(ProfileStore(path).runs(key=run_key())) == 1


def test_a_planner_crash_costs_the_plan_not_the_warmup(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sloppy.app.controller import AppController
    from sloppy.warm import planner

    def boom(*_a: object) -> list[str]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(planner, "plan", boom)
    with caplog.at_level(logging.WARNING):
        c = AppController(warm_modules=["json", "csv"])
        try:
            assert c.wait_for_warmup(10)
            assert c.warmup_status()["completed"] == ["json", "csv"]
        finally:
            c.shutdown()
    assert [r.getMessage() for r in caplog.records if "plan" in r.getMessage()]


def test_the_controller_records_every_field_of_a_run_record() -> None:
    from sloppy.app.controller import AppController

    c = AppController(warm_modules=["json"])
    try:
        assert c.wait_for_warmup(10)
        record = c.profile_record()
    finally:
        c.shutdown()
    assert set(record) == RunRecord.__required_keys__ | RunRecord.__optional_keys__
    assert set(record["key"]) == set(RunKey.__required_keys__)
    assert record["key"] == run_key() and "json" in record["warm"]


def test_set_aside_copies_in_the_cache_folder_are_pruned_on_the_lane(
    tmp_path: Path, sloppy_home: Path
) -> None:
    """Copies that piled up (an older version set the profile aside at each schema change)
    are pruned to the newest few at the next start, with one line per file."""
    import os
    import time

    from sloppy.store import aside

    mods = engine_run.write_modules(tmp_path / "engine-mods")
    folder = sloppy_home / "cache"
    folder.mkdir(parents=True)
    now_ms = int(time.time() * 1000)
    for name in (import_profile.FILENAME, "warm_cache.bin"):
        for i in range(12):
            (folder / f"{name}.bad-{now_ms - i * 60_000}").write_text("old copy")
    ancient = folder / f"{import_profile.FILENAME}.bad-{now_ms - 40 * 86_400_000}"
    ancient.write_text("set aside 40 days ago")
    (folder / "warm_cache.bin.bad-0").mkdir()  # a folder once found at the name: left alone
    start = engine_run.start(mods)
    assert start.out["warm"]
    for name in (import_profile.FILENAME, "warm_cache.bin"):
        left = [p for _at, p in aside.copies(folder / name) if not p.is_dir()]
        assert len(left) == aside.KEEP, name
        assert {int(p.name.rsplit("-", 1)[1]) for p in left} == {
            now_ms - i * 60_000 for i in range(aside.KEEP)
        }
        lines = [ln for ln in start.log if "set-aside cop" in ln and f"/{name} " in ln]
        assert len(lines) == 1 and "LOG INFO" in lines[0], start.log
    assert not ancient.exists() and (folder / "warm_cache.bin.bad-0").is_dir()
    assert os.listdir(folder)  # the rest of the folder is untouched
