"""The bundle's layout: spelled once in ``paths.BUNDLE``, read there by the app and the tests."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from sloppy import desktop
from sloppy.store import paths
from sloppy.store.paths import BUNDLE
from sloppy.warm import cache_format, import_profile
from tests.support import ROOT

#: PyInstaller's onedir layout (``contents_directory`` left at its default) and the files the
#: build puts there, spelled out here rather than read from ``BUNDLE``, the table under test.
CONTENTS = "_internal"
BUILD_ID = f"{CONTENTS}/sloppy/build_id.txt"
BAKED_PROFILE = f"{CONTENTS}/sloppy/baked_profile.json"
DESKTOP_TEMPLATE = f"{CONTENTS}/share/sloppy.desktop.in"


@pytest.fixture
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake running bundle ``dist/sloppy``: ``sys.frozen``, and ``sys._MEIPASS`` at its
    contents directory, as PyInstaller's bootloader sets them."""
    bundle = tmp_path / "dist" / "sloppy"
    (bundle / CONTENTS).mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle / CONTENTS), raising=False)
    return bundle


def test_not_frozen_has_no_bundle_paths() -> None:
    assert BUNDLE.running(BUNDLE.build_id) is None
    assert import_profile.baked_runs() == []


def test_built_and_running_paths_agree(frozen: Path) -> None:
    assert BUNDLE.root(frozen.parent) == frozen
    assert BUNDLE.exe(frozen) == frozen / ("sloppy.exe" if sys.platform == "win32" else "sloppy")
    for relative in (BUNDLE.build_id, BUNDLE.baked_profile, BUNDLE.share):
        assert BUNDLE.running(relative) == BUNDLE.inside(frozen, relative)


def test_the_app_reads_what_the_build_writes_where_the_table_says(frozen: Path) -> None:
    assert BUNDLE.inside(frozen, BUNDLE.build_id) == frozen / BUILD_ID  # what the build writes
    build_id = frozen / BUILD_ID
    build_id.parent.mkdir(parents=True, exist_ok=True)
    build_id.write_text("abc123\n")
    assert cache_format.cache_key()["build"] == "abc123"

    run = {"key": {}, "warm": {"numpy": 0.1}}
    assert BUNDLE.inside(frozen, BUNDLE.baked_profile) == frozen / BAKED_PROFILE
    (frozen / BAKED_PROFILE).write_text(
        json.dumps({"schema": import_profile.SCHEMA, "runs": [run]})
    )
    assert import_profile.baked_runs() == [run]

    template = frozen / DESKTOP_TEMPLATE
    assert BUNDLE.inside(frozen, f"{BUNDLE.share}/{desktop.TEMPLATE}") == template
    template.parent.mkdir(parents=True)
    template.write_text("[Desktop Entry]\n")
    assert desktop.template() == template


def test_without_a_build_id_the_key_falls_back_to_the_executable(frozen: Path) -> None:
    assert cache_format.cache_key()["build"].startswith("exe:")


def _spelled(path: Path, names: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Prose (docstrings) may name the paths; code must take them from the table.
    prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in prose
        and any(name in node.value for name in names)
    ]


def test_the_internal_paths_are_spelled_only_in_the_table() -> None:
    names = {BUNDLE.contents, Path(BUNDLE.build_id).name, Path(BUNDLE.baked_profile).name}
    table = Path(paths.__file__).resolve()
    # The code folders, and the frozen tests; other tests' fixtures draw fake bundles on purpose.
    files = [ROOT / "sloppy.spec", ROOT / "tests" / "tooling" / "test_frozen.py"] + [
        path
        for folder in ("src", "testkit", "launcher", "build", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    found = [
        hit
        for path in files
        if path.resolve() != table and path.name != "test_paths.py"
        for hit in _spelled(path, names)
    ]
    assert found == []
