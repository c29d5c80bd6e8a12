"""Driving the real window: wait for a state, take screenshots a person can look at.

Screenshots go to ``ARTIFACTS`` (``artifacts/`` in the checkout); a blank one fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sloppy_testkit.hook_client import ApiHookClient

from tests.support import ARTIFACTS
from tests.support.live import Proc
from tests.support.screenshot import Image, grab
from tests.support.xvfb import Display

#: The hook key the GUI tests start sloppy with.
KEY = "gui-test-key-abcdef123456"


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


def start_gui(
    display: Display, env: dict[str, str], *, failures: int = 0
) -> tuple[Proc, ApiHookClient]:
    """sloppy's window with the hook API on ``display``, warm (with ``failures`` failed)."""
    proc = Proc(["--enable-test-hooks", "--hook-port", "0"], {**env, **display.env()})
    api = ApiHookClient(proc.wait_for_hook_url(90), KEY, timeout=150)
    assert api.wait_for_server(10)
    status = api.get("/api/warmup_wait?timeout=120")
    assert status["done"] and not status["timed_out"] and len(status["failed"]) == failures
    return proc, api
