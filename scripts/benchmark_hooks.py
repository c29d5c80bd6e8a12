"""Headless hook-server timings: spawn -> hooks ready, spawn -> warm, /api/send latency.

    python scripts/benchmark_hooks.py --runs 5

Runs ``sloppy --headless --enable-test-hooks --hook-port 0`` against the loopback provider
stub (testkit/sloppy_testkit/provider_stub.py); prints medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sloppy_testkit.hook_client import ApiHookClient, url_from_line
from sloppy_testkit.provider_stub import PROVIDERS, env_for, start_stub

KEY = "bench-hook-key-0123456789"


def one(stub_env: dict[str, str], home: str) -> dict[str, float]:
    exe = Path(sys.executable).with_name("sloppy")
    env = {**os.environ, **stub_env, "SLOPPY_HOOK_KEY": KEY, "SLOPPY_HOME": home}
    spawned = time.monotonic()
    proc = subprocess.Popen(
        [str(exe), "--headless", "--enable-test-hooks", "--hook-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        ready = time.monotonic() - spawned
        url = url_from_line(line)
        if url is None:
            raise RuntimeError(f"sloppy printed {line!r}, not the hook URL")
        api = ApiHookClient(url, KEY, timeout=120)
        api.get("/api/warmup_wait?timeout=120")
        warm = time.monotonic() - spawned
        out = {"hooks_ready_s": ready, "warm_done_s": warm}
        for provider in PROVIDERS:
            t0 = time.monotonic()
            code, _ = api.send(provider, "m", "ping")
            assert code == 200
            out[f"send_{provider}_first_ms"] = (time.monotonic() - t0) * 1000
            t0 = time.monotonic()
            api.send(provider, "m", "ping again")
            out[f"send_{provider}_next_ms"] = (time.monotonic() - t0) * 1000
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    stub = start_stub()
    rows = []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(args.runs + 1):  # the first run primes the profile and warm cache
            rows.append(one(env_for(stub), home))
    stub.close()
    rows = rows[1:]
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(
            f"{key:28s} median {statistics.median(values):8.3f}  "
            f"(min {min(values):.3f}, max {max(values):.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
