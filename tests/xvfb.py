"""A private Xvfb display for GUI tests, and xdotool to type into sloppy's window."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest


class Display:
    def __init__(self) -> None:
        if shutil.which("Xvfb") is None:
            if os.environ.get("CI"):
                raise RuntimeError("Xvfb is missing: test.sh installs it (apt package xvfb)")
            pytest.skip("Xvfb not installed (./test.sh installs it)")
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not report a display number")
        self.name = f":{number}"

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

    def window(self, title: str = "^sloppy$", timeout: float = 30) -> str:
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
