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


def release() -> dict[str, str]:
    """``{"version", "commit", "build"}``: the bundle's release file, or a checkout's git."""
    import json

    from sloppy.store.paths import BUNDLE

    path = BUNDLE.running(BUNDLE.release)
    if path is not None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return {k: str(doc.get(k) or "") for k in ("version", "commit", "build")}
        except (OSError, ValueError):
            pass  # a bundle frozen without `sloppy build` (pyinstaller sloppy.spec)
        return {"version": __version__, "commit": "", "build": ""}
    from sloppy import vcs_version

    found = vcs_version.current()
    version = found.version if found.version != "0+unknown" else __version__
    return {"version": version, "commit": found.commit, "build": ""}


def versions() -> dict[str, str]:
    """``{"sloppy": ..., "commit", "build", "python": ..., <distribution>: version}``."""
    # Imported when asked: importlib.metadata costs 9 ms, and the first frame never asks.
    from importlib import metadata

    ident = release()
    out = {
        "sloppy": ident["version"],
        "commit": ident["commit"] or "unknown",
        "build": ident["build"] or "none (not a release build)",
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
