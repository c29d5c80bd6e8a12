"""Processes started together on one home: each runs a script that prints "ready", waits for
a go file, does its work and prints its result (two instances racing on the same files)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support import ROOT


def run_together(script: str, argvs: Sequence[Sequence[str]], go: Path) -> list[str]:
    """Start ``script`` once per argv (the go file is its first argument), release them at once
    when all are ready, and return what each printed after "ready"; each must exit 0."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(go), *argv],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            text=True,
        )
        for argv in argvs
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outs = [proc.communicate(timeout=60)[0].strip() for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * len(procs)
    return outs
