"""``sloppy bench bisect GOOD BAD``: the commit that made start-up worse, and what it added.

Like ``git bisect`` over the first-parent history between two revisions, with the decision
made by measurement:

- **Exact metrics first** (the path's module list, code bytes, cachegrind instructions): they
  do not vary between runs, so one run per probed commit decides it, and the answer names the
  modules the culprit added with their import chains.
- **Timed metrics** (first frame, warm done): each probe is a ``compare`` of GOOD against the
  probed commit with the minimum effect set halfway between GOOD and BAD, so "slower" means
  "like BAD" and "same" means "like GOOD". An inconclusive probe gets a second, larger budget;
  still inconclusive, the bisection stops and says so (it never guesses).
- Binary search assumes one step. After it converges, a few commits spread over the range are
  checked: one that disagrees with the answer means the regression came and went, reported
  as a non-monotonic history instead of a culprit.

Exit codes, as ``compare``: 0 GOOD and BAD do not differ on the metric; 1 a culprit was
found; 2 usage or run error; 3 GOOD against BAD is inconclusive; 4 could not isolate
(non-monotonic, an inconclusive probe, or untestable commits at the boundary).
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sloppy_build.bench import stats
from sloppy_build.bench.compare import (
    MAX_PAIRS,
    METRICS,
    Metric,
    Options,
    compare,
    is_own,
    metrics_for,
)
from sloppy_build.bench.runner import Run, Side, chain, display, instructions
from sloppy_build.bench.targets import BenchError, repository, resolve

EXIT_NONE, EXIT_FOUND, EXIT_ERROR, EXIT_INCONCLUSIVE, EXIT_UNISOLATED = 0, 1, 2, 3, 4
#: Commits checked after convergence for a regression that came and went: (before the
#: culprit, after it). Exact probes are one run each, so they can afford more.
CHECKS = {"exact": (2, 4), "timed": (1, 2)}
#: A timed probe that stayed inconclusive is measured once more, adaptive up to this many
#: pairs a batch (compare's default stops at 20), still within its budget.
RETRY_PAIRS = 40


@dataclass
class Commit:
    sha: str
    subject: str
    index: int  # 0 = GOOD, last = BAD


@dataclass
class Probe:
    """What one probed commit measured and how it was classified."""

    commit: Commit
    value: float | None
    verdict: str  # "good", "bad", "inconclusive", "error"
    interval: tuple[float, float] | None = None  # timed: HEAD's value at the ends of its 95 % CI
    modules: dict[str, str] = field(default_factory=dict)  # exact: path module -> importer
    importers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    note: str = ""


class Prober(Protocol):
    """How a commit is measured (the real app, or synthetic values in tests)."""

    def exact(self, commit: Commit, metric: Metric) -> Probe: ...

    def timed(
        self,
        good: Commit,
        commit: Commit,
        metric: Metric,
        min_effect: float,
        budget_s: float,
        pairs: int | None = None,
    ) -> Probe: ...


def history(repo: Path, good: str, bad: str, *, first_parent: bool = True) -> list[Commit]:
    """GOOD, then every commit after it up to BAD (oldest first)."""

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise BenchError(f"git {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    shas = [git("rev-parse", "--verify", f"{r}^{{commit}}").strip() for r in (good, bad)]
    ancestor = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", shas[0], shas[1]], check=False
    )
    if ancestor.returncode != 0:
        raise BenchError(f"{good} is not an ancestor of {bad}")
    flags = ["--first-parent"] if first_parent else []
    lines = git("log", *flags, "--reverse", "--format=%H%x09%s", f"{shas[0]}..{shas[1]}")
    subject = git("log", "-1", "--format=%s", shas[0]).strip()
    out = [Commit(shas[0], subject, 0)]
    for line in lines.splitlines():
        sha, _, text = line.partition("\t")
        out.append(Commit(sha, text, len(out)))
    if len(out) < 2:
        raise BenchError(f"no commits between {good} and {bad}")
    return out


def pick_metric(name: str | None, mode: str) -> Metric:
    by_name = {m.name: m for m in metrics_for(mode)}
    if name is None:
        return by_name["first_frame_modules" if mode == "gui" else "startup_modules"]
    if name not in by_name:
        raise BenchError(f"--metric {name}: not a {mode} metric ({', '.join(by_name)})")
    return by_name[name]


def exact_bad(metric: Metric, good: Probe, probe: Probe) -> bool:
    """Is ``probe`` worse than GOOD on an exact metric (compare's gate)?"""
    if metric.name.endswith("_modules"):
        return any(not is_own(m) for m in set(probe.modules) - set(good.modules))
    if good.value is None or probe.value is None:
        return False
    return stats.exact_verdict(good.value, probe.value, metric.tolerance) == "slower"


@dataclass
class Bisection:
    commits: list[Commit]
    metric: Metric
    prober: Prober
    min_effect: float = 0.03
    budget_s: float = 1800.0
    log: Callable[[str], None] = lambda _m: None
    status: Callable[[str], None] = lambda _m: None
    probes: dict[int, Probe] = field(default_factory=dict)
    threshold: float | None = None  # timed: the effect that separates good from bad

    def __post_init__(self) -> None:
        self.t0 = time.monotonic()

    @property
    def left(self) -> float:
        return self.budget_s - (time.monotonic() - self.t0)

    def probe(self, i: int) -> Probe:
        """Measure commit ``i`` once and classify it (cached)."""
        if i in self.probes:
            return self.probes[i]
        commit = self.commits[i]
        self.status(
            f"probe {len(self.probes) + 1}: {commit.sha[:12]} ({i}/{len(self.commits) - 1}) "
            f"{commit.subject[:50]}; {max(0.0, self.left):.0f} s of the budget left"
        )
        started = time.monotonic()
        try:
            probe = self._measure(i)
        except BenchError as exc:
            probe = Probe(commit, None, "error", note=str(exc)[:300])
        probe.seconds = time.monotonic() - started
        self.probes[i] = probe
        shown = "-" if probe.value is None else f"{probe.value:.4g}"
        self.log(f"{commit.sha[:12]} {commit.subject[:50]}: {shown} -> {probe.verdict}")
        return probe

    def _measure(self, i: int) -> Probe:
        commit, m = self.commits[i], self.metric
        if m.exact:
            probe = self.prober.exact(commit, m)
            if i == 0:
                probe.verdict = "good"
            else:
                probe.verdict = "bad" if exact_bad(m, self.probes[0], probe) else "good"
            return probe
        if i == 0:
            return Probe(commit, None, "good", note="the reference")
        if self.left <= 0:
            return Probe(commit, None, "inconclusive", note="the budget was spent")
        assert self.threshold is not None
        share = self.left / max(1, math.ceil(math.log2(len(self.commits))) + sum(CHECKS["timed"]))
        probe = self.prober.timed(self.commits[0], commit, m, self.threshold, max(60.0, share))
        if probe.verdict == "inconclusive" and self.left > 120:
            self.log(f"{commit.sha[:12]}: inconclusive; measuring again with {RETRY_PAIRS} pairs")
            probe = self.prober.timed(
                self.commits[0], commit, m, self.threshold, max(120.0, 2 * share), RETRY_PAIRS
            )
        return probe

    def run(self) -> dict[str, Any]:
        """Bisect; the result (``exit_code`` as in the module docstring)."""
        early = self.endpoints()
        if early is not None:
            return early
        lo, hi = 0, len(self.commits) - 1  # lo good, hi bad
        skipped: set[int] = set()
        while hi - lo > 1:
            mid = _midpoint(lo, hi, skipped)
            verdict = "untestable" if mid is None else self.probe(mid).verdict
            if mid is not None and verdict == "bad":
                hi = mid
            elif mid is not None and verdict == "good":
                lo = mid
            elif mid is not None and verdict == "error":
                skipped.add(mid)
            else:
                why = (
                    f"the commits between {self.commits[lo].sha[:12]} and "
                    f"{self.commits[hi].sha[:12]} could not be measured"
                    if mid is None
                    else f"{self.commits[mid].sha[:12]} stayed inconclusive within the budget "
                    f"({self.probes[mid].note or 'noise'}): rerun on a quieter machine or with "
                    "a larger --budget"
                )
                return self.result(EXIT_UNISOLATED, why, boundary=(lo, hi))
        wrong = self.check(hi)
        if wrong:
            why = "non-monotonic history: the regression came and went (" + "; ".join(wrong) + ")"
            return self.result(EXIT_UNISOLATED, why, boundary=(lo, hi))
        return self.result(EXIT_FOUND, "found", culprit=hi)

    def endpoints(self) -> dict[str, Any] | None:
        """GOOD and BAD: a result when there is nothing to bisect, else None."""
        last = len(self.commits) - 1
        if self.metric.exact:
            self.probe(0)
            if self.probe(last).verdict != "bad":
                return self.result(EXIT_NONE, "GOOD and BAD do not differ on this metric")
            return None
        # GOOD against BAD first: is there a step at all, and how large?
        good, bad = self.commits[0], self.commits[last]
        overall = self.prober.timed(good, bad, self.metric, self.min_effect, self.left / 4)
        if overall.verdict == "inconclusive" and self.left > 240:
            self.log(f"GOOD against BAD: inconclusive; measuring again with {RETRY_PAIRS} pairs")
            overall = self.prober.timed(
                good, bad, self.metric, self.min_effect, self.left / 3, RETRY_PAIRS
            )
        self.probes[0] = Probe(self.commits[0], None, "good", note="the reference")
        self.probes[last] = overall
        if overall.verdict == "inconclusive":
            return self.result(EXIT_INCONCLUSIVE, "GOOD against BAD is inconclusive")
        if overall.verdict != "bad":
            return self.result(EXIT_NONE, "BAD is not slower than GOOD")
        change = overall.value or 0.0
        self.threshold = max(self.min_effect, change / 2)
        self.log(f"GOOD -> BAD: {change:+.1%}; a probe is bad above {self.threshold:+.1%}")
        return None

    def check(self, culprit: int) -> list[str]:
        """Spread probes over the range; any that disagrees with ``culprit`` being the one step."""
        last = len(self.commits) - 1
        n_before, n_after = CHECKS["exact" if self.metric.exact else "timed"]
        before = _spread(1, culprit - 1, n_before)
        after = _spread(culprit + 1, last - 1, n_after)
        wrong = []
        for i in [*before, *after]:
            measured = i in self.probes or self.left < 30  # no budget: judge what exists
            probe = self.probes.get(i) if measured else self.probe(i)
            if probe is None or probe.verdict not in ("good", "bad"):
                continue
            expected = "bad" if i >= culprit else "good"
            if probe.verdict != expected:
                wrong.append(f"{self.commits[i].sha[:12]} is {probe.verdict}")
        return wrong

    def result(
        self,
        code: int,
        summary: str,
        *,
        culprit: int | None = None,
        boundary: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        m = self.metric
        probes = [self.probes[i] for i in sorted(self.probes)]
        out: dict[str, Any] = {
            "schema": 1,
            "metric": m.name,
            "exact": m.exact,
            "unit": m.unit,
            "commits": len(self.commits),
            "good": self.commits[0].sha,
            "bad": self.commits[-1].sha,
            "exit_code": code,
            "summary": summary,
            "threshold": self.threshold,
            "seconds": round(time.monotonic() - self.t0, 1),
            "probes": [_probe_json(p) for p in probes],
            "culprit": None,
        }
        if boundary is not None:
            out["boundary"] = [self.commits[i].sha for i in boundary]
        if culprit is not None:
            before, after = self.probes[culprit - 1], self.probes[culprit]
            entry: dict[str, Any] = {
                "sha": self.commits[culprit].sha,
                "subject": self.commits[culprit].subject,
                "index": culprit,
                "before": _probe_json(before),
                "after": _probe_json(after),
            }
            if m.exact:
                added = sorted(set(after.modules) - set(before.modules))
                entry["added"] = [
                    {"module": a, "chain": chain(a, after.importers), "own": is_own(a)}
                    for a in added
                ]
            out["culprit"] = entry
        return out


def _probe_json(p: Probe) -> dict[str, Any]:
    return {
        "sha": p.commit.sha,
        "subject": p.commit.subject,
        "index": p.commit.index,
        "value": p.value,
        "interval": list(p.interval) if p.interval else None,
        "verdict": p.verdict,
        "seconds": round(p.seconds, 1),
        "note": p.note,
    }


def _midpoint(lo: int, hi: int, skipped: set[int]) -> int | None:
    """The untested commit nearest the middle of (lo, hi), if any."""
    mid = (lo + hi) // 2
    for offset in range(hi - lo):
        for i in (mid - offset, mid + offset):
            if lo < i < hi and i not in skipped:
                return i
    return None


def _spread(first: int, last: int, count: int) -> list[int]:
    """Up to ``count`` indices evenly spread over first..last (inclusive)."""
    if last < first or count <= 0:
        return []
    n = last - first + 1
    if n <= count:
        return list(range(first, last + 1))
    return sorted({first + round((k + 0.5) * n / count - 0.5) for k in range(count)})


# -- measuring the real app --------------------------------------------------------------------


class AppProber:
    """Probes by running the app at each commit (``git archive`` into a temp folder)."""

    def __init__(
        self,
        repo: Path,
        work: Path,
        mode: str,
        *,
        status: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.repo, self.work, self.mode, self.status = repo, work, mode, status
        self.env: dict[str, str] = {}
        self.records: dict[str, dict[str, Any]] = {}  # sha -> exact values (for the history)

    def exact(self, commit: Commit, metric: Metric) -> Probe:
        target = resolve(commit.sha, self.work, self.repo)
        side = Side(commit.sha[:12], target, self.work / "sides", self.mode)
        side.start(self.env, cold=False)  # priming: bytecode written, caches made
        run: Run = side.start(self.env, cold=False)
        values = dict(run.values)
        if metric.name.endswith("_instructions"):
            values[metric.name] = instructions(target, side, self.env, self.mode)
        self.records[commit.sha] = {k: v for k, v in values.items() if v is not None}
        return Probe(
            commit,
            values.get(metric.key),
            "",
            modules=dict(run.path_modules),
            importers=dict(run.importers),
        )

    def timed(
        self,
        good: Commit,
        commit: Commit,
        metric: Metric,
        min_effect: float,
        budget_s: float,
        pairs: int | None = None,
    ) -> Probe:
        opts = Options(
            mode=self.mode,
            max_pairs=pairs or MAX_PAIRS,
            min_effect=min_effect,
            budget_s=budget_s,
            cachegrind=False,
            log=lambda _m: None,
            status=lambda m: self.status(f"{commit.sha[:12]} against GOOD: {m}"),
        )
        result = compare(good.sha, commit.sha, opts)
        entry = result["metrics"].get(metric.name)
        if entry is None:
            raise BenchError(f"{commit.sha[:12]}: no {metric.name} measured")
        verdict = {"slower": "bad", "same": "good", "faster": "good"}.get(
            entry["verdict"], "inconclusive"
        )
        lo, hi = entry["ci95"]
        interval = None if lo is None or hi is None else (float(lo), float(hi))
        return Probe(
            commit,
            float(entry["change"]),
            verdict,
            interval=interval,
            note=f"{result['runs']['head']} runs a side; head median {entry['head']:.4g}",
        )


def bisect(
    good: str,
    bad: str,
    *,
    metric: str | None = None,
    mode: str = "headless",
    first_parent: bool = True,
    min_effect: float = 0.03,
    budget_s: float = 1800.0,
    log: Callable[[str], None] = lambda _m: None,
    status: Callable[[str], None] = lambda _m: None,
    prober: Prober | None = None,
) -> dict[str, Any]:
    """Bisect the current checkout's history; raises ``BenchError`` on usage errors."""
    repo = repository(Path.cwd()) or repository(Path(__file__).resolve().parent)
    if repo is None:
        raise BenchError("bisect needs a git checkout")
    commits = history(repo, good, bad, first_parent=first_parent)
    chosen = pick_metric(metric, mode)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sloppy-bisect-") as tmp, display(mode) as disp:
        app = AppProber(repo, Path(tmp), mode, status=status)
        app.env = dict(os.environ) | ({"DISPLAY": disp} if disp else {})
        run = Bisection(
            commits,
            chosen,
            prober or app,
            min_effect=min_effect,
            budget_s=budget_s,
            log=log,
            status=status,
        )
        result = run.run()
        result["records"] = app.records
    result["mode"] = mode
    result["seconds"] = round(time.monotonic() - t0, 1)
    return result


__all__ = ["METRICS", "Bisection", "Commit", "Probe", "bisect", "history"]
