"""The warm list's environment: set before the lane runs, a user's own value kept."""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap
from pathlib import Path

import pytest

from sloppy.warm import warmlist
from tests.support.interpreter import run_python

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import json, os, threading
    {setup}
    from sloppy.app.controller import AppController
    c = AppController(warm_modules=["numpy"])
    assert c.wait_for_warmup(120)
    native = len(os.listdir("/proc/self/task")) - threading.active_count()
    print(json.dumps({{"env": os.environ.get("OPENBLAS_NUM_THREADS"), "native": native}}))
    c.shutdown()
""")


def test_defaults_fill_only_what_is_unset() -> None:
    environ = {"OPENBLAS_NUM_THREADS": "4", "OTHER": "x"}
    warmlist.set_environment(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "4", "OTHER": "x"}
    empty: dict[str, str] = {}
    warmlist.set_environment(empty)
    assert empty == dict(warmlist.WARM_ENVIRONMENT)


def test_the_eager_reference_runs_with_the_same_environment() -> None:
    spec = importlib.util.spec_from_file_location(
        "floor_app", ROOT / "scripts" / "bench_apps" / "floor_app.py"
    )
    assert spec is not None and spec.loader is not None
    floor_app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor_app)
    assert dict(warmlist.WARM_ENVIRONMENT) == floor_app.HEAVY_ENVIRONMENT


@pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or len(os.sched_getaffinity(0)) < 2,
    reason="counts threads in /proc; OpenBLAS starts extra ones only with 2+ CPUs",
)
@pytest.mark.parametrize(("setup", "env", "native"), [("", "1", 0), ("2", "2", 1)])
def test_numpy_warmed_by_the_lane_starts_no_blas_threads(setup: str, env: str, native: int) -> None:
    """With the default, numpy's OpenBLAS adds no native thread; a user's "2" is kept (and
    gives OpenBLAS its second thread, which shows this test counts them)."""
    line = (
        f"os.environ['OPENBLAS_NUM_THREADS'] = {setup!r}"
        if setup
        else "os.environ.pop('OPENBLAS_NUM_THREADS', None)"
    )
    out = run_python(CHILD.format(setup=line), timeout=180)
    assert json.loads(out.strip().splitlines()[-1]) == {"env": env, "native": native}
