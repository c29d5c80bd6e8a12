"""A sealed test session: its own HOME and SLOPPY_HOME, and proof that the real ones stayed put.

``seal()`` runs first thing in ``tests/conftest.py``, before anything imports sloppy: it
points ``HOME``, the XDG base directories and ``SLOPPY_HOME`` into a fresh temporary folder
for the whole session (subprocesses inherit it), and notes the state of the real sloppy
folders. ``Seal.changes()`` at the end lists what changed there; the session fails on any.

The caches of the tools the tests run are linked to the real ones, because rebuilding them
each session costs minutes: uv's packages, PyInstaller's and ``sloppy build``'s locked build
environment (``sloppy-build``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "sloppy"
#: The base directories platformdirs reads on Linux, and where they go in the sealed home.
XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
}
#: Caches of the tools the tests run, shared with the real home (see the module docstring).
SHARED_CACHES = ("uv", "pyinstaller", "sloppy-build")

Entry = tuple[str, int, int]  # kind, size, mtime_ns


def real_dirs() -> list[Path]:
    """sloppy's folders in the real home: config, cache, data, state (logs)."""
    return [
        platformdirs.user_config_path(APP, appauthor=False),
        platformdirs.user_cache_path(APP, appauthor=False),
        platformdirs.user_data_path(APP, appauthor=False),
        platformdirs.user_state_path(APP, appauthor=False),
    ]


def snapshot(directory: Path) -> dict[str, Entry] | None:
    """Every path under ``directory`` with its kind, size and mtime; None if it is missing."""
    if not directory.exists():
        return None
    found: dict[str, Entry] = {}
    for path in [directory, *directory.rglob("*")]:
        st = path.lstat()
        kind = "dir" if path.is_dir() and not path.is_symlink() else "file"
        found[str(path.relative_to(directory))] = (kind, st.st_size, st.st_mtime_ns)
    return found


def describe(
    directory: Path, before: dict[str, Entry] | None, after: dict[str, Entry] | None
) -> str:
    """One line saying how ``directory`` changed between two snapshots."""
    if before is None:
        return f"{directory} was created ({len(after or {})} entries)"
    if after is None:
        return f"{directory} was removed"
    added = sorted(set(after) - set(before))
    gone = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    parts = [
        f"{label}: {names[:5]}"
        for label, names in (("added", added), ("removed", gone), ("changed", changed))
        if names
    ]
    return f"{directory}: " + "; ".join(parts)


@dataclass
class Seal:
    """The session's temporary home and the real folders it must leave untouched."""

    root: Path
    watched: dict[Path, dict[str, Entry] | None]

    def changes(self) -> list[str]:
        """How each watched real folder changed since ``seal()``; empty when none did."""
        return [
            describe(directory, before, after)
            for directory, before in self.watched.items()
            if (after := snapshot(directory)) != before
        ]

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def seal() -> Seal:
    """Move this process (and its children) into a fresh home; note the real folders."""
    watched = {directory: snapshot(directory) for directory in real_dirs()}
    real_cache = platformdirs.user_cache_path(appauthor=False)
    root = Path(tempfile.mkdtemp(prefix="sloppy-tests-"))
    home = root / "home"
    os.environ["HOME"] = str(home)
    for var, relative in XDG.items():
        (home / relative).mkdir(parents=True)
        os.environ[var] = str(home / relative)
    os.environ["SLOPPY_HOME"] = str(root / "sloppy-home")
    for name in SHARED_CACHES:
        (real_cache / name).mkdir(parents=True, exist_ok=True)
        (home / XDG["XDG_CACHE_HOME"] / name).symlink_to(real_cache / name)
    return Seal(root, watched)
