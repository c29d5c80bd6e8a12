"""Cold-start benchmark: the floor, the eager baseline and sloppy, side by side.

    python scripts/benchmark_startup.py --runs 5 --out artifacts/bench
    python scripts/benchmark_startup.py --variants floor,sloppy --runs 3 --no-pyc --cold
    python scripts/benchmark_startup.py --pyc present --load 1

Variants run alternately (the order rotates each round) so machine noise hits all alike:
  floor           hello_imgui window presenting one frame (scripts/bench_apps/floor_app.py)
  floor-nomsaa    the floor with multisampling off (sloppy turns it off: same pixels, cheaper)
  eager           the same after importing the heavy SDKs (what an eager app does)
  eager-nomsaa    the eager app with multisampling off
  sloppy          sloppy from source (GUI, --exit-when-warm), warm cache primed
  sloppy-nocache  the same with SLOPPY_WARM_CACHE=off
  frozen          dist/sloppy/sloppy (when built), warm cache primed
  frozen-nocache  the bundle with SLOPPY_WARM_CACHE=off
  frozen-floor    the floor app frozen (DIST/floor_app, from scripts/bench_apps/floor_app.spec)
For each: first frame and warm done (seconds from spawn, via the startup report), frame
p50/p99/max during warmup, peak RSS and CPU time (user + sys, from wait4), and the load
average. Medians, and ratios to the floor of the same run (--floor, default the MSAA-off floor,
as sloppy runs without MSAA) and to the eager app's first frame (--eager, default MSAA off).
Options: --pyc present|none|both (default both, .pyc present first: the headline, with
sloppy's own .pyc written as pip leaves them; none = an empty PYTHONPYCACHEPREFIX and
PYTHONDONTWRITEBYTECODE=1 for every variant: no .pyc is read),
--no-pyc (= --pyc none), --pycache-prefix (bytecode written to and read from a private
PYTHONPYCACHEPREFIX, primed by the first run: Python's answer to read-only installs),
--load N (every variant also runs as VARIANT+load with N CPU hogs, Python busy loops,
running beside it; alternating with the unloaded runs),
--headless (sloppy variants run --headless: warm time without a window),
--cold (evict the files from the page cache before each run).
Writes results.json, results.md and waterfall.svg (one sloppy run's timeline) to --out (with
--pyc both, the no-.pyc run's to --out/no-pyc). A reference variant that was not run falls back
to the other floor (eager app) that was.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sloppy_build.bench import runner
from sloppy_build.bench.xvfb import start_xvfb

from sloppy.store.paths import BUNDLE

ROOT = Path(__file__).resolve().parents[1]
FLOOR_APP = ROOT / "scripts" / "bench_apps" / "floor_app.py"
ALL_VARIANTS = (
    "floor",
    "floor-nomsaa",
    "eager",
    "eager-nomsaa",
    "sloppy",
    "sloppy-nocache",
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


@dataclass
class Sample:
    first_frame_s: float | None
    first_frame_cpu_s: float | None  # the process's CPU time at its first frame
    warm_done_s: float | None
    warm_lane_s: float | None  # first warm job's start to warm done: the warming itself
    frame_p50_ms: float | None
    frame_p99_ms: float | None
    frame_max_ms: float | None
    rss_mb: float
    cpu_s: float  # user + sys of the process (wait4): steadier than wall time on a busy machine
    load_avg: float  # 1-minute load average when the run started
    #: The path to the first frame, seconds from spawn: interpreter up, app imported, window
    #: and GL context up (hello_imgui's post_init), first frame presented.
    path: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(repr=False, default_factory=dict)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sloppy_command(variant: str, dist: Path) -> list[str] | None:
    if variant.startswith("frozen"):
        exe = BUNDLE.exe(BUNDLE.root(dist))
        return [str(exe)] if exe.exists() else None
    exe = Path(sys.executable).with_name("sloppy")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sloppy_launcher.sloppy_main"]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.env = dict(os.environ)
        if args.pyc == "none":
            empty = work / "empty-pycache"
            empty.mkdir()
            self.env |= {"PYTHONPYCACHEPREFIX": str(empty), "PYTHONDONTWRITEBYTECODE": "1"}
        elif args.pycache_prefix:
            self.env["PYTHONPYCACHEPREFIX"] = str(work / "pycache-prefix")
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            compile_own_sources()
        self.cold_files: list[Path] = []

    def command(self, variant: str, report: Path) -> tuple[list[str], dict[str, str]] | None:
        if variant in FLOOR_FLAGS:
            cmd = [sys.executable, str(FLOOR_APP), str(report), *FLOOR_FLAGS[variant]]
            return cmd, dict(self.env)
        if variant == "frozen-floor":
            exe = self.args.dist / "floor_app" / "floor_app"
            return ([str(exe), str(report)], dict(self.env)) if exe.exists() else None
        base = sloppy_command(variant, self.args.dist)
        if base is None:
            return None
        env = dict(self.env) | {"SLOPPY_HOME": str(self.work / f"home-{variant}")}
        if variant.endswith("nocache"):
            env["SLOPPY_WARM_CACHE"] = "off"
        mode = ["--headless"] if self.args.headless else []
        return [*base, *mode, "--exit-when-warm", "--startup-report", str(report)], env

    def run(self, variant: str, n: int) -> Sample | None:
        base, loaded = variant.removesuffix(LOADED), variant.endswith(LOADED)
        report = self.work / f"{variant}-{n}.json"
        made = self.command(base, report)
        if made is None:
            return None
        cmd, env = made
        if self.args.cold:
            evict(self.cold_files)
        with hogs(self.args.load if loaded else 0):
            return self._run(variant, cmd, env, report)

    def _run(self, variant: str, cmd: list[str], env: dict[str, str], report: Path) -> Sample:
        load_avg = os.getloadavg()[0]
        spawned = time.time()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{variant} did not finish in {TIMEOUT_S} s")
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"{variant} exited {proc.returncode}: {err[-600:]}")
        r = json.loads(report.read_text())
        frames = [float(t) for t in r.get("frame_times_ms") or []]

        def since(key: str) -> float | None:
            value = r.get(key)
            return None if value is None else float(value) - spawned

        starts = [float(m["start_epoch"]) for m in r.get("modules") or []]
        lane = (
            float(r["warm_done_epoch"]) - min(starts)
            if starts and r.get("warm_done_epoch")
            else None
        )
        return Sample(
            since("first_frame_epoch"),
            r.get("first_frame_cpu_s"),
            since("warm_done_epoch"),
            lane,
            percentile(frames, 0.5),
            percentile(frames, 0.99),
            max(frames) if frames else None,
            usage.ru_maxrss / 1024.0,
            usage.ru_utime + usage.ru_stime,
            load_avg,
            first_frame_path(r, spawned),
            r,
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


@contextlib.contextmanager
def hogs(n: int) -> Iterator[None]:
    """Run ``n`` CPU-bound processes (Python busy loops) for the duration of the block."""
    procs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(n)]
    try:
        if procs:
            time.sleep(0.3)  # let them reach the scheduler's steady state
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def compile_own_sources() -> None:
    """Write sloppy's own ``.pyc`` files, as ``pip install`` leaves them (a source checkout
    with PYTHONDONTWRITEBYTECODE=1 has none, and would compile its launcher at every start)."""
    for folder in ("src/sloppy", "launcher", "scripts/bench_apps"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def evict(files: list[Path]) -> None:
    """``runner.evict``, its refusal (no ``posix_fadvise``) as a clean exit."""
    try:
        runner.evict(files)
    except runner.BenchError as exc:
        raise SystemExit(str(exc)) from None


def cold_file_list(dist: Path, work: Path) -> list[Path]:
    roots = [Path(p) for p in sys.path if p.endswith("site-packages")]
    roots += [ROOT / "src", ROOT / "launcher", dist, work, Path(sys.base_prefix) / "lib"]
    return runner.files_under(roots)


@contextlib.contextmanager
def display() -> Iterator[None]:
    """Use $DISPLAY, or start a private Xvfb for the run."""
    if os.environ.get("DISPLAY") or shutil.which("Xvfb") is None:
        yield
        return
    xvfb, os.environ["DISPLAY"] = start_xvfb()
    try:
        yield
    finally:
        xvfb.terminate()
        xvfb.wait(5)
        del os.environ["DISPLAY"]


def summarize(
    samples: dict[str, list[Sample]], floor_variant: str = "floor", eager_variant: str = "eager"
) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for variant, rows in samples.items():
        stats: dict[str, float | None] = {"runs": float(len(rows))}
        for key in (
            "first_frame_s",
            "first_frame_cpu_s",
            "warm_done_s",
            "warm_lane_s",
            "frame_p50_ms",
            "frame_p99_ms",
            "frame_max_ms",
            "rss_mb",
            "cpu_s",
            "load_avg",
        ):
            values = [getattr(s, key) for s in rows if getattr(s, key) is not None]
            stats[key] = statistics.median(values) if values else None
            if key in ("first_frame_s", "warm_done_s") and len(values) > 1:
                stats[key + "_spread"] = (max(values) - min(values)) / statistics.median(values)
        path_keys = sorted({k for s in rows for k in s.path})
        for key in path_keys:
            values = [s.path[key] for s in rows if key in s.path]
            stats["path." + key] = statistics.median(values)
        out[variant] = stats
    for variant, stats in out.items():
        # A loaded variant is compared with the references run under the same load.
        suffix = LOADED if variant.endswith(LOADED) else ""
        floor = out.get(floor_variant + suffix, {}).get("first_frame_s")
        floor_cpu = out.get(floor_variant + suffix, {}).get("first_frame_cpu_s")
        cpu = stats.get("first_frame_cpu_s")
        stats["first_frame_cpu_ratio"] = cpu / floor_cpu if cpu and floor_cpu else None
        eager = out.get(eager_variant + suffix, {}).get("first_frame_s")
        for key in ("first_frame_s", "warm_done_s"):
            value = stats.get(key)
            stats[key.replace("_s", "_ratio")] = value / floor if value and floor else None
        warm = stats.get("warm_done_s")
        stats["warm_x_eager_ff"] = warm / eager if warm and eager else None
        if suffix:
            unloaded = out.get(variant.removesuffix(LOADED), {}).get("warm_done_s")
            stats["warm_x_unloaded"] = warm / unloaded if warm and unloaded else None
    return out


def markdown(summary: dict[str, dict[str, float | None]], meta: dict[str, Any]) -> str:
    def fmt(v: float | None, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    lines = [
        f"Runs per variant: {meta['runs']} (alternating); .pyc: {meta['pyc']}; "
        f"sloppy {'headless' if meta['headless'] else 'GUI'}; "
        f"page cache: {'evicted before each run' if meta['cold'] else 'warm'}; "
        f"{meta['cpus']} CPUs; {meta['date']}; load average {meta['load_avg']}.",
        f"Ratios: first frame x {meta['floor']}; warm done x {meta['eager']}'s first frame"
        + (f"; +load: {meta['load']} CPU hog(s) beside the run" if meta["load"] else "")
        + ".",
        "",
        "| variant | first frame s (x floor) | CPU to first frame s (x floor)"
        " | warm done s (x eager ff) | warm lane s"
        " | frame p50 / p99 / max ms | peak RSS MB | CPU s | load avg | spread ff / warm |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, s in summary.items():
        lines.append(
            f"| {variant} | {fmt(s['first_frame_s'], '.2f')} ({fmt(s['first_frame_ratio'], '.2f')})"
            f" | {fmt(s['first_frame_cpu_s'], '.3f')} ({fmt(s['first_frame_cpu_ratio'], '.2f')})"
            f" | {fmt(s['warm_done_s'], '.2f')} ({fmt(s['warm_x_eager_ff'], '.2f')}"
            + (f"; {fmt(s['warm_x_unloaded'], '.2f')}x unloaded" if "warm_x_unloaded" in s else "")
            + ")"
            f" | {fmt(s['warm_lane_s'], '.2f')}"
            f" | {fmt(s['frame_p50_ms'], '.0f')} / {fmt(s['frame_p99_ms'], '.0f')} / "
            f"{fmt(s['frame_max_ms'], '.0f')} | {fmt(s['rss_mb'], '.0f')}"
            f" | {fmt(s['cpu_s'], '.2f')} | {fmt(s['load_avg'], '.1f')}"
            f" | {fmt(s.get('first_frame_s_spread'), '.0%')} / "
            f"{fmt(s.get('warm_done_s_spread'), '.0%')} |"
        )
    lines += ["", "Times are medians from spawn; spread = (max - min) / median across runs."]
    lines += [
        "",
        "Path to the first frame (medians, s from spawn; each step's own time in brackets):",
        "",
        "| variant | interpreter up | app imported | window + GL up | first frame |",
        "|---|---|---|---|---|",
    ]
    for variant, s in summary.items():
        if s.get("path.interpreter") is None:
            continue
        steps = ["path.interpreter", "path.imports_end", "path.window_end", "path.frame_end"]
        cells, prev = [], 0.0
        for key in steps:
            value = s.get(key)
            cells.append("-" if value is None else f"{value:.3f} (+{value - prev:.3f})")
            prev = value if value is not None else prev
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def waterfall_svg(report: dict[str, Any], spawned_offset: float = 0.0) -> str:
    """One run's start-up as an SVG: main-thread phases, then each warm module on its thread."""
    t0 = float(report["process_start_epoch"])
    rows: list[tuple[str, str, float, float]] = []
    for p in report.get("phases", []):
        if p.get("duration_s") is not None and p["duration_s"] > 0.0005:
            rows.append((p["name"], "phases", p["start_epoch"] - t0, p["duration_s"]))
    for m in report.get("modules", []):
        rows.append(
            (f"{m['name']} ({m['source']})", m["thread"], m["start_epoch"] - t0, m["duration_s"])
        )
    marks = {k: report.get(k) for k in ("first_frame_epoch", "warm_done_epoch")}
    end = max([s + d for _, _, s, d in rows] + [(v or t0) - t0 for v in marks.values()] + [0.1])
    width, left, row_h = 1100, 330, 16
    scale = (width - left - 20) / end
    colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"]
    threads = list(dict.fromkeys(t for _, t, _, _ in rows))
    height = 40 + row_h * len(rows) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="13">sloppy start-up ({report.get("mode")}): '
        "seconds since process start</text>",
    ]
    for i, (label, thread, start, dur) in enumerate(rows):
        y = 30 + i * row_h
        color = colors[threads.index(thread) % len(colors)]
        out.append(f'<text x="10" y="{y + 11}">{label[:48]}</text>')
        out.append(
            f'<rect x="{left + start * scale:.1f}" y="{y + 2}" '
            f'width="{max(dur * scale, 1):.1f}" height="{row_h - 4}" fill="{color}">'
            f"<title>{label} [{thread}] {start:.3f}+{dur:.3f} s</title></rect>"
        )
    for name, value in marks.items():
        if value:
            x = left + (value - t0) * scale
            out.append(
                f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height - 20}" '
                'stroke="black" stroke-dasharray="4 3"/>'
            )
            out.append(
                f'<text x="{x + 3:.1f}" y="{height - 8}">{name.split("_epoch")[0]} '
                f"{value - t0:.2f} s</text>"
            )
    for k in range(int(end) + 1):
        x = left + k * scale
        out.append(f'<line x1="{x:.1f}" y1="26" x2="{x:.1f}" y2="{height - 24}" stroke="#ddd"/>')
    out.append("</svg>")
    return "\n".join(out)


