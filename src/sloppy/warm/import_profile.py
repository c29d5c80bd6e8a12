"""The import profile: what previous runs loaded, how long it took, and when it was needed.

Instead of guessing a warm order, each run appends a record here (atomically) and the planner
reads the last ``KEEP_RUNS`` records that share this run's key (app, Python, frozen or not).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from sloppy import __version__
from sloppy.store import aside, files, paths

#: Bumped when recorded names stop matching the code (2: modules in sub-packages), so such
#: runs are replaced rather than planned from.
SCHEMA = 2
KEEP_RUNS = 8
#: Only the newest runs keep their full load list (thousands of rows); older ones keep summaries.
KEEP_LOADS = 2
FILENAME = "import_profile.json"

log = logging.getLogger(__name__)


class RunKey(TypedDict):
    """What makes two runs comparable: timings from another Python or build do not transfer."""

    app: str
    python: str
    frozen: bool


class RunRecord(TypedDict):
    """One run as saved (``runs`` returns what the file holds: checked for ``id`` only)."""

    id: str
    key: RunKey
    #: Seconds each warm module took, and from process start to its first demand.
    warm: dict[str, float]
    demands: dict[str, float]
    started_epoch: NotRequired[float]
    #: ``[name, thread, start_epoch, duration_s, source]`` per load; newest runs only.
    loads: NotRequired[list[list[Any]]]


def run_key() -> RunKey:
    """This run's key."""
    return RunKey(
        app=__version__,
        python="{}.{}.{}".format(*sys.version_info[:3]),
        frozen=bool(getattr(sys, "frozen", False)),
    )


def default_path() -> Path:
    return paths.cache_dir() / FILENAME


class ProfileStore:
    """Load and save the run records in one JSON file; never raises on a bad file or dir.

    The file is rebuilt by every run, so it is no user data: a damaged one is set aside (its
    older copies pruned), and one of another schema (another version of sloppy) is replaced
    at the next save, with one line, rather than set aside at each version change.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._said_foreign = False

    def runs(self, *, key: RunKey | None = None) -> list[dict[str, Any]]:
        """Recorded runs, oldest first; with ``key``, only those recorded under that key."""
        doc = files.read_json(self.path, prune_copies=True)
        found = doc.get("schema") if isinstance(doc, dict) else None
        if type(found) is int and found != SCHEMA:
            if not self._said_foreign:
                self._said_foreign = True
                log.info(
                    "%s was written by another version of sloppy (schema %d, this one has %d): "
                    "not planned from, replaced at the next save",
                    self.path,
                    found,
                    SCHEMA,
                )
            return []
        runs = doc.get("runs") if isinstance(doc, dict) and found == SCHEMA else None
        if not isinstance(runs, list):
            if doc is not None:
                why = "no list of runs" if found == SCHEMA else f"schema {found!r}, not a number"
                aside.set_aside(self.path, why, prune_copies=True)
            return []
        good = [r for r in runs if isinstance(r, dict) and isinstance(r.get("id"), str)]
        return [r for r in good if key is None or r.get("key") == key]

    def save_run(self, run: RunRecord) -> bool:
        """Add ``run`` (or replace the record with its ``id``), keep the newest ``KEEP_RUNS``."""
        runs = [r for r in self.runs() if r.get("id") != run["id"]]
        runs.append(dict(run))
        runs = runs[-KEEP_RUNS:]
        for old in runs[:-KEEP_LOADS]:
            old.pop("loads", None)
        doc = {"schema": SCHEMA, "runs": runs}
        if paths.ensure_dir(self.path.parent) is None:
            return False
        try:
            files.write_json_atomic(self.path, doc)
        except (OSError, ValueError, RecursionError) as exc:
            # Once per directory, shared with the warm cache: a full disk is said once.
            paths.warn_unwritable(self.path.parent, f"cannot save the import profile: {exc}")
            return False
        return True


#: The baked profile's file name (the build tooling joins it to the bundle's ``sloppy/``).
BAKED_FILENAME = Path(paths.BUNDLE.baked_profile).name


def baked_runs() -> list[dict[str, Any]]:
    """Runs baked into a frozen bundle by its training run: the plan for a first launch."""
    path = paths.BUNDLE.running(paths.BUNDLE.baked_profile)
    if path is None:
        return []
    doc = files.read_json(path, schema=SCHEMA)
    runs = doc.get("runs") if isinstance(doc, dict) else None
    return [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []
