"""Stress the warm engine: many fresh-process warmups with shuffled orders and random demands.

    python scripts/stress_warmup.py --runs 100 --jobs 2 --max-seconds 600

Each run starts a new interpreter, warms the whole warm list (hooks included) in a shuffled
order while three threads demand random modules through ``_require_warmed`` at random times,
then checks every module is complete (its public entry points exist).

Bounded twice: at most ``--runs`` runs, and none launched after ``--max-seconds`` (the runs in
flight finish, each within ``--run-timeout``), so the whole takes at most about
``--max-seconds`` + ``--run-timeout``. The last line says how many ran and why it stopped.
Exit 1 on any error, or when fewer than ``--min-runs`` finished.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

CHILD = r"""
import json, random, sys, threading, time
from sloppy.warm import import_recorder
rec = import_recorder.install()
from sloppy.app.controller import AppController
from sloppy.warm.engine import _require_warmed, WarmupError
seed, order = int(sys.argv[1]), json.loads(sys.argv[2])
rng = random.Random(seed)
c = AppController(
    warm_modules=order, enable_hooks=True, finders=import_recorder.Finders(rec)
)
errors = []
def demand():
    time.sleep(rng.random() * 1.5)
    name = rng.choice(order)
    try:
        _require_warmed(name, timeout=120)
    except WarmupError as exc:
        errors.append(f"demand {name}: {exc}")
threads = [threading.Thread(target=demand) for _ in range(3)]
for t in threads: t.start()
ok = c.wait_for_warmup(180)
for t in threads: t.join()
status = c.warmup_status()
checks = {
    "google.genai": "Client", "anthropic": "Anthropic", "openai": "OpenAI", "numpy": "ndarray",
    "fastapi": "FastAPI", "fastapi.security.api_key": "APIKeyHeader", "uvicorn": "Server",
    "sloppy.ui.palette": "Palette", "sloppy.ui.theme_nerv": "THEME",
    "sloppy.ui.theme_nerv_fx": "draw", "sloppy.ui.markdown_table": "parse",
}
for mod, attr in checks.items():
    if not hasattr(sys.modules.get(mod), attr):
        errors.append(f"{mod} incomplete: no {attr}")
errors += [f"{f['module']}: {f['error']}" for f in status["failed"]]
if not ok:
    errors.append("warmup did not finish")
c.shutdown()
print(json.dumps({"errors": errors, "completed": len(status["completed"])}))
"""


def run_one(seed: int, modules: list[str], timeout: float) -> tuple[int, list[str]]:
    """One warmup in a fresh process; its errors (a run over ``timeout`` is one)."""
    order = modules[:]
    random.Random(seed).shuffle(order)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(seed), json.dumps(order)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return seed, [f"no result within {timeout:.0f} s (killed)"]
    if proc.returncode != 0:
        return seed, [f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return seed, list(result["errors"])


def stress(
    modules: list[str], *, runs: int, jobs: int, seed: int, max_seconds: float, run_timeout: float
) -> tuple[list[tuple[int, list[str]]], bool]:
    """Up to ``runs`` warmups on ``jobs`` workers, none launched after ``max_seconds``.

    Returns each finished run's ``(seed, errors)`` and whether the time bound stopped launching.
    """
    deadline = time.monotonic() + max_seconds
    seeds = iter(range(seed, seed + runs))
    lock = threading.Lock()
    results: list[tuple[int, list[str]]] = []
    cut = False

    def worker() -> None:
        nonlocal cut
        while True:
            with lock:
                if time.monotonic() >= deadline:
                    cut = cut or next(seeds, None) is not None
                    return
                current = next(seeds, None)
            if current is None:
                return
            result = run_one(current, modules, run_timeout)
            with lock:
                results.append(result)

    workers = [threading.Thread(target=worker) for _ in range(jobs)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sorted(results), cut


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=100, help="at most this many runs")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument(
        "--max-seconds", type=float, default=900.0, help="launch no run after this many seconds"
    )
    ap.add_argument(
        "--run-timeout", type=float, default=300.0, help="a run longer than this is an error"
    )
    ap.add_argument("--min-runs", type=int, default=1, help="fewer finished runs fail")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from sloppy.warm.warmlist import warm_modules

    t0 = time.monotonic()
    results, cut = stress(
        warm_modules(hooks=True),
        runs=args.runs,
        jobs=args.jobs,
        seed=args.seed,
        max_seconds=args.max_seconds,
        run_timeout=args.run_timeout,
    )
    failures = [(seed, errors) for seed, errors in results if errors]
    for seed, errors in failures:
        print(f"seed {seed}: " + "; ".join(errors))
    why = f"stopped launching at the {args.max_seconds:.0f} s bound" if cut else "all launched"
    print(
        f"stress: {len(results)} of {args.runs} fresh-process warmups ({why}), shuffled orders, "
        f"{len(failures)} with errors, {time.monotonic() - t0:.0f} s"
    )
    if len(results) < args.min_runs:
        print(f"stress: fewer than the {args.min_runs} runs asked for")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
