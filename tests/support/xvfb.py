"""A private Xvfb display for GUI tests, and xdotool to type into sloppy's window."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from sloppy_build.bench.xvfb import start_xvfb


class Display:
    def __init__(self, *xvfb_options: str) -> None:
        if shutil.which("Xvfb") is None:
            if os.environ.get("CI"):
                raise RuntimeError("Xvfb is missing: test.sh installs it (apt package xvfb)")
            pytest.skip("Xvfb not installed (./test.sh installs it)")
        self.proc, self.name = start_xvfb(extra=xvfb_options)

    def env(self) -> dict[str, str]:
        return {"DISPLAY": self.name}

    def xdotool(self, *args: str) -> str:
        out = subprocess.run(
            ["xdotool", *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
            env={**os.environ, "DISPLAY": self.name},
        )
        return out.stdout.strip()

    def chord(self, *keys: str, hold_s: float = 0.08) -> None:
        """Press ``keys`` together and hold them a moment, as a person does (one frame is
        too short for some key chords to register)."""
        self.xdotool("keydown", *keys)
        time.sleep(hold_s)
        self.xdotool("keyup", *reversed(keys))

    def window(self, title: str = "^sloppy($| )", timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = self.xdotool("search", "--name", title).split()
            except subprocess.CalledProcessError:
                found = []
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no window named {title}")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)
