"""Stage 1: freeze with sloppy.spec; PyInstaller's work files stay out of the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sloppy.store.paths import BUNDLE

HERE = Path(__file__).resolve().parent
#: A fixed timestamp when the caller sets none: builds of one tree are then identical.
DEFAULT_SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH`` (unset or empty: the default): one value for bundle and archive."""
    return int(os.environ.get("SOURCE_DATE_EPOCH") or DEFAULT_SOURCE_DATE_EPOCH)


def spec_path() -> Path:
    """sloppy.spec from the source checkout, or the copy shipped inside the wheel."""
    for candidate in (HERE.parents[1] / "sloppy.spec", HERE / "sloppy.spec"):
        if candidate.is_file():
            return candidate
    raise RuntimeError("sloppy.spec not found (neither in the checkout nor in sloppy_build)")


def reproducible_env() -> dict[str, str]:
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = str(source_date_epoch())
    env["PYTHONHASHSEED"] = "0"
    return env


def run(
    dist: Path, *, work: Path | None = None, optimize: int = 0, python: Path | None = None
) -> Path:
    """Run PyInstaller with ``python`` (default: this one); returns ``dist/sloppy``."""
    dist = dist.resolve()
    work = (work or Path(tempfile.gettempdir()) / "sloppy-pyi-work").resolve()
    env = reproducible_env() | {"SLOPPY_PYI_OPTIMIZE": str(optimize)}
    cmd = [
        str(python or sys.executable),
        "-m",
        "PyInstaller",
        str(spec_path()),
        "--noconfirm",
        "--clean",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--log-level",
        "WARN",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"PyInstaller failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    bundle = BUNDLE.root(dist)
    if not BUNDLE.exe(bundle).is_file():
        raise RuntimeError(f"PyInstaller finished but {BUNDLE.exe(bundle)} is missing")
    return bundle
