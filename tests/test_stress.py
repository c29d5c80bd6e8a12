"""The stress script in CI: 100 fresh-process warmups, shuffled orders, zero errors, bounded."""

from __future__ import annotations

import pytest

from tests.support.interpreter import run_script

pytestmark = pytest.mark.slow


def test_hundred_shuffled_warmups_without_errors() -> None:
    out = run_script(
        "scripts/stress_warmup.py",
        "--runs",
        "100",
        "--jobs",
        "2",
        "--max-seconds",
        "600",
        timeout=700,
    )
    assert "100 fresh-process warmups" in out and " 0 with errors" in out
