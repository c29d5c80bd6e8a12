"""uv.lock: consistent with pyproject.toml, every file hashed, the build set inside the dev set.

When a dependency is added to pyproject.toml, the first test fails until ``.venv/bin/uv lock``
is run and uv.lock committed; scripts/setup_env.sh still installs from a fresh resolution so
everything else keeps working meanwhile.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support import ROOT, module_from_file

UV = Path(sys.executable).with_name("uv")


def lock() -> dict:
    return tomllib.loads((ROOT / "uv.lock").read_text())


def test_lock_matches_pyproject() -> None:
    proc = subprocess.run(
        [str(UV), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, (
        "uv.lock is out of date with pyproject.toml: run `.venv/bin/uv lock` and commit "
        f"uv.lock\n{proc.stderr[-2000:]}"
    )


def test_every_locked_file_has_a_hash() -> None:
    unhashed = []
    for package in lock()["package"]:
        if package["source"].get("editable") or package["source"].get("virtual"):
            continue
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        if not files or any(not f.get("hash", "").startswith("sha256:") for f in files):
            unhashed.append(package["name"])
    assert unhashed == []


def test_lock_covers_three_platforms_and_the_dev_set_holds_the_build_set() -> None:
    doc = lock()
    wheels = [w["url"] for p in doc["package"] for w in p.get("wheels", [])]
    numpy = [u for u in wheels if "/numpy-" in u]
    for tag in ("manylinux", "win_amd64", "macosx"):
        assert any(tag in u for u in numpy), f"no numpy wheel for {tag} in uv.lock"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "sloppy[build]" in project["optional-dependencies"]["dev"]
    names = {p["name"] for p in doc["package"]}
    assert {"pyinstaller", "uv", "imgui-bundle", "numpy"} <= names


def test_no_locked_dependency_needs_what_the_bundle_excludes() -> None:
    """Tripwire: SecretStorage (keyring's Linux backend) imports cryptography when loaded."""
    module = module_from_file("packaging/bundle_excludes.py")
    names = {p["name"] for p in lock()["package"]}
    needs = {"secretstorage": "cryptography"}
    wrong = {dep: mod for dep, mod in needs.items() if dep in names and mod in module.EXCLUDES}
    assert wrong == {}, (
        f"{wrong}: remove these from packaging/bundle_excludes.py (and re-check the size budget)"
    )
