"""The stress script in CI: 100 fresh-process warmups, shuffled orders, zero errors, bounded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_hundred_shuffled_warmups_without_errors() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "scripts/stress_warmup.py",
            "--runs",
            "100",
            "--jobs",
            "2",
            "--max-seconds",
            "600",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=700,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "100 fresh-process warmups" in proc.stdout and " 0 with errors" in proc.stdout
