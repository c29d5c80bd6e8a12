"""Does ``sloppy bench compare`` see a planted slowdown, and stay quiet on identical trees?

    .venv/bin/python scripts/plant_regression.py                      # 10 trials, gui
    .venv/bin/python scripts/plant_regression.py --trials 3 --out artifacts/plant

Copies this checkout's launcher/ and src/ three times: BASE; FIRST-FRAME, with a sleep of
--first-frame-pct of BASE's first frame at the top of sloppy.ui.gui_2 (the first-frame path);
WARM, with a sleep of --warm-pct of BASE's warm-done time in sloppy.ui.markdown_table (a warm-list
module: the warm lane). The sleeps are sized from a calibration comparison of BASE with itself.
Each trial then runs three comparisons (A/A, BASE vs FIRST-FRAME, BASE vs WARM) with a new
seed, and counts a detection when the comparison exits 1 naming the planted metric.
Writes plant.json, plant.md and every comparison's JSON to --out; prints the rates. Quote
the load average with them.

    .venv/bin/python scripts/plant_regression.py --bisect import --commits 32
    .venv/bin/python scripts/plant_regression.py --bisect sleep --commits 32 --mode headless

``--bisect``: in a temporary clone, a branch of the last --commits first-parent commits of
HEAD (their own trees and messages) with one planted commit in the middle: an extra import
on the first-frame path (``import``) or a sleep (``sleep``, a timed-only regression) in
``sloppy/__init__.py``, kept in every later commit; then ``sloppy bench bisect`` over it.
Prints the culprit, the probes and the time (bisect.json, bisect.md in --out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"aa": None, "first-frame": "first_frame_s", "warm": "warm_done_s"}


def copy_tree(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("launcher", "src"):
        shutil.copytree(ROOT / part, dest / part, ignore=ignore)
    return dest


def plant_sleep(tree: Path, module: str, seconds: float) -> None:
    """Put ``time.sleep(seconds)`` at the top of ``module`` (after its __future__ import)."""
    path = tree / "src" / Path(*module.split(".")).with_suffix(".py")
    text = path.read_text()
    marker = "from __future__ import annotations\n"
    sleep = f"import time as _planted_time\n\n_planted_time.sleep({seconds:.4f})\n"
    if marker not in text:
        raise SystemExit(f"{module}: no __future__ import to plant after")
    path.write_text(text.replace(marker, marker + "\n" + sleep, 1))


def compare(base: Path, head: Path, out: Path, args: argparse.Namespace, seed: int) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "sloppy_launcher.sloppy_main",
        "bench",
        "compare",
        str(base),
        str(head),
        f"--mode={args.mode}",
        f"--json={out}",
        f"--seed={seed}",
        f"--min-effect={args.min_effect}",
        "--no-cachegrind",
    ]
    if args.runs:
        cmd.append(f"--runs={args.runs}")
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 3):  # 3: inconclusive, a result like the others
        raise SystemExit(f"compare failed ({proc.returncode}): {proc.stderr[-1500:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall_s"] = time.monotonic() - started
    return result


#: The demo branch's commits need an identity; a machine (or HOME) without a git config has none.
DEMO_IDENTITY = {
    "GIT_AUTHOR_NAME": "sloppy bisect demo",
    "GIT_AUTHOR_EMAIL": "bisect-demo@localhost",
    "GIT_COMMITTER_NAME": "sloppy bisect demo",
    "GIT_COMMITTER_EMAIL": "bisect-demo@localhost",
}


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    env = {**DEMO_IDENTITY, **os.environ}
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()


PLANTS = {
    "import": "import colorsys  # planted: a new first-frame import\n",
    "sleep": "import time as _planted_time\n\n_planted_time.sleep({sleep})  # planted\n",
}


def bisect_demo(args: argparse.Namespace) -> int:
    """A planted regression among this repository's real commits, found by bisect."""
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sloppy-bisect-demo-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        real = git(clone, "rev-list", "--first-parent", f"--max-count={args.commits + 1}", "HEAD")
        shas = real.split()[::-1]  # GOOD, then the commits after it
        at = args.at if args.at is not None else len(shas) // 2
        path = "src/sloppy/__init__.py"
        line = PLANTS[args.bisect].format(sleep=args.sleep)
        head = shas[0]
        planted_sha = ""
        for i, sha in enumerate(shas[1:], start=1):
            for planted_now in [False, True] if i == at else [i > at]:
                tree = git(clone, "rev-parse", f"{sha}^{{tree}}")
                message = git(clone, "log", "-1", "--format=%B", sha)
                if planted_now:
                    text = git(clone, "show", f"{sha}:{path}") + "\n" + line
                    blob = git(clone, "hash-object", "-w", "--stdin", stdin=text)
                    git(clone, "read-tree", tree)
                    git(clone, "update-index", "--cacheinfo", f"100644,{blob},{path}")
                    tree = git(clone, "write-tree")
                    if i == at and not planted_sha:
                        message = f"Planted: {args.bisect} in {path}"
                head = git(clone, "commit-tree", tree, "-p", head, "-m", message)
                if i == at and planted_now and not planted_sha:
                    planted_sha = head
        git(clone, "branch", "-f", "planted-demo", head)
        cmd = [
            sys.executable,
            "-m",
            "sloppy_launcher.sloppy_main",
            "bench",
            "bisect",
            shas[0],
            "planted-demo",
            f"--mode={args.mode}",
            f"--json={args.out / 'bisect.json'}",
            f"--markdown={args.out / 'bisect.md'}",
        ]
        if args.metric:
            cmd.append(f"--metric={args.metric}")
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=clone, check=False)
        wall = time.monotonic() - started
    result = json.loads((args.out / "bisect.json").read_text())
    culprit = result.get("culprit") or {}
    named = culprit.get("sha") == planted_sha
    print(
        f"bisect over {len(shas)} commits ({args.bisect} planted at {at}): exit {proc.returncode}, "
        f"{'named the planted commit' if named else 'did NOT name the planted commit'}; "
        f"{len(result['probes'])} probes, {wall:.0f} s wall"
    )
    return 0 if named else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bisect", choices=sorted(PLANTS), help="run the bisect demonstration")
    ap.add_argument("--commits", type=int, default=32, help="--bisect: real commits in range")
    ap.add_argument("--at", type=int, default=None, help="--bisect: where to plant (middle)")
    ap.add_argument("--sleep", type=float, default=0.4, help="--bisect sleep: seconds")
    ap.add_argument("--metric", default=None, help="--bisect: the metric (default by mode)")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--mode", choices=["gui", "headless"], default="gui")
    ap.add_argument("--scenarios", default="aa,first-frame,warm")
    ap.add_argument("--first-frame-pct", type=float, default=10.0)
    ap.add_argument("--warm-pct", type=float, default=15.0)
    ap.add_argument("--min-effect", type=float, default=3.0)
    ap.add_argument("--runs", type=int, default=None, help="fixed pairs (default: adaptive)")
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "plant")
    args = ap.parse_args(argv)
    if args.bisect:
        return bisect_demo(args)
    scenarios = [s for s in args.scenarios.split(",") if s]
    if args.mode == "headless":
        scenarios = [s for s in scenarios if s != "first-frame"]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sloppy-plant-") as tmp:
        work = Path(tmp)
        base = copy_tree(work / "base")
        calib = compare(base, base, args.out / "calib.json", args, seed=999)
        med = {
            k: calib["metrics"][k]["base"]
            for k in ("first_frame_s", "warm_done_s")
            if k in calib["metrics"]
        }
        sleeps = {}
        heads = {"aa": copy_tree(work / "aa")}
        if "first-frame" in scenarios:
            sleeps["first-frame"] = med["first_frame_s"] * args.first_frame_pct / 100
            heads["first-frame"] = copy_tree(work / "first-frame")
            plant_sleep(heads["first-frame"], "sloppy.ui.gui_2", sleeps["first-frame"])
        if "warm" in scenarios:
            sleeps["warm"] = med["warm_done_s"] * args.warm_pct / 100
            heads["warm"] = copy_tree(work / "warm")
            plant_sleep(heads["warm"], "sloppy.ui.markdown_table", sleeps["warm"])
        print(f"calibration medians {med}; planted sleeps {sleeps}", flush=True)
        rows: list[dict[str, Any]] = []
        for trial in range(args.trials):
            for name in scenarios:
                r = compare(base, heads[name], args.out / f"{name}-{trial}.json", args, seed=trial)
                target = SCENARIOS[name]
                flagged = r["exit_code"] == 1 and (target is None or target in r["failing"])
                row = {
                    "trial": trial,
                    "scenario": name,
                    "flagged": flagged,
                    "failing": r["failing"],
                    "runs": r["runs"]["base"],
                    "wall_s": round(r["wall_s"], 1),
                    "load": r["environment"]["load_average"],
                    "changes": {
                        k: [round(r["metrics"][k]["change"], 4), r["metrics"][k]["ci95"]]
                        for k in ("first_frame_s", "warm_done_s")
                        if k in r["metrics"]
                    },
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    summary = {}
    for name in scenarios:
        mine = [r for r in rows if r["scenario"] == name]
        summary[name] = {
            "flagged": sum(r["flagged"] for r in mine),
            "trials": len(mine),
            "wall_s_median": statistics.median(r["wall_s"] for r in mine) if mine else None,
            "wall_s_max": max((r["wall_s"] for r in mine), default=None),
        }
    doc = {
        "mode": args.mode,
        "sleeps_s": sleeps,
        "calibration_medians": med,
        "min_effect_pct": args.min_effect,
        "cpus": os.cpu_count(),
        "summary": summary,
        "rows": rows,
    }
    (args.out / "plant.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = [
        f"Planted-regression trials ({args.mode}; min effect {args.min_effect}%; "
        f"sleeps {', '.join(f'{k} {v * 1000:.0f} ms' for k, v in sleeps.items())}; "
        f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')})",
        "",
        "| scenario | flagged | trials | rate | time per comparison (median / max) |",
        "|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        what = "false alarms" if name == "aa" else "detections"
        lines.append(
            f"| {name} ({what}) | {s['flagged']} | {s['trials']} | "
            f"{s['flagged'] / max(s['trials'], 1):.0%} | {s['wall_s_median']:.0f} s / "
            f"{s['wall_s_max']:.0f} s |"
        )
    (args.out / "plant.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
