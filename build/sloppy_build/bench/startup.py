"""``sloppy bench`` (``scripts/benchmark_startup.py``): the floor, the eager app and sloppy.

    sloppy bench --runs 5 --out artifacts/bench
    sloppy bench --variants floor-nomsaa,eager-nomsaa,sloppy --load 1 --cpus 1
    sloppy bench --variants floor-nomsaa,eager-nomsaa,sloppy,base --base round3-start

Variants run alternately (the order rotates each round) so machine noise hits all alike:
  floor           hello_imgui window presenting one frame (scripts/bench_apps/floor_app.py)
  floor-nomsaa    the floor with multisampling off (sloppy turns it off: same pixels, cheaper)
  eager           the same after importing what sloppy warms (the SDKs, numpy, keyring)
  eager-nomsaa    the eager app with multisampling off
  sloppy          sloppy from this checkout or --sloppy (GUI, --exit-when-warm), cache primed
  sloppy-nocache  the same with SLOPPY_WARM_CACHE=off
  base            sloppy from --base (a source tree or a git revision), run the same way
  frozen          DIST/sloppy/sloppy (when built), warm cache primed
  frozen-nocache  the bundle with SLOPPY_WARM_CACHE=off
  frozen-floor    the floor app frozen (DIST/floor_app, from scripts/bench_apps/floor_app.spec)

Per run: first frame, chat ready and warm done (seconds from spawn, from the startup report),
frame p50/p99/max while warming (frames drawn), input latency p99/max (the mouse moved every
50-100 ms from outside, ``input_latency``), peak RSS and CPU time (``wait4``), load average.
Medians, and ratios to the floor of the same run (``--floor``) and to the eager app's first
frame (``--eager``). ``--pyc present`` compiles what the runs read and counts the ``.pyc`` files
before naming the mode; ``none`` (an empty ``PYTHONPYCACHEPREFIX``, no writing) checks that
no run read one; ``both`` (default) runs present, then none. ``--load N``: every variant also
runs as ``VARIANT+load`` beside N CPU hogs; ``--cpus N``: every run (and hog) pinned to N
cores with ``taskset``, a slower machine. Writes results.json, results.md and waterfall.svg
(one sloppy run's timeline) to ``--out`` (the no-.pyc run's to ``--out/no-pyc``).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sloppy.store.paths import BUNDLE
from sloppy_build.bench import input_latency, runner, svg
from sloppy_build.bench.targets import BenchError, Target, repository, resolve

CHECKOUT = Path(__file__).resolve().parents[3]
FLOOR_APP = CHECKOUT / "scripts" / "bench_apps" / "floor_app.py"
ALL_VARIANTS = (
    "floor",
    "floor-nomsaa",
    "eager",
    "eager-nomsaa",
    "sloppy",
    "sloppy-nocache",
    "base",
    "frozen",
    "frozen-nocache",
    "frozen-floor",
)
FLOOR_FLAGS = {
    "floor": [],
    "floor-nomsaa": ["--no-msaa"],
    "eager": ["--eager"],
    "eager-nomsaa": ["--eager", "--no-msaa"],
}
LOADED = "+load"
HOG = "while True: pass"
TIMEOUT_S = 180
#: Medians written per variant (None-free values only).
KEYS = (
    "first_frame_s",
    "first_frame_cpu_s",
    "chat_ready_s",
    "warm_done_s",
    "warm_lane_s",
    "frames",
    "frame_p50_ms",
    "frame_p99_ms",
    "frame_max_ms",
    "input_latency_p99_ms",
    "input_latency_max_ms",
    "rss_mb",
    "cpu_s",
    "load_avg",
)


@dataclass
class Sample:
    first_frame_s: float | None
    first_frame_cpu_s: float | None  # the process's CPU time at its first frame
    chat_ready_s: float | None  # the configured provider's SDK warm, keys read: a send won't wait
    warm_done_s: float | None
    warm_lane_s: float | None  # first warm job's start to warm done: the warming itself
    frames: float | None  # frames drawn from the first until warm done
    frame_p50_ms: float | None
    frame_p99_ms: float | None
    frame_max_ms: float | None
    input_latency_p99_ms: float | None
    input_latency_max_ms: float | None
    rss_mb: float
    cpu_s: float  # user + sys of the process (wait4): steadier than wall time on a busy machine
    load_avg: float  # 1-minute load average when the run started
    #: The path to the first frame, seconds from spawn: interpreter up, app imported, window
    #: and GL context up (hello_imgui's post_init), first frame presented.
    path: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(repr=False, default_factory=dict)


def sample(
    report: dict[str, Any], spawned: float, usage: Any, sends: list[Any], load: float
) -> Sample:
    """One run's figures from its startup report, rusage and the mouse moves sent to it."""
    frames = [float(t) for t in report.get("frame_times_ms") or []]
    starts = [float(m["start_epoch"]) for m in report.get("modules") or []]
    done = report.get("warm_done_epoch")
    latency = input_latency.metrics(report, sends, runner.percentile)
    return Sample(
        runner.since(report, "first_frame_epoch", spawned),
        report.get("first_frame_cpu_s"),
        runner.since(report, "chat_ready_epoch", spawned),
        runner.since(report, "warm_done_epoch", spawned),
        float(done) - min(starts) if starts and done else None,
        float(len(frames) + 1) if report.get("mode") == "gui" and done else None,
        runner.percentile(frames, 0.5),
        runner.percentile(frames, 0.99),
        max(frames) if frames else None,
        latency["input_latency_p99_ms"],
        latency["input_latency_max_ms"],
        usage.ru_maxrss / 1024.0,
        usage.ru_utime + usage.ru_stime,
        load,
        first_frame_path(report, spawned),
        report,
    )


