"""storage: bounded reads and JSON documents under every damage kind."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sloppy.store import files
from tests.support.damage import DAMAGE_KINDS, apply_damage


def test_read_bounded_reads_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert files.read_bounded(path, limit=3) == b"abc"
    assert files.read_bounded(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("directory", "not a regular file"),
        ("dev_zero", "not a regular file"),
        ("fifo", "not a regular file"),
        ("huge", "over the"),
    ],
)
def test_read_bounded_refuses_what_is_not_a_small_regular_file(
    tmp_path: Path, kind: str, reason: str
) -> None:
    path = tmp_path / "f"
    apply_damage(path, kind)
    with pytest.raises(files.Unreadable, match=reason):
        files.read_bounded(path, limit=1024)


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_read_json_sets_damage_aside_with_one_line(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{"schema": 1, "value": "kept"}')
    apply_damage(path, kind)
    with caplog.at_level(logging.WARNING, logger="sloppy.store.files"):
        assert files.read_json(path, schema=1, limit=1024 * 1024) is None
    assert not path.exists() and not path.is_symlink()
    assert len(list(tmp_path.glob("doc.json.bad-*"))) == 1
    assert len(caplog.records) == 1
