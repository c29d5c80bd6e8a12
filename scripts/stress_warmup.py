"""Stress the warm engine: many fresh-process warmups with shuffled orders and random demands.

    python scripts/stress_warmup.py --runs 100 --jobs 2 --max-seconds 600

Each run starts a new interpreter, warms the whole warm list (hooks included) in a shuffled
order while three threads demand random modules through ``_require_warmed`` at random times,
then checks every module is complete (its public entry points exist). Exit 1 on any error.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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
    "sloppy.ui.theme_nerv_fx": "draw", "sloppy.ui.markdown_table": "clip_cells",
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


def run_one(seed: int, modules: list[str]) -> tuple[int, list[str], float]:
    order = modules[:]
    random.Random(seed).shuffle(order)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(seed), json.dumps(order)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        return seed, [f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"], elapsed
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return seed, list(result["errors"]), elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--max-seconds", type=float, default=900.0)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from sloppy.warm.warmlist import warm_modules

    modules = warm_modules(hooks=True)
    t0 = time.monotonic()
    failures: list[tuple[int, list[str]]] = []
    done = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_one, args.seed + i, modules) for i in range(args.runs)]
        for fut in futures:
            seed, errors, _elapsed = fut.result()
            done += 1
            if errors:
                failures.append((seed, errors))
            if time.monotonic() - t0 > args.max_seconds:
                print(f"stress: over the {args.max_seconds:.0f} s bound after {done} runs")
                for f in futures:
                    f.cancel()
                return 1
    wall = time.monotonic() - t0
    for seed, errors in failures:
        print(f"seed {seed}: " + "; ".join(errors))
    print(
        f"stress: {done} fresh-process warmups, shuffled orders, {len(failures)} with errors, "
        f"{wall:.0f} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
