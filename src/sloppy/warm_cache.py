"""Placeholder replaced by the warm cache (issue 6)."""

from __future__ import annotations

import os


def enabled() -> bool:
    """False when ``SLOPPY_WARM_CACHE=off``."""
    return os.environ.get("SLOPPY_WARM_CACHE", "on").lower() not in ("off", "0", "no", "false")


def install() -> None:
    """Install the warm-cache finder when a valid cache exists."""