def prime(bench: Bench, variants: list[str]) -> None:
    """One uncounted run per variant: warm caches, import profiles, a pycache prefix."""
    for variant in variants:
        bench.run(variant, -1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--variants",
        default="floor-nomsaa,eager-nomsaa,sloppy,sloppy-nocache,frozen,frozen-nocache",
    )
    ap.add_argument("--floor", default="floor-nomsaa", help="the first frame's reference")
    ap.add_argument("--eager", default="eager-nomsaa", help="warm done's reference")
    ap.add_argument("--dist", type=Path, default=ROOT / "dist")
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench")
    ap.add_argument("--pyc", choices=("present", "none", "both"), default="both")
    ap.add_argument("--no-pyc", dest="pyc", action="store_const", const="none")
    ap.add_argument("--pycache-prefix", action="store_true")
    ap.add_argument("--load", type=int, default=0, metavar="N", help="CPU hogs beside +load runs")
    ap.add_argument("--headless", action="store_true")
    ap.add_argument("--cold", action="store_true")
    args = ap.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(ALL_VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {', '.join(sorted(unknown))}")
    if args.load:
        variants += [v + LOADED for v in variants]
    # A bundle reads no .pyc: with only frozen sloppy variants one mode says it all.
    from_source = any(v.startswith("sloppy") for v in variants)
    both = args.pyc == "both" and from_source and not args.pycache_prefix
    modes = ["present", "none"] if both else ["none" if args.pyc == "none" else "present"]
    tables = []
    for mode in modes:
        # The headline (.pyc present) stays at --out; the no-.pyc run goes beside it.
        out = args.out / "no-pyc" if mode == "none" and len(modes) > 1 else args.out
        tables.append(bench_mode(argparse.Namespace(**vars(args), out_dir=out), mode, variants))
    print("\n".join(tables))
    return 0


def reference(wanted: str, fallbacks: tuple[str, ...], variants: list[str]) -> str:
    return next((v for v in (wanted, *fallbacks) if v in variants), wanted)


def bench_mode(args: argparse.Namespace, mode: str, variants: list[str]) -> str:
    """One benchmark run in one .pyc mode: prime, alternate, write results to ``out_dir``."""
    args.pyc = mode
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sloppy-bench-") as tmp, display():
        bench = Bench(args, Path(tmp))
        variants = [v for v in variants if bench.command(v.removesuffix(LOADED), Path(tmp) / "p")]
        if args.cold:
            bench.cold_files = cold_file_list(args.dist, Path(tmp))
        prime(bench, [v for v in variants if not v.endswith(LOADED)])
        samples: dict[str, list[Sample]] = {v: [] for v in variants}
        for n in range(args.runs):
            order = variants[n % len(variants) :] + variants[: n % len(variants)]
            for variant in order:
                sample = bench.run(variant, n)
                if sample is not None:
                    samples[variant].append(sample)
        # A reference that was not run: the other floor (or eager app) that was.
        floor = reference(args.floor, ("floor-nomsaa", "floor", "frozen-floor"), variants)
        eager = reference(args.eager, ("eager-nomsaa", "eager"), variants)
        args.floor, args.eager = floor, eager
        summary = summarize(samples, floor, eager)
        pyc = (
            "PYTHONPYCACHEPREFIX (primed)"
            if args.pycache_prefix
            else "none (empty PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE=1)"
            if mode == "none"
            else "present in site-packages"
        )
        load_after = os.getloadavg()
        meta = {
            "runs": args.runs,
            "pyc": pyc,
            "headless": args.headless,
            "cold": args.cold,
            "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "python": sys.version.split()[0],
            "floor": args.floor,
            "eager": args.eager,
            "load": args.load,
            "load_avg": f"{load_before[0]:.1f} -> {load_after[0]:.1f} (1 min)",
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
        chart_from = next((samples[v][-1] for v in ("sloppy", "frozen") if samples.get(v)), None)
        if chart_from is not None:
            (out / "waterfall.svg").write_text(waterfall_svg(chart_from.report))
    return table


if __name__ == "__main__":
    sys.exit(main())