PATH_PHASES = {"boot.import_app": "imports", "gui.window": "window", "gui.first_frame": "frame"}


def first_frame_path(report: dict[str, Any], spawned: float) -> dict[str, float]:
    """Milestones (seconds from spawn) from the report's phases: where the first frame goes."""
    out = {"interpreter": float(report["process_start_epoch"]) - spawned}
    for p in report.get("phases") or []:
        key = PATH_PHASES.get(p.get("name", ""))
        if key and p.get("duration_s") is not None:
            out[key + "_start"] = float(p["start_epoch"]) - spawned
            out[key + "_end"] = float(p["start_epoch"]) + float(p["duration_s"]) - spawned
    return out


def pinned(cmd: list[str], cpus: int) -> list[str]:
    """``cmd`` pinned to the first ``cpus`` cores (``taskset``); unchanged for 0."""
    if not cpus:
        return cmd
    if shutil.which("taskset") is None:
        raise BenchError("--cpus needs taskset (util-linux)")
    return ["taskset", "-c", f"0-{cpus - 1}", *cmd]


class Bench:
    """The variants' commands and environments in one ``.pyc`` mode, and one measured run."""

    def __init__(self, args: argparse.Namespace, work: Path, mode: str) -> None:
        self.args, self.work, self.mode = args, work, mode
        self.env = dict(os.environ)
        self.empty_prefix = work / "empty-pycache"
        if mode == "none":
            self.empty_prefix.mkdir()
            self.env |= {"PYTHONPYCACHEPREFIX": str(self.empty_prefix)}
            self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        repo = repository(CHECKOUT)
        self.base = resolve(args.base, work, repo) if args.base else None
        self.head = resolve(args.sloppy, work, repo) if args.sloppy else None
        self.cold_files: list[Path] = []

    def command(self, variant: str, report: Path) -> tuple[list[str], dict[str, str]] | None:
        if variant in FLOOR_FLAGS:
            cmd = [sys.executable, str(FLOOR_APP), str(report), *FLOOR_FLAGS[variant]]
            return cmd, dict(self.env)
        if variant == "frozen-floor":
            exe = self.args.dist / "floor_app" / "floor_app"
            return ([str(exe), str(report)], dict(self.env)) if exe.exists() else None
        env = dict(self.env) | {"SLOPPY_HOME": str(self.work / f"home-{variant}")}
        if variant.startswith("frozen"):
            exe = BUNDLE.exe(BUNDLE.root(self.args.dist))
            if not exe.exists():
                return None
            base = [str(exe)]
        elif variant == "base" or self.head is not None:
            tree = self.base if variant == "base" else self.head
            if tree is None:
                return None
            base = [sys.executable, "-m", tree.entry_module]
            paths = [tree.root / "src", tree.root / "launcher", tree.root]
            env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
        else:
            base = [sys.executable, "-m", "sloppy_launcher.sloppy_main"]
        if variant.endswith("nocache"):
            env["SLOPPY_WARM_CACHE"] = "off"
        mode = ["--headless"] if self.args.headless else []
        return [*base, *mode, "--exit-when-warm", "--startup-report", str(report)], env

    def drives_mouse(self, variant: str) -> bool:
        return not self.args.headless and variant.startswith(("sloppy", "base", "frozen-"))

    def run(self, variant: str, n: int) -> Sample | None:
        base, loaded = variant.removesuffix(LOADED), variant.endswith(LOADED)
        report = self.work / f"{variant}-{n}.json"
        made = self.command(base, report)
        if made is None:
            return None
        cmd, env = made
        if self.args.cold:
            runner.evict(self.cold_files)
        display = env.get("DISPLAY") if self.drives_mouse(base) else None
        load = os.getloadavg()[0]
        with (
            hogs(self.args.load if loaded else 0, self.args.cpus),
            input_latency.driving(display, seed=n) as sends,
        ):
            err = self.work / f"{variant}-{n}.stderr"
            spawned, code, usage = runner.spawn(
                pinned(cmd, self.args.cpus), env, CHECKOUT, err, TIMEOUT_S
            )
        if code != 0:
            tail = err.read_bytes()[-600:].decode(errors="replace")
            raise BenchError(f"{variant} exited {code}: {tail}")
        return sample(json.loads(report.read_text()), spawned, usage, list(sends), load)


@contextlib.contextmanager
def hogs(n: int, cpus: int = 0) -> Iterator[None]:
    """Run ``n`` CPU-bound processes (Python busy loops) for the duration of the block."""
    procs = [subprocess.Popen(pinned([sys.executable, "-c", HOG], cpus)) for _ in range(n)]
    try:
        if procs:
            time.sleep(0.3)  # let them reach the scheduler's steady state
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def source_roots(*trees: Target | None) -> list[Path]:
    """Where the runs' Python modules come from: site-packages, the standard library, the
    floor app and sloppy's own trees."""
    roots = {Path(sysconfig.get_path("purelib")), Path(sysconfig.get_path("stdlib"))}
    roots |= {CHECKOUT / "src", CHECKOUT / "launcher", FLOOR_APP.parent}
    for tree in trees:
        if tree is not None:
            roots |= {tree.root / "src", tree.root / "launcher"}
    return sorted(roots)


def count_pyc(roots: list[Path]) -> tuple[int, int]:
    """``(modules with a current-interpreter .pyc beside them, modules)`` under ``roots``."""
    have = total = 0
    for root in roots:
        for py in root.rglob("*.py"):
            total += 1
            have += os.path.exists(importlib.util.cache_from_source(str(py)))
    return have, total


def compile_pyc(roots: list[Path]) -> str:
    """Write the ``.pyc`` files a run reads (as pip, or setup_env.sh, leaves them) and say how
    many exist: the header names the mode only with that count."""
    for root in roots:
        compileall.compile_dir(root, quiet=2, workers=0)
    have, total = count_pyc(roots)
    if have < total * 0.98:
        raise BenchError(f".pyc present: only {have} of {total} modules have one; cannot compile")
    return f"present: {have} of {total} modules have a .pyc ({', '.join(map(str, roots))})"


