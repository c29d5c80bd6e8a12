"""``sloppy bench compare BASE HEAD``: interleaved runs, adaptive count, confirmed verdicts.

Order of work: resolve both sides; one unmeasured priming run each (fresh home, bytecode
written); cachegrind of the import path on each side; then batch 1, pairs of runs in a
random order per pair, until every gated timed metric is clear (a regression shown, or one
of ``min_effect`` ruled out) or the batch's share of the time budget is spent. A timed
"slower" needs batch 2, run the same way, to confirm it. A gated timed metric that neither
shows a slowdown nor rules one out is "inconclusive" (exit 3): never a silent pass.

``--upgrade``: both sides share one home and strictly alternate, so every measured run is the
first launch after the other version ran (its warm cache rebuilt): the ``upgrade_*`` metrics.
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
from sloppy_build.progress import Printer


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
    #: measured only with ``--upgrade`` (True), only without it (False), or both (None)
    upgrade: bool | None = None
    #: the run value it reads (default: its own name)
    source: str = ""

    @property
    def key(self) -> str:
        return self.source or self.name


#: Every metric, once: what it is, whether it can fail the comparison, and how.
METRICS: tuple[Metric, ...] = (
    Metric("first_frame_s", "s", False, True, ("gui",), doc="spawn to first frame", upgrade=False),
    Metric("warm_done_s", "s", False, True, doc="spawn to warmup done", upgrade=False),
    Metric(
        "upgrade_first_frame_s",
        "s",
        False,
        True,
        ("gui",),
        doc="first frame of the first launch after the other version ran",
        upgrade=True,
        source="first_frame_s",
    ),
    Metric(
        "upgrade_warm_done_s",
        "s",
        False,
        True,
        doc="warm done of that launch (its warm cache rebuilt)",
        upgrade=True,
        source="warm_done_s",
    ),
    Metric("frame_p99_ms", "ms", False, False, ("gui",), doc="p99 frame time while warming"),
    Metric("input_latency_p99_ms", "ms", False, False, ("gui",), doc="mouse move to its frame"),
    Metric("input_latency_max_ms", "ms", False, False, ("gui",), doc="the slowest of them"),
    Metric("peak_rss_mib", "MiB", False, False, doc="peak resident memory (rusage)"),
    Metric("cpu_s", "s", False, False, doc="child's user + system CPU time"),
    Metric("first_frame_modules", "", True, True, ("gui",), 0.0, "modules before frame 1"),
    Metric("first_frame_code_kib", "KiB", True, True, ("gui",), 0.01, "their code size on disk"),
    Metric("first_frame_instructions", "M", True, True, ("gui",), 0.01, "cachegrind: import path"),
    Metric("startup_modules", "", True, True, ("headless",), 0.0, "modules the main thread loads"),
    Metric("startup_code_kib", "KiB", True, True, ("headless",), 0.01, "their code size on disk"),
    Metric("startup_instructions", "M", True, True, ("headless",), 0.01, "cachegrind: import path"),
)
#: sloppy's own modules: judged by code bytes and instructions, not by their number (a file
#: split that costs nothing must not fail); any other new module on the path fails.
OWN_PREFIXES = ("sloppy", "sloppy_launcher", "launcher")
EXIT_REGRESSION = 1
EXIT_INCONCLUSIVE = 3
MIN_PAIRS = 6
MAX_PAIRS = 20
#: Batch 1 may spend this share of the budget; confirmation gets the rest.
BATCH1_SHARE = 0.6


@dataclass
class Options:
    mode: str = "gui"
    cold: bool = False
    runs: int | None = None  # fixed pairs per batch; None: adaptive
    max_pairs: int = (
        MAX_PAIRS  # adaptive: the most pairs a batch takes (the budget may stop it sooner)
    )
    min_effect: float = 0.03
    budget_s: float = 270.0
    seed: int = 0
    cachegrind: bool = True
    accept: tuple[str, ...] = ()
    upgrade: bool = False
    log: Callable[[str], None] = field(default_factory=lambda: stderr_log(Printer()))
    #: pairs done / budget left: redrawn on a terminal, a plain line in CI
    status: Callable[[str], None] = field(default_factory=lambda: stderr_status(Printer()))


def stderr_log(printer: Printer) -> Callable[[str], None]:
    t0 = time.monotonic()

    def log(msg: str) -> None:
        printer.line(f"[{time.monotonic() - t0:6.1f} s] {msg}")

    return log


def stderr_status(printer: Printer) -> Callable[[str], None]:
    return lambda msg: printer.line(msg, transient=True)


def metrics_for(mode: str, upgrade: bool = False) -> list[Metric]:
    return [m for m in METRICS if mode in m.modes and m.upgrade in (None, upgrade)]


def is_own(module: str) -> bool:
    return module.split(".", 1)[0] in OWN_PREFIXES


class Comparison:
    def __init__(self, base: str, head: str, opts: Options, work: Path) -> None:
        self.opts = opts
        self.rng = random.Random(opts.seed)
        repo = repository(Path.cwd()) or repository(Path(__file__).resolve().parent)
        self.targets = {"base": resolve(base, work, repo), "head": resolve(head, work, repo)}
        shared = work / "shared-home" if opts.upgrade else None
        self.sides = {k: Side(k, t, work, opts.mode, shared) for k, t in self.targets.items()}
        self.timed = [m for m in metrics_for(opts.mode, opts.upgrade) if not m.exact]
        self.gated_timed = [m.name for m in self.timed if m.gated and m.name not in opts.accept]
        self.batches: list[dict[str, list[Run]]] = []
        self.instr: dict[str, float | None] = {}
        self.env: dict[str, str] = {}
        self.last = "head"  # --upgrade: the side that ran last in the shared home
        self.deadline_all = time.monotonic() + opts.budget_s
        self.confirming: dict[str, stats.Comparison] = {}
        frozen = {t.frozen for t in self.targets.values()}
        #: exact metrics compare like with like: two trees, or two bundles
        self.exact_comparable = len(frozen) == 1

    def run(self) -> dict[str, Any]:
        opts, t0 = self.opts, time.monotonic()
        self.deadline_all = t0 + opts.budget_s
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
                    if side.target.frozen:
                        continue  # a frozen interpreter cannot import the path alone
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
                self.confirming = {m: again[m] for m in suspects}
                confirmed = {m: stats.confirms(again[m], opts.min_effect) for m in suspects}
        result = self.result(confirmed)
        result["environment"]["load_average"] = [round(x, 2) for x in load_before + os.getloadavg()]
        return result

    def batch(self, deadline: float) -> dict[str, list[Run]]:
        opts = self.opts
        runs: dict[str, list[Run]] = {"base": [], "head": []}
        limit = opts.runs if opts.runs is not None else opts.max_pairs
        pair_s = 0.0
        for i in range(limit):
            started = time.monotonic()
            order = ["base", "head"]
            if opts.upgrade:
                # Strictly alternating: each run follows the other version in the shared home.
                order = order[::-1] if self.last == "base" else order
            else:
                self.rng.shuffle(order)
            for name in order:
                runs[name].append(self.sides[name].start(self.env, cold=opts.cold))
                self.last = name
            pair_s = max(pair_s, time.monotonic() - started)
            left = max(0.0, self.deadline_all - time.monotonic())
            opts.status(
                f"batch {len(self.batches) + 1}: pair {i + 1}/{limit} done, "
                f"{left:.0f} s of the {opts.budget_s:.0f} s budget left"
            )
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
            base = _values(runs["base"], m.key)
            head = _values(runs["head"], m.key)
            if base and head and min(base + head) > 0:
                out[m.name] = stats.compare(base, head, self.opts.min_effect)
        return out

    def result(self, confirmed: dict[str, bool]) -> dict[str, Any]:
        opts = self.opts
        runs = {k: [r for b in self.batches for r in b[k]] for k in ("base", "head")}
        final = self.timed_compare(runs)
        diff = self.path_diff(runs)
        metrics: dict[str, Any] = {}
        for m in metrics_for(opts.mode, opts.upgrade):
            gated = m.gated and m.name not in opts.accept
            entry: dict[str, Any] = {"exact": m.exact, "gated": gated, "unit": m.unit}
            if m.exact:
                if not self.exact_comparable:
                    continue  # a bundle's counts against a tree's say nothing
                if m.name.endswith("_instructions"):
                    samples = {k: [v] if (v := self.instr.get(k)) is not None else [] for k in runs}
                else:
                    samples = {k: _values(runs[k], m.name) for k in runs}
                if not samples["base"] or not samples["head"]:
                    continue
                base_v = statistics.median(samples["base"])
                head_v = statistics.median(samples["head"])
                change = head_v / base_v - 1 if base_v else 0.0
                verdict = stats.exact_verdict(base_v, head_v, m.tolerance)
                if m.name.endswith("_modules"):
                    # Cost, not file count: only a new module from outside sloppy fails.
                    foreign = [a["module"] for a in diff["added"] if not a["own"]]
                    verdict = "slower" if foreign else ("same" if verdict == "slower" else verdict)
                    entry["new_foreign"] = foreign
                entry |= {
                    "base": base_v,
                    "head": head_v,
                    "change": change,
                    "ci95": [change, change],
                    "p": None,
                    "verdict": verdict,
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
                    if confirmed[m.name]:
                        verdict = "slower"
                    else:  # batch 2 did not uphold it: ruled out there, or still open
                        again = self.confirming[m.name]
                        ruled_out = again.hi < opts.min_effect
                        verdict = "same" if ruled_out else "inconclusive"
                elif gated and verdict == "slower":
                    verdict = "inconclusive"  # slower in the pooled runs only: never confirmed
                entry |= {
                    "base": c.base,
                    "head": c.head,
                    "change": c.change,
                    "ci95": [_finite(c.lo), _finite(c.hi)],
                    "p": c.p,
                    "verdict": verdict,
                    "samples": {k: _values(runs[k], m.key) for k in runs},
                    "spread": {k: _spread(_values(runs[k], m.key)) for k in runs},
                }
            if m.name in opts.accept:
                entry["accepted"] = True
            metrics[m.name] = entry
        failing = [n for n, e in metrics.items() if e["gated"] and e["verdict"] == "slower"]
        open_ = [n for n, e in metrics.items() if e["gated"] and e["verdict"] == "inconclusive"]
        code = EXIT_REGRESSION if failing else (EXIT_INCONCLUSIVE if open_ else 0)
        return {
            "schema": 1,
            "mode": opts.mode,
            "cold": opts.cold,
            "upgrade": opts.upgrade,
            "min_effect": opts.min_effect,
            "base": self.targets["base"].describe(),
            "head": self.targets["head"].describe(),
            "runs": {k: len(v) for k, v in runs.items()},
            "batches": len(self.batches),
            "metrics": metrics,
            "import_path": diff,
            "failing": failing,
            "inconclusive": open_,
            "exit_code": code,
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
        if not self.exact_comparable:
            env["exact"] = "no exact metrics: a bundle's module list is not comparable to a tree's"
        return env

    def path_diff(self, runs: dict[str, list[Run]]) -> dict[str, Any]:
        """Modules on HEAD's start-up path that BASE lacks (with the chain that brought each,
        and whether it is sloppy's own)."""
        if not runs["base"] or not runs["head"] or not self.exact_comparable:
            return {"added": [], "removed": []}
        base = set(runs["base"][0].path_modules)
        head_run = runs["head"][0]
        added = sorted(set(head_run.path_modules) - base)
        removed = sorted(base - set(head_run.path_modules))
        return {
            "added": [
                {"module": m, "chain": chain(m, head_run.importers), "own": is_own(m)}
                for m in added
            ],
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
