"""The warm cache: built by one process, served to the next, with module semantics intact."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_python

PKG = {
    "wcpkg/__init__.py": "from . import leaf\nVALUE = 'pkg'\n",
    "wcpkg/leaf.py": "def boom():\n    raise ValueError('from leaf')\n",
    "wcpkg/data.txt": "resource text\n",
}

CHILD = textwrap.dedent("""
    import importlib, importlib.machinery, importlib.resources, json, sys, threading, traceback
    sys.path.insert(0, {mods!r})
    from sloppy import import_recorder, warm_cache
    cache = warm_cache.install()
    rec = import_recorder.install(execute=cache.execute if cache else None)
    out = {{}}
    if {validate!r} and cache is not None:
        out["stale"] = cache.validate()
    def work():
        pkg = importlib.import_module("wcpkg")
        out["file"] = pkg.__file__
        out["path"] = list(pkg.__path__)
        out["origin"] = pkg.__spec__.origin
        out["file_loader"] = isinstance(pkg.__loader__, importlib.machinery.SourceFileLoader)
        out["resource"] = importlib.resources.files("wcpkg").joinpath("data.txt").read_text()
        try:
            pkg.leaf.boom()
        except ValueError:
            tb = traceback.extract_tb(sys.exc_info()[2])
            out["tb"] = [tb[-1].filename, tb[-1].line]
        out["sources"] = {{n: rec.source_of(n) for n in ("wcpkg", "wcpkg.leaf")}}
    t = threading.Thread(target=work); t.start(); t.join()
    out["saved"] = cache.save() if cache else None
    out["status"] = cache.status if cache else None
    print(json.dumps(out))
""")


@pytest.fixture
def pkg_dir(tmp_path: Path) -> Path:
    root = tmp_path / "mods"
    for rel, text in PKG.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def child(pkg_dir: Path, *, validate: bool = False, **env: str) -> dict:
    out = run_python(CHILD.format(mods=str(pkg_dir), validate=validate), env=env)
    return json.loads(out.strip().splitlines()[-1])


def test_built_then_served_with_module_semantics(pkg_dir: Path, sloppy_home: Path) -> None:
    first = child(pkg_dir)
    assert first["sources"] == {"wcpkg": "filesystem", "wcpkg.leaf": "filesystem"}
    assert first["saved"] is True and first["status"] == "absent"
    second = child(pkg_dir)
    assert second["sources"] == {"wcpkg": "warm-cache", "wcpkg.leaf": "warm-cache"}
    assert second["file_loader"] is True  # a SourceFileLoader as far as anyone can tell
    for key in ("file", "path", "origin", "resource", "tb"):
        assert second[key] == first[key], key
    assert second["file"] == str(pkg_dir / "wcpkg" / "__init__.py")
    assert second["tb"] == [str(pkg_dir / "wcpkg" / "leaf.py"), "raise ValueError('from leaf')"]
    assert second["saved"] is False  # nothing new to write


@pytest.mark.parametrize("validate", [False, True], ids=["per-import", "batch"])
def test_changed_source_is_not_served_and_gets_rebuilt(
    pkg_dir: Path, sloppy_home: Path, validate: bool
) -> None:
    assert child(pkg_dir, validate=validate).get("stale", 0) == 0
    leaf = pkg_dir / "wcpkg" / "leaf.py"
    leaf.write_text("def boom():\n    raise ValueError('changed!')\n")
    os.utime(leaf, ns=(1, 1))
    second = child(pkg_dir, validate=validate)
    if validate:
        assert second["stale"] == 1
    assert second["sources"] == {"wcpkg": "warm-cache", "wcpkg.leaf": "filesystem"}
    assert second["tb"][1] == "raise ValueError('changed!')"
    assert second["saved"] is True
    third = child(pkg_dir)
    assert third["sources"]["wcpkg.leaf"] == "warm-cache"
    assert third["tb"][1] == "raise ValueError('changed!')"


@pytest.mark.parametrize(
    "damage",
    [b"", b"SLOPPYWC", b"garbage" * 100, "truncate"],
)
def test_corrupt_cache_is_set_aside_and_rebuilt(pkg_dir: Path, sloppy_home: Path, damage) -> None:
    child(pkg_dir)
    path = sloppy_home / "cache" / "warm_cache.bin"
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_bytes(damage)
    second = child(pkg_dir)
    assert second["sources"]["wcpkg"] == "filesystem"
    assert second["status"] in ("corrupt", "absent")
    assert second["saved"] is True
    assert child(pkg_dir)["sources"]["wcpkg"] == "warm-cache"
    if damage not in (b"",):
        assert list(path.parent.glob("warm_cache.bin.bad-*"))


def test_stale_key_is_ignored(pkg_dir: Path, sloppy_home: Path) -> None:
    child(pkg_dir)
    # Another app version: a different key, so nothing may be served from the old file.
    stale = run_python(
        "import sloppy; sloppy.__version__ = '99.0'\n"
        + CHILD.format(mods=str(pkg_dir), validate=False)
    )
    result = json.loads(stale.strip().splitlines()[-1])
    assert result["status"] == "stale"
    assert result["sources"]["wcpkg"] == "filesystem"


def test_off_switch(pkg_dir: Path, sloppy_home: Path) -> None:
    off = child(pkg_dir, SLOPPY_WARM_CACHE="off")
    assert off["saved"] is None
    assert not (sloppy_home / "cache" / "warm_cache.bin").exists()


def test_main_thread_is_served_too(pkg_dir: Path, sloppy_home: Path) -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(pkg_dir)!r})\n"
        "from sloppy import import_recorder, warm_cache\n"
        "cache = warm_cache.install(); rec = import_recorder.install(execute=cache.execute)\n"
        "import wcpkg\n"
        "print(rec.source_of('wcpkg'), cache.save())\n"
    )
    assert run_python(code).split() == ["filesystem", "True"]
    assert run_python(code).split() == ["warm-cache", "False"]
