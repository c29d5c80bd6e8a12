"""sloppy's version from its release tags (``vX.Y.Z``), with the standard library only.

Instead of a number edited by hand: the tag is the one source. On a tag the version is
``X.Y.Z``; N commits after it, ``X.Y.(Z+1).devN+g<commit>`` (PEP 440, setuptools-scm's
scheme); before the first tag ``0.1.0.devN+g<commit>``; uncommitted changes add ``.dirty``.
Without git metadata (an sdist, a tarball) the version comes from ``PKG-INFO``, else from the
file the build wrote (``sloppy/_version.py``). Read by hatchling (the wheel's metadata), by
``sloppy build`` (archive name, manifest, SBOM) and by ``sloppy --version`` in a checkout;
never on the path to the first frame.
"""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

CHECKOUT = Path(__file__).resolve().parents[2]
#: The version before the first release tag exists.
FIRST = (0, 1, 0)
_TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-(\d+)-g[0-9a-f]+$")


class VersionInfo(NamedTuple):
    version: str
    commit: str  # full hash, "" when unknown
    commit_epoch: int | None  # the commit's time (the default SOURCE_DATE_EPOCH)


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def from_git(root: Path = CHECKOUT, rev: str = "HEAD") -> VersionInfo | None:
    """The version of ``rev`` in the git checkout at ``root``; None without git metadata."""
    if not (root / ".git").exists():
        return None
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if not commit:
        return None
    epoch_text = _git(root, "log", "-1", "--format=%ct", commit)
    epoch = int(epoch_text) if epoch_text and epoch_text.isdigit() else None
    described = _git(root, "describe", "--tags", "--long", "--match", "v[0-9]*", commit)
    dirty = ""
    if rev == "HEAD":  # only HEAD has a work tree whose changes count
        status = _git(root, "status", "--porcelain", "--untracked-files=no")
        dirty = ".dirty" if status else ""
    match = _TAG.match(described or "")
    if match is None:
        count = _git(root, "rev-list", "--count", commit) or "0"
        major, minor, patch = FIRST
        version = f"{major}.{minor}.{patch}.dev{count}+g{commit[:12]}{dirty}"
        return VersionInfo(version, commit, epoch)
    major, minor, patch, distance = (int(match.group(i)) for i in range(1, 5))
    if distance == 0 and not dirty:
        return VersionInfo(f"{major}.{minor}.{patch}", commit, epoch)
    local = f"+g{commit[:12]}{dirty}"
    if distance == 0:
        return VersionInfo(f"{major}.{minor}.{patch}{local}", commit, epoch)
    return VersionInfo(f"{major}.{minor}.{patch + 1}.dev{distance}{local}", commit, epoch)


def from_pkg_info(root: Path = CHECKOUT) -> str | None:
    """``Version:`` of an sdist's ``PKG-INFO``."""
    try:
        text = (root / "PKG-INFO").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^Version:\s*(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None


def current(root: Path = CHECKOUT) -> VersionInfo:
    """git, else PKG-INFO, else the version file a build wrote, else ``0+unknown``."""
    found = from_git(root)
    if found is not None:
        return found
    version = from_pkg_info(root)
    if version is None:
        try:  # written by the last build; absent in a bare tree
            version = str(importlib.import_module("sloppy._version").__version__)
        except ImportError:
            version = "0+unknown"
    commit = re.search(r"\+g([0-9a-f]+)", version or "")
    return VersionInfo(str(version), commit.group(1) if commit else "", None)


def version() -> str:
    """The version string (hatchling's ``code`` version source calls this)."""
    return current().version
