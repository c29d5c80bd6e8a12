"""``sloppy bench compare BASE HEAD``: interleaved runs, adaptive count, confirmed verdicts.

Order of work: resolve both sides; one unmeasured priming run each (fresh home, bytecode
written); cachegrind of the import path on each side; then batch 1, pairs of runs in a
random order per pair, until every gated timed metric is clear (a regression shown, or one
of ``min_effect`` ruled out) or the batch's share of the time budget is spent. A timed
"slower" needs batch 2, run the same way, to confirm it.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sloppy_build.bench import stats
from sloppy_build.bench.runner import Run, Side, chain, cold_files, display, instructions
from sloppy_build.bench.targets import repository, resolve


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    exact: bool
    gated: bool
    modes: tuple[str, ...] = ("gui", "headless")
    #: exact metrics: relative growth allowed before "slower" (0: any growth)
    tolerance: float = 0.0
    doc: str = ""


#: Every metric, once: what it is, whether it can fail the comparison, and how.
METRICS: tuple[Metric, ...] = (
    Metric("first_frame_s", "s", False, True, ("gui",), doc="spawn to first presented frame"),
    Metric("warm_done_s", "s", False, True, doc="spawn to warmup done"),
    Metric("frame_p99_ms", "ms", False, False, ("gui",), doc="p99 frame time while warming"),
    Metric("input_latency_p99_ms", "ms", False, False, ("gui",), doc="mouse move to its frame"),
    Metric("input_latency_max_ms", "ms", False, False, ("gui",), doc="the slowest of them"),
    Metric("peak_rss_mib", "MiB", False, False, doc="peak resident memory (rusage)"),
    Metric("cpu_s", "s", False, False, doc="child's user + system CPU time"),
    Metric("first_frame_modules", "", True, True, ("gui",), 0.0, "modules loaded before frame 1"),
    Metric("first_frame_code_kib", "KiB", True, True, ("gui",), 0.01, "their code size on disk"),
    Metric("first_frame_instructions", "M", True, True, ("gui",), 0.01, "cachegrind: import path"),
    Metric("startup_modules", "", True, True, ("headless",), 0.0, "modules the main thread loads"),
    Metric("startup_code_kib", "KiB", True, True, ("headless",), 0.01, "their code size on disk"),
    Metric("startup_instructions", "M", True, True, ("headless",), 0.01, "cachegrind: import path"),
)
MIN_PAIRS = 6
MAX_PAIRS = 20
#: Batch 1 may spend this share of the budget; confirmation gets the rest.
BATCH1_SHARE = 0.6


@dataclass
class Options:
    mode: str = "gui"
    cold: bool = False
    runs: int | None = None  # fixed pairs per batch; None: adaptive
    min_effect: float = 0.03
    budget_s: float = 270.0
    seed: int = 0
    cachegrind: bool = True
    accept: tuple[str, ...] = ()
    log: Callable[[str], None] = field(default_factory=lambda: _stderr_log(time.monotonic()))


def _stderr_log(t0: float) -> Callable[[str], None]:
    def log(msg: str) -> None:
        print(f"[{time.monotonic() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)

    return log


def metrics_for(mode: str) -> list[Metric]:
    return [m for m in METRICS if mode in m.modes]


class Comparison:
    def __init__(self, base: str, head: str, opts: Options, work: Path) -> None:
        self.opts = opts
        self.rng = random.Random(opts.seed)
        repo = repository(Path.cwd()) or repository(Path(__file__).resolve().parent)
        self.targets = {"base": resolve(base, work, repo), "head": resolve(head, work, repo)}
        self.sides = {k: Side(k, t, work, opts.mode) for k, t in self.targets.items()}
        self.timed = [m for m in metrics_for(opts.mode) if not m.exact]
        self.gated_timed = [m.name for m in self.timed if m.gated and m.name not in opts.accept]
        self.batches: list[dict[str, list[Run]]] = []
        self.instr: dict[str, float | None] = {}
        self.env: dict[str, str] = {}

    def run(self) -> dict[str, Any]:
        opts, t0 = self.opts, time.monotonic()
        load_before = os.getloadavg()
        with display(opts.mode) as disp:
            self.env = dict(os.environ) | ({"DISPLAY": disp} if disp else {})
            for side in self.sides.values():
                opts.log(f"priming {side.name}: {side.target.label}")
                side.start(self.env, cold=False)
            if opts.cold:
                for side in self.sides.values():
                    side.cold_files = cold_files(side)
            if opts.cachegrind:
                for name, side in self.sides.items():
                    opts.log(f"cachegrind {name}")
                    self.instr[name] = instructions(side.target, side, self.env, opts.mode)
            opts.log("batch 1")
            first = self.batch(deadline=t0 + opts.budget_s * BATCH1_SHARE)
            self.batches.append(first)
            suspects = [
                name
                for name, c in self.timed_compare(first).items()
                if c.verdict == "slower" and name in self.gated_timed
            ]
            confirmed: dict[str, bool] = {}
            if suspects:
                opts.log(f"confirming {', '.join(suspects)} with a second batch")
                second = self.batch(deadline=t0 + opts.budget_s)
                self.batches.append(second)
                again = self.timed_compare(second)
                confirmed = {m: stats.confirms(again[m], opts.min_effect) for m in suspects}
        result = self.result(confirmed)
        result["environment"]["load_average"] = [round(x, 2) for x in load_before + os.getloadavg()]
        return result

    def batch(self, deadline: float) -> dict[str, list[Run]]:
        opts = self.opts
        runs: dict[str, list[Run]] = {"base": [], "head": []}
        limit = opts.runs if opts.runs is not None else MAX_PAIRS
        pair_s = 0.0
        for i in range(limit):
            started = time.monotonic()
            order = ["base", "head"]
            self.rng.shuffle(order)
            for name in order:
                runs[name].append(self.sides[name].start(self.env, cold=opts.cold))
            pair_s = max(pair_s, time.monotonic() - started)
            if opts.runs is not None or i + 1 < MIN_PAIRS:
                continue
            now = self.timed_compare(runs)
            opts.log(
                f"pair {i + 1}: "
                + ", ".join(
                    f"{m} {now[m].change:+.1%} [{now[m].lo:+.1%}, {now[m].hi:+.1%}]"
                    for m in self.gated_timed
                    if m in now
                )
            )
            if all(stats.clear(now[m], opts.min_effect) for m in self.gated_timed if m in now):
                break
            if time.monotonic() + pair_s > deadline:
                opts.log(f"time budget reached after {i + 1} pairs")
                break
        return runs

    def timed_compare(self, runs: dict[str, list[Run]]) -> dict[str, stats.Comparison]:
        out = {}
        for m in self.timed:
            base = _values(runs["base"], m.name)
            head = _values(runs["head"], m.name)
            if base and head and min(base + head) > 0:
                out[m.name] = stats.compare(base, head, self.opts.min_effect)
        return out

    def result(self, confirmed: dict[str, bool]) -> dict[str, Any]:
        opts = self.opts
        runs = {k: [r for b in self.batches for r in b[k]] for k in ("base", "head")}
        final = self.timed_compare(runs)
        metrics: dict[str, Any] = {}
        for m in metrics_for(opts.mode):
            gated = m.gated and m.name not in opts.accept
            entry: dict[str, Any] = {"exact": m.exact, "gated": gated, "unit": m.unit}
            if m.exact:
                if m.name.endswith("_instructions"):
                    samples = {k: [v] if (v := self.instr.get(k)) is not None else [] for k in runs}
                else:
                    samples = {k: _values(runs[k], m.name) for k in runs}
                if not samples["base"] or not samples["head"]:
                    continue
                base_v = statistics.median(samples["base"])
                head_v = statistics.median(samples["head"])
                change = head_v / base_v - 1 if base_v else 0.0
                entry |= {
                    "base": base_v,
                    "head": head_v,
                    "change": change,
                    "ci95": [change, change],
                    "p": None,
                    "verdict": stats.exact_verdict(base_v, head_v, m.tolerance),
                    "tolerance": m.tolerance,
                    "spread": {k: _spread(v) for k, v in samples.items()},
                }
            else:
                c = final.get(m.name)
                if c is None:
                    continue
                verdict = c.verdict
                if m.name in confirmed:
                    entry["confirmed"] = confirmed[m.name]
                    verdict = "slower" if confirmed[m.name] else "same"
                elif gated and verdict == "slower":
                    verdict = "same"  # slower in the pooled runs only: never confirmed
                entry |= {
                    "base": c.base,
                    "head": c.head,
                    "change": c.change,
                    "ci95": [_finite(c.lo), _finite(c.hi)],
                    "p": c.p,
                    "verdict": verdict,
                    "samples": {k: _values(runs[k], m.name) for k in runs},
                    "spread": {k: _spread(_values(runs[k], m.name)) for k in runs},
                }
            if m.name in opts.accept:
                entry["accepted"] = True
            metrics[m.name] = entry
        failing = [n for n, e in metrics.items() if e["gated"] and e["verdict"] == "slower"]
        return {
            "schema": 1,
            "mode": opts.mode,
            "cold": opts.cold,
            "min_effect": opts.min_effect,
            "base": self.targets["base"].describe(),
            "head": self.targets["head"].describe(),
            "runs": {k: len(v) for k, v in runs.items()},
            "batches": len(self.batches),
            "metrics": metrics,
            "import_path": self.path_diff(runs),
            "failing": failing,
            "exit_code": 1 if failing else 0,
            "environment": self.environment(),
        }

    def environment(self) -> dict[str, Any]:
        frozen = [t.frozen for t in self.targets.values()]
        env: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
        if not all(frozen):
            env["bytecode"] = (
                ".pyc present (site-packages from pip; each tree's from its priming run)"
            )
            env["dependencies"] = "source trees and revisions share this environment's packages"
        if any(frozen):
            env["bundles"] = "bundles run their own frozen Python and packages"
        return env

    def path_diff(self, runs: dict[str, list[Run]]) -> dict[str, Any]:
        """Modules on HEAD's start-up path that BASE lacks (with the chain that brought each)."""
        if not runs["base"] or not runs["head"] or self.targets["head"].frozen:
            return {"added": [], "removed": []}
        base = set(runs["base"][0].path_modules)
        head_run = runs["head"][0]
        added = sorted(set(head_run.path_modules) - base)
        removed = sorted(base - set(head_run.path_modules))
        return {
            "added": [{"module": m, "chain": chain(m, head_run.importers)} for m in added],
            "removed": removed,
            "base_modules": sorted(base),
            "head_modules": sorted(head_run.path_modules),
        }


def _values(runs: list[Run], name: str) -> list[float]:
    return [v for r in runs if (v := r.values.get(name)) is not None]


def _finite(value: float) -> float | None:
    """JSON has no infinity: an interval too wide to bound (too few runs) is null."""
    return value if math.isfinite(value) else None


def _spread(values: Sequence[float | None]) -> float | None:
    """(max - min) / median: the A/A noise figure."""
    vals = [v for v in values if v is not None]
    if not vals or not statistics.median(vals):
        return None
    return (max(vals) - min(vals)) / statistics.median(vals)


def compare(base: str, head: str, opts: Options) -> dict[str, Any]:
    """Compare two builds; the JSON result (``exit_code`` 0 or 1). Raises ``BenchError``."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sloppy-compare-") as tmp:
        result = Comparison(base, head, opts, Path(tmp)).run()
    result["seconds"] = round(time.monotonic() - t0, 1)  # extraction and clean-up included
    return result
