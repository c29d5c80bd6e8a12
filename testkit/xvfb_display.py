"""Start a private Xvfb display: the one the release tooling's benchmark uses, shared here."""

from __future__ import annotations

from sloppy_build.bench.xvfb import start_xvfb

__all__ = ["start_xvfb"]