def check_no_pyc(env: dict[str, str], prefix: Path) -> str:
    """Check that a run in ``env`` reads no ``.pyc``: the interpreter looks only in the empty
    prefix for them, writes none, and (imports of the floor's and sloppy's first frame) finds
    no module with a cached file; the prefix stays empty."""
    probe = (
        "import sys, os, importlib.util, imgui_bundle, sloppy.ui.gui_2\n"
        "cached = [m.__cached__ for m in list(sys.modules.values())\n"
        "          if getattr(m, '__cached__', None) and os.path.exists(m.__cached__)]\n"
        "print(len(cached), sys.flags.dont_write_bytecode, sys.pycache_prefix)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    fields = out.stdout.split()
    if out.returncode != 0 or len(fields) != 3 or fields[:2] != ["0", "1"]:
        raise BenchError(f"no-.pyc mode reads bytecode: {out.stdout.strip()} {out.stderr[-300:]}")
    if any(prefix.iterdir()):
        raise BenchError(f"no-.pyc mode wrote bytecode into {prefix}")
    return f"none: no .pyc read (empty PYTHONPYCACHEPREFIX {prefix.name}, none written: checked)"


def summarize(
    samples: dict[str, list[Sample]], floor_variant: str, eager_variant: str
) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for variant, rows in samples.items():
        stats: dict[str, float | None] = {"runs": float(len(rows))}
        for key in KEYS:
            values = [v for s in rows if (v := getattr(s, key)) is not None]
            stats[key] = statistics.median(values) if values else None
            if key in ("first_frame_s", "warm_done_s") and len(values) > 1:
                stats[key + "_spread"] = (max(values) - min(values)) / statistics.median(values)
        for key in sorted({k for s in rows for k in s.path}):
            stats["path." + key] = statistics.median([s.path[key] for s in rows if key in s.path])
        out[variant] = stats
    for variant, stats in out.items():
        # A loaded variant is compared with the references run under the same load.
        suffix = LOADED if variant.endswith(LOADED) else ""
        floor = out.get(floor_variant + suffix, {})
        eager = out.get(eager_variant + suffix, {}).get("first_frame_s")
        stats["first_frame_ratio"] = _ratio(stats.get("first_frame_s"), floor.get("first_frame_s"))
        stats["first_frame_cpu_ratio"] = _ratio(
            stats.get("first_frame_cpu_s"), floor.get("first_frame_cpu_s")
        )
        stats["warm_x_eager_ff"] = _ratio(stats.get("warm_done_s"), eager)
        stats["chat_x_eager_ff"] = _ratio(stats.get("chat_ready_s"), eager)
        if suffix:
            unloaded = out.get(variant.removesuffix(LOADED), {}).get("warm_done_s")
            stats["warm_x_unloaded"] = _ratio(stats.get("warm_done_s"), unloaded)
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def markdown(summary: dict[str, dict[str, float | None]], meta: dict[str, Any]) -> str:
    def fmt(v: float | None, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    lines = [
        f"{meta['date']} UTC; load average {meta['load_avg']}; {meta['runs']} alternating runs "
        f"each; .pyc {meta['pyc']}; sloppy {'headless' if meta['headless'] else 'GUI'}; page "
        f"cache {'evicted before each run' if meta['cold'] else 'warm'}; "
        f"{meta['cpus_used']}; Python {meta['python']}.",
        f"Ratios: first frame x {meta['floor']}; warm done and chat ready x {meta['eager']}'s "
        "first frame"
        + (f"; +load: {meta['load']} CPU hog(s) beside the run" if meta["load"] else "")
        + ".",
        "",
        "| variant | first frame s (x floor) | CPU to first frame s (x floor)"
        " | chat ready s (x eager ff) | warm done s (x eager ff) | frames"
        " | frame p50 / p99 / max ms | input latency p99 / max ms | peak RSS MB | CPU s"
        " | spread ff / warm |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, s in summary.items():
        unloaded = s.get("warm_x_unloaded")
        lines.append(
            f"| {variant} | {fmt(s['first_frame_s'], '.3f')} ({fmt(s['first_frame_ratio'], '.2f')})"
            f" | {fmt(s['first_frame_cpu_s'], '.3f')} ({fmt(s['first_frame_cpu_ratio'], '.2f')})"
            f" | {fmt(s['chat_ready_s'], '.2f')} ({fmt(s['chat_x_eager_ff'], '.2f')})"
            f" | {fmt(s['warm_done_s'], '.2f')} ({fmt(s['warm_x_eager_ff'], '.2f')}"
            + (f"; {fmt(unloaded, '.2f')}x unloaded" if "warm_x_unloaded" in s else "")
            + f") | {fmt(s['frames'], '.0f')}"
            f" | {fmt(s['frame_p50_ms'], '.0f')} / {fmt(s['frame_p99_ms'], '.0f')} / "
            f"{fmt(s['frame_max_ms'], '.0f')}"
            f" | {fmt(s['input_latency_p99_ms'], '.0f')} / {fmt(s['input_latency_max_ms'], '.0f')}"
            f" | {fmt(s['rss_mb'], '.0f')} | {fmt(s['cpu_s'], '.2f')}"
            f" | {fmt(s.get('first_frame_s_spread'), '.0%')} / "
            f"{fmt(s.get('warm_done_s_spread'), '.0%')} |"
        )
    lines += [
        "",
        "Medians, seconds from spawn; spread = (max - min) / median across runs; frames = frames",
        "drawn from the first to warm done; input latency = a mouse move (every 50-100 ms) to",
        "the swap of the first frame that shows it, first frame to warm done.",
        "",
        "Path to the first frame (medians, s from spawn; each step's own time in brackets):",
        "",
        "| variant | interpreter up | app imported | window + GL up | first frame |",
        "|---|---|---|---|---|",
    ]
    for variant, s in summary.items():
        if s.get("path.interpreter") is None:
            continue
        cells, prev = [], 0.0
        for key in ("path.interpreter", "path.imports_end", "path.window_end", "path.frame_end"):
            value = s.get(key)
            cells.append("-" if value is None else f"{value:.3f} (+{value - prev:.3f})")
            prev = value if value is not None else prev
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def waterfall_svg(report: dict[str, Any]) -> str:
    """One run's start-up: main-thread phases, then each warm module on its thread."""
    t0 = float(report["process_start_epoch"])
    rows: list[tuple[str, str, float, float]] = []
    for p in report.get("phases", []):
        if p.get("duration_s") is not None and p["duration_s"] > 0.0005:
            rows.append((p["name"], "phases", p["start_epoch"] - t0, p["duration_s"]))
    for m in report.get("modules", []):
        rows.append(
            (f"{m['name']} ({m['source']})", m["thread"], m["start_epoch"] - t0, m["duration_s"])
        )
    marks = {k: report.get(k) for k in ("first_frame_epoch", "chat_ready_epoch", "warm_done_epoch")}
    end = max([s + d for _, _, s, d in rows] + [(v or t0) - t0 for v in marks.values()] + [0.1])
    width, left, row_h = 1100, 330, 16
    scale = (width - left - 20) / end
    threads = list(dict.fromkeys(t for _, t, _, _ in rows))
    height = 40 + row_h * len(rows) + 30
    out = [svg.text(10, 18, f"sloppy start-up ({report.get('mode')}): seconds since process start")]
    for i, (label, thread, start, dur) in enumerate(rows):
        y = 30 + i * row_h
        color = svg.COLORS[threads.index(thread) % len(svg.COLORS)]
        out.append(svg.text(10, y + 11, label[:48]))
        out.append(
            f'<rect x="{left + start * scale:.1f}" y="{y + 2}" '
            f'width="{max(dur * scale, 1):.1f}" height="{row_h - 4}" fill="{color}">'
            f"<title>{svg.escape(f'{label} [{thread}] {start:.3f}+{dur:.3f} s')}</title></rect>"
        )
    for name, value in marks.items():
        if value:
            x = left + (value - t0) * scale
            out.append(
                f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height - 20}" '
                'stroke="black" stroke-dasharray="4 3"/>'
            )
            out.append(svg.text(x + 3, height - 8, f"{name.split('_epoch')[0]} {value - t0:.2f} s"))
    for k in range(int(end) + 1):
        x = left + k * scale
        out.append(f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height - 24}" stroke="#ddd"/>')
    return svg.document(width, height, out)


def reference(wanted: str, fallbacks: tuple[str, ...], variants: list[str]) -> str:
    return next((v for v in (wanted, *fallbacks) if v in variants), wanted)


def bench_mode(args: argparse.Namespace, mode: str, variants: list[str], out: Path) -> str:
    """One benchmark in one .pyc mode: check the mode, prime, alternate, write to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="sloppy-bench-") as tmp,
        runner.display("headless" if args.headless else "gui") as disp,
    ):
        bench = Bench(args, Path(tmp), mode)
        if disp:
            bench.env["DISPLAY"] = disp
        variants = [v for v in variants if bench.command(v.removesuffix(LOADED), Path(tmp) / "p")]
        roots = source_roots(bench.base, bench.head)
        pyc = (
            compile_pyc(roots) if mode == "present" else check_no_pyc(bench.env, bench.empty_prefix)
        )
        if args.cold:
            bench.cold_files = runner.files_under([*roots, args.dist, Path(tmp)])
        load_before = os.getloadavg()
        for variant in variants:  # priming: warm caches, import profiles
            if not variant.endswith(LOADED):
                bench.run(variant, -1)
        samples: dict[str, list[Sample]] = {v: [] for v in variants}
        for n in range(args.runs):
            order = variants[n % len(variants) :] + variants[: n % len(variants)]
            for variant in order:
                got = bench.run(variant, n)
                if got is not None:
                    samples[variant].append(got)
        if mode == "none":
            pyc = check_no_pyc(bench.env, bench.empty_prefix)  # and still none after the runs
        floor = reference(args.floor, ("floor-nomsaa", "floor", "frozen-floor"), variants)
        eager = reference(args.eager, ("eager-nomsaa", "eager"), variants)
        summary = summarize(samples, floor, eager)
        load_after = os.getloadavg()
        meta = {
            "runs": args.runs,
            "pyc": pyc,
            "headless": args.headless,
            "cold": args.cold,
            "cpus": os.cpu_count(),
            "cpus_used": f"pinned to {args.cpus} of {os.cpu_count()} CPUs"
            if args.cpus
            else f"{os.cpu_count()} CPUs",
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "python": sys.version.split()[0],
            "floor": floor,
            "eager": eager,
            "load": args.load,
            "base": bench.base.label if bench.base else None,
            "sloppy": bench.head.label if bench.head else "this checkout",
            "load_avg": " -> ".join(f"{x:.1f}" for x in (load_before[0], load_after[0]))
            + " (1 min)",
        }
        raw = {
            v: [{k: val for k, val in asdict(s).items() if k != "report"} for s in rows]
            for v, rows in samples.items()
        }
        (out / "results.json").write_text(
            json.dumps({"meta": meta, "summary": summary, "samples": raw}, indent=1)
        )
        table = markdown(summary, meta)
        (out / "results.md").write_text(table)
        chart = next((samples[v][-1] for v in ("sloppy", "frozen") if samples.get(v)), None)
        if chart is not None:
            (out / "waterfall.svg").write_text(waterfall_svg(chart.report))
    return table


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="sloppy bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--variants", default="floor-nomsaa,eager-nomsaa,sloppy")
    ap.add_argument("--floor", default="floor-nomsaa", help="the first frame's reference")
    ap.add_argument("--eager", default="eager-nomsaa", help="warm done's reference")
    ap.add_argument("--base", default=None, help="source tree or git revision for 'base'")
    ap.add_argument(
        "--sloppy", default=None, help="run 'sloppy' from this tree or revision (default: here)"
    )
    ap.add_argument("--dist", type=Path, default=CHECKOUT / "dist")
    ap.add_argument("--out", type=Path, default=CHECKOUT / "artifacts" / "bench")
    ap.add_argument("--pyc", choices=("present", "none", "both"), default="both")
    ap.add_argument("--no-pyc", dest="pyc", action="store_const", const="none")
    ap.add_argument("--load", type=int, default=0, metavar="N", help="CPU hogs beside +load runs")
    ap.add_argument("--cpus", type=int, default=0, metavar="N", help="pin every run to N cores")
    ap.add_argument("--headless", action="store_true")
    ap.add_argument("--cold", action="store_true")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(ALL_VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {', '.join(sorted(unknown))}")
    if "base" in variants and not args.base:
        ap.error("the 'base' variant needs --base TREE_OR_REVISION")
    if args.cpus and not 0 < args.cpus <= (os.cpu_count() or 1):
        ap.error(f"--cpus must be 1..{os.cpu_count()}")
    if args.load:
        variants += [v + LOADED for v in variants]
    # A bundle reads no .pyc: with only frozen sloppy variants one mode says it all.
    from_source = any(v.startswith(("sloppy", "base")) for v in variants)
    modes = ["present", "none"] if args.pyc == "both" and from_source else [args.pyc]
    if modes == ["both"]:
        modes = ["present"]
    tables = []
    try:
        for mode in modes:
            # The headline (.pyc present) stays at --out; the no-.pyc run goes beside it.
            out = args.out / "no-pyc" if mode == "none" and len(modes) > 1 else args.out
            tables.append(bench_mode(args, mode, variants, out))
    except BenchError as exc:
        print(f"sloppy bench: {exc}", file=sys.stderr)
        return 2
    print("\n".join(tables))
    return 0
