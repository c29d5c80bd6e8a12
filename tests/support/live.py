"""Helpers for tests that run sloppy as a real process."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sloppy_testkit.hook_client import LISTENING, url_from_line

SLOPPY = str(Path(sys.executable).with_name("sloppy"))


class Proc:
    """A sloppy subprocess whose stdout lines are collected by a reader thread."""

    def __init__(self, args: list[str], env: dict[str, str], *, cmd: list[str] | None = None):
        self.popen = subprocess.Popen(
            (cmd or [SLOPPY]) + args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        threading.Thread(
            target=self._pump, args=(self.popen.stdout, self.stdout, True), daemon=True
        ).start()
        threading.Thread(
            target=self._pump, args=(self.popen.stderr, self.stderr, False), daemon=True
        ).start()

    def _pump(self, stream, sink: list[str], to_queue: bool) -> None:
        for line in stream:
            sink.append(line)
            if to_queue:
                self.lines.put(line)

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.popen.poll() is not None:
                    break
                continue
            if line.startswith(prefix):
                return line.strip()
        raise AssertionError(
            f"no line {prefix!r} within {timeout} s; stderr:\n{''.join(self.stderr)[-3000:]}"
        )

    def wait_for_hook_url(self, timeout: float) -> str:
        """The hook API's URL, from the line sloppy prints once it listens on loopback."""
        url = url_from_line(self.wait_for_line(LISTENING + "http://127.0.0.1:", timeout))
        assert url is not None
        return url

    def stop(self, *, within: float) -> None:
        """SIGTERM, then assert a clean exit (code 0) within ``within`` seconds."""
        t0 = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        assert self.popen.wait(within + 5) == 0, "".join(self.stderr)[-2000:]
        assert time.monotonic() - t0 < within

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5)
