"""The stress script in CI: up to 100 fresh-process warmups, shuffled orders, zero errors.

Bounded to fit pytest's timeout (``pyproject.toml``: 300 s) on a loaded machine: the script
launches no run after ``--max-seconds`` and kills a run over ``--run-timeout``, so it ends
within about their sum, below pytest's; how many runs that allowed is in its report.
"""

from __future__ import annotations

import re

import pytest

from tests.support.interpreter import run_script

pytestmark = pytest.mark.slow

MAX_SECONDS, RUN_TIMEOUT, MIN_RUNS = 130, 120, 4


def test_hundred_shuffled_warmups_without_errors() -> None:
    out = run_script(
        "scripts/stress_warmup.py",
        "--runs",
        "100",
        "--jobs",
        "2",
        "--max-seconds",
        str(MAX_SECONDS),
        "--run-timeout",
        str(RUN_TIMEOUT),
        "--min-runs",
        str(MIN_RUNS),
        timeout=MAX_SECONDS + RUN_TIMEOUT + 30,
    )
    found = re.search(
        r"stress: (\d+) of 100 fresh-process warmups \((.*?)\), .* 0 with errors", out
    )
    assert found is not None, out
    runs, why = int(found[1]), found[2]
    assert runs >= MIN_RUNS and (runs == 100) == (why == "all launched"), out
