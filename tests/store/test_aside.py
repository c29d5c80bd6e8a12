"""Set-aside copies of rebuildable files are pruned by count and age, with a line, never silently;
copies of other files are never pruned unless asked."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from sloppy.store import aside


def _bad(path: Path, age_s: float) -> Path:
    copy = path.with_name(f"{path.name}.bad-{int((time.time() - age_s) * 1000)}")
    copy.write_text(f"{age_s}")
    return copy


def test_prune_keeps_the_newest_and_none_too_old(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "warm_cache.bin"
    fresh = [_bad(path, age) for age in (10, 20, 30, 40, 50)]
    old = _bad(path, 40 * 86400)
    other = _bad(tmp_path / "default.json", 50 * 86400)  # another file's copy: not touched
    with caplog.at_level(logging.INFO, logger="sloppy"):
        removed = aside.prune(path, keep=3)
    assert sorted(removed) == sorted([*fresh[3:], old])
    assert all(p.exists() for p in fresh[:3]) and other.exists()
    [line] = [r.getMessage() for r in caplog.records]
    assert "removed 3 set-aside copies of" in line and str(path) in line
    caplog.clear()
    assert aside.prune(path, keep=3) == []
    assert caplog.records == []  # nothing removed, nothing said


def test_the_age_limit_applies_within_the_newest_too(tmp_path: Path) -> None:
    path = tmp_path / "import_profile.json"
    copies = [_bad(path, age) for age in (31 * 86400, 32 * 86400)]
    assert sorted(aside.prune(path)) == sorted(copies)


def test_set_aside_of_a_rebuildable_file_never_piles_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hook_key"
    for i in range(aside.KEEP + 4):
        path.write_text(f"damaged {i}")
        assert aside.set_aside(path, "damaged", prune_copies=True) is not None
        time.sleep(0.002)  # one set-aside per millisecond: the names order them
    left = aside.copies(path)
    assert len(left) == aside.KEEP
    assert sorted(p.read_text() for _at, p in left) == [
        f"damaged {i}" for i in range(4, aside.KEEP + 4)
    ]


def test_set_aside_without_pruning_keeps_every_copy(tmp_path: Path) -> None:
    path = tmp_path / "default.json"  # the user's data: only the user removes copies
    for i in range(aside.KEEP + 2):
        path.write_text(f"damaged {i}")
        aside.set_aside(path, "damaged")
    assert len(aside.copies(path)) == aside.KEEP + 2


def test_prune_folder_prunes_each_file_and_leaves_folders(tmp_path: Path) -> None:
    for name in ("a.json", "b.bin"):
        for age in range(6):
            _bad(tmp_path / name, age * 60)
    stray = tmp_path / "c.json.bad-1000"
    stray.mkdir()
    removed = aside.prune_folder(tmp_path, keep=2)
    assert len(removed) == 8
    assert len(aside.copies(tmp_path / "a.json")) == len(aside.copies(tmp_path / "b.bin")) == 2
    assert stray.is_dir()
