"""Versions of sloppy and what it runs on, read from package metadata (nothing is imported)."""

from __future__ import annotations

import platform
import sys

from sloppy import __version__
from sloppy.warm.warmlist import SDKS

DISTRIBUTIONS = (
    "imgui-bundle",
    *(e.dist for e in SDKS),
    "fastapi",
    "uvicorn",
    "numpy",
)


def versions() -> dict[str, str]:
    """``{"sloppy": ..., "python": ..., <distribution>: version or "missing"}``."""
    # Imported when asked: importlib.metadata costs 9 ms, and the first frame never asks.
    from importlib import metadata

    out = {
        "sloppy": __version__,
        "python": platform.python_version(),
        "frozen": str(bool(getattr(sys, "frozen", False))).lower(),
    }
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def versions_text() -> str:
    """One line per component, for ``sloppy --version``."""
    v = versions()
    lines = [f"sloppy {v.pop('sloppy')}"]
    lines += [f"  {name}: {version}" for name, version in v.items()]
    return "\n".join(lines)
