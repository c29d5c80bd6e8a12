"""Stage 1: freeze with sloppy.spec; PyInstaller's work files stay out of the source tree."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sloppy.store.paths import BUNDLE

HERE = Path(__file__).resolve().parent
#: Without git metadata and without SOURCE_DATE_EPOCH: a fixed time, so builds still agree.
DEFAULT_SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01


def source_date_epoch() -> int:
    """``SOURCE_DATE_EPOCH``, else the commit's time, else the default: one value for the
    bundle, the archive and the SBOM."""
    from sloppy import vcs_version

    given = os.environ.get("SOURCE_DATE_EPOCH")
    if given:
        return int(given)
    found = vcs_version.from_git(HERE.parents[1])
    if found is not None and found.commit_epoch is not None:
        return found.commit_epoch
    return int(DEFAULT_SOURCE_DATE_EPOCH)


def origins(work: Path) -> dict[str, str]:
    """Where PyInstaller copied each binary from (the spec records it in its work folder)."""
    import json

    path = work / BUNDLE.dir_name / "binary_origins.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def work_dir(work: Path | None) -> Path:
    return (work or Path(tempfile.gettempdir()) / "sloppy-pyi-work").resolve()


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


#: PyInstaller's INFO lines that mark its phases, in order: the progress bar's steps.
MILESTONES = (
    "Module search paths",
    "Analyzing ",
    "Looking for ctypes DLLs",
    "Analyzing run-time hooks",
    "Looking for dynamic libraries",
    "Building PYZ",
    "Building PKG",
    "Building EXE",
    "Building COLLECT",
    "Build complete",
)


def run(
    dist: Path,
    *,
    work: Path | None = None,
    optimize: int = 0,
    python: Path | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Run PyInstaller with ``python`` (default: this one); returns ``dist/sloppy``.

    ``on_step(step, total, milestone)`` as PyInstaller reaches each of ``MILESTONES``.
    """
    dist = dist.resolve()
    work = work_dir(work)
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
        "INFO",
    ]
    tail: collections.deque[str] = collections.deque(maxlen=60)
    reached = 0
    with subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:  # read to the end: a full pipe would block PyInstaller
            if "INFO:" not in line:
                tail.append(line)
            for i in range(reached, len(MILESTONES)):
                if MILESTONES[i] in line:
                    reached = i + 1
                    if on_step is not None:
                        on_step(reached, len(MILESTONES), MILESTONES[i].strip())
                    break
    if proc.returncode != 0:
        raise RuntimeError(f"PyInstaller failed ({proc.returncode}):\n{''.join(tail)[-3000:]}")
    bundle = BUNDLE.root(dist)
    if not BUNDLE.exe(bundle).is_file():
        raise RuntimeError(f"PyInstaller finished but {BUNDLE.exe(bundle)} is missing")
    return bundle
