"""Regression check: compare a benchmark run's ratios to the floor with the committed baseline.

    python scripts/check_regression.py                 # 3 alternating runs: floor, sloppy
    python scripts/check_regression.py --update        # accept this run as the new baseline

Ratios (sloppy / floor, measured in the same run) cancel most machine noise; medians of
alternating runs remove most of the rest. A metric regresses when its ratio exceeds the
baseline's by more than the stated tolerance (relative). Exit 1 on any regression.
A heavy import back on the first-frame path costs seconds: the first-frame ratio goes from
about 1 to 4 or more, far past its tolerance.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "benchmarks" / "baseline.json"
#: Relative tolerance per metric: first frames are steady, warm times vary more here.
TOLERANCE = {"first_frame_ratio": 0.30, "warm_done_ratio": 0.60}


def compare(baseline: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """Human-readable regressions of ``summary`` against ``baseline`` (empty: none)."""
    problems = []
    for variant, metrics in baseline["ratios"].items():
        current = summary.get(variant)
        if current is None:
            problems.append(f"{variant}: not measured")
            continue
        for metric, expected in metrics.items():
            got = current.get(metric)
            limit = expected * (1 + baseline["tolerance"].get(metric, 0.3))
            if got is None:
                problems.append(f"{variant} {metric}: not measured")
            elif got > limit:
                problems.append(
                    f"{variant} {metric}: {got:.2f} > {limit:.2f} "
                    f"(baseline {expected:.2f} + {baseline['tolerance'][metric]:.0%})"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--baseline", type=Path, default=BASELINE)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--variants", default="floor,sloppy")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "scripts"))
    import benchmark_startup

    with tempfile.TemporaryDirectory(prefix="sloppy-regress-") as out:
        benchmark_startup.main(
            # The baseline's ratios are to the default-MSAA floor, .pyc present.
            [
                *("--runs", str(args.runs), "--variants", args.variants, "--out", out),
                *("--pyc", "present", "--floor", "floor", "--eager", "eager"),
            ]
        )
        summary = json.loads((Path(out) / "results.json").read_text())["summary"]
    variants = [v for v in args.variants.split(",") if v != "floor"]
    if args.update:
        doc = {
            "note": "ratios to the floor measured in the same run; see scripts/check_regression.py",
            "tolerance": TOLERANCE,
            "ratios": {
                v: {m: round(summary[v][m], 3) for m in TOLERANCE if summary[v].get(m) is not None}
                for v in variants
            },
        }
        args.baseline.parent.mkdir(parents=True, exist_ok=True)
        args.baseline.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"baseline updated: {args.baseline}")
        return 0
    baseline = json.loads(args.baseline.read_text())
    problems = compare(baseline, summary)
    for problem in problems:
        print(f"REGRESSION {problem}")
    if problems:
        return 1
    print(
        "no regression: "
        + ", ".join(
            f"{v} {m} {summary[v][m]:.2f} (baseline {r:.2f})"
            for v, ms in baseline["ratios"].items()
            for m, r in ms.items()
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
