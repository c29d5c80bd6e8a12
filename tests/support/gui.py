"""Driving the real window: wait for a state, take screenshots a person can look at.

Screenshots go to ``ARTIFACTS`` (``artifacts/`` in the checkout); a blank one fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.support import ARTIFACTS
from tests.support.screenshot import Image, grab
from tests.support.xvfb import Display


def poll(fn: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 30) -> Any:
    """Call ``fn`` until ``ok(value)`` holds (every 0.1 s, up to ``timeout``); the value."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not ok(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = fn()
    assert ok(value), value
    return value


def shot(display: Display, name: str) -> Image:
    """A screenshot of ``display`` saved as ``artifacts/<name>``; fails if it looks blank."""
    ARTIFACTS.mkdir(exist_ok=True)
    img = grab(display.name, ARTIFACTS / name)
    assert img.distinct_colors() > 30, f"{name} looks blank"
    return img


def shot_until(display: Display, name: str, seen: Callable[[Image], bool]) -> Image:
    """A screenshot once ``seen`` holds: the hook API reports state at request time, and
    the frame that draws it may not have reached the screen yet."""
    return poll(lambda: shot(display, name), seen, timeout=15)
