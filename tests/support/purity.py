"""The main-thread purity check, shared by the source-tree and the frozen-bundle tests.

Rows are ``(thread, module)`` loads: from the import log of the benchmark's shim (a
``sitecustomize`` in ``sloppy_build/bench/shim``, honoured through ``PYTHONPATH``; it stays
first on ``sys.meta_path``, so it also sees the loads sloppy's own finders serve) or, in a
frozen bundle that ignores ``PYTHONPATH``, from the import profile sloppy's own recorder saved.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sloppy_build.bench.targets import SHIM_DIR

from sloppy.warm.warmlist import MAIN_THREAD_DENYLIST

#: The hook key of the purity runs.
KEY = "purity-key-0123456789abc"
#: The shim logs only when this names its log file.
LOG_ENV = "SLOPPY_BENCH_IMPORT_LOG"


def shim_env(log: Path) -> dict[str, str]:
    """The shim on the path, logging to ``log``: one line per module load."""
    path = os.pathsep.join(p for p in (str(SHIM_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, LOG_ENV: str(log)}


def run_env(log: Path) -> dict[str, str]:
    """A purity run: the shim, the hook key, and keyring's full backend discovery."""
    return {**shim_env(log), "SLOPPY_HOOK_KEY": KEY, **keyring_discovery_env(log.parent)}


def keyring_discovery_env(scratch: Path) -> dict[str, str]:
    """keyring's full backend discovery (SecretStorage, jeepney, cryptography) against a
    session bus that is not there: the real import work, never a real keychain. The caller
    also unsets ``PYTHON_KEYRING_BACKEND`` (the tests' default picks the fail backend)."""
    return {
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/sloppy-test-bus",
        "XDG_CONFIG_HOME": str(scratch / "xdg-config"),  # no keyringrc.cfg choosing one
    }


def shim_loads(log: Path) -> list[tuple[str, str]]:
    """``(thread, module)`` of each line ``epoch, thread, module, importer, code bytes``."""
    rows = [line.split("\t") for line in log.read_text().splitlines()]
    return [(row[1], row[2]) for row in rows if len(row) == 5]


def profile_loads(run: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows from one import-profile run record (``loads``: name, thread, start, s, source)."""
    return [(load[1], load[0]) for load in run["loads"]]


def denied(modules: Iterable[str]) -> list[str]:
    """Those of ``modules`` that ``MAIN_THREAD_DENYLIST`` names, or that are inside one."""
    deny = MAIN_THREAD_DENYLIST
    return sorted({m for m in modules if any(m == d or m.startswith(d + ".") for d in deny)})


def check(rows: list[tuple[str, str]], expected: list[str]) -> None:
    on_main = denied(m for t, m in rows if t == "MainThread")
    assert on_main == [], f"heavy modules loaded on MainThread: {on_main[:20]}"
    loaded = {m for _, m in rows}
    # keyring's backends (SecretStorage and jeepney on Linux) load on the lane too.
    extra = [
        "pydantic",
        "keyring",
        *(["secretstorage", "jeepney"] if sys.platform == "linux" else []),
    ]
    missing = [m for m in [*expected, *extra] if m not in loaded]
    assert missing == [], f"warmup never loaded {missing}: the check would pass vacuously"
    assert len(rows) > 500
