"""imgui's layout ini is checked before hello_imgui reads it (fast: no window)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sloppy.ui import layout_ini
from tests.support.damage import DAMAGE_KINDS, LAYOUT_INI, apply_damage

#: Damage imgui reads harmlessly: an empty file, or the first half of a real one.
HARMLESS = {"empty", "truncated"}


def test_a_real_hello_imgui_layout_is_kept(tmp_path: Path) -> None:
    path = tmp_path / layout_ini.LAYOUT_FILE
    path.write_text(LAYOUT_INI)
    layout_ini.check_layout(path)
    assert path.read_text() == LAYOUT_INI


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_damaged_layout_is_set_aside_before_imgui_reads_it(tmp_path: Path, kind: str) -> None:
    path = tmp_path / layout_ini.LAYOUT_FILE
    path.write_text(LAYOUT_INI)
    apply_damage(path, kind)
    inode = path.lstat().st_ino
    layout_ini.check_layout(path)
    asides = list(tmp_path.glob(f"{layout_ini.LAYOUT_FILE}.bad-*"))
    if kind in HARMLESS:
        assert asides == [] and path.lstat().st_ino == inode
    else:
        assert not path.exists() and not path.is_symlink()
        assert len(asides) == 1 and asides[0].lstat().st_ino == inode
