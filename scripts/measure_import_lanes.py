"""Warm the heavy set in fresh processes on one lane vs N parallel threads; print medians.

    python scripts/measure_import_lanes.py --runs 5

Runs alternate (serial, parallel, serial, ...) so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sloppy.warm.warmlist import warm_modules

CHILD = """
import importlib, json, sys, threading, time
mods, threads = json.loads(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
errors = []
def load(names):
    for n in names:
        try:
            importlib.import_module(n)
        except Exception as exc:
            errors.append(f"{n}: {exc!r}")
if threads == 1:
    load(mods)
else:
    parts = [mods[i::threads] for i in range(threads)]
    ts = [threading.Thread(target=load, args=(p,)) for p in parts]
    for t in ts: t.start()
    for t in ts: t.join()
print(json.dumps({"s": time.perf_counter() - t0, "errors": errors}))
"""


def one(mods: list[str], threads: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(mods), str(threads)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    mods = [m for m in warm_modules(hooks=True) if not m.startswith("sloppy.")]
    times: dict[int, list[float]] = {1: [], args.threads: []}
    errors = 0
    for _ in range(args.runs):
        for threads in (1, args.threads):
            r = one(mods, threads)
            times[threads].append(float(r["s"]))  # type: ignore[arg-type]
            errors += len(r["errors"])  # type: ignore[arg-type]
    pyc = any(Path(sys.modules["json"].__file__ or "").parent.glob("__pycache__/*.pyc"))
    s, p = statistics.median(times[1]), statistics.median(times[args.threads])
    print(f"heavy set ({len(mods)} modules), {args.runs} alternating runs, stdlib .pyc: {pyc}")
    print(f"  one lane        median {s:.2f} s  (min {min(times[1]):.2f}, max {max(times[1]):.2f})")
    print(
        f"  {args.threads} threads       median {p:.2f} s  "
        f"(min {min(times[args.threads]):.2f}, max {max(times[args.threads]):.2f})"
    )
    print(f"  parallel/serial {p / s:.2f}x; import errors in parallel runs: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
