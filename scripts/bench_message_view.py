"""Frame times while scrolling huge messages, beside a control of ordinary ones.

    .venv/bin/python scripts/bench_message_view.py [--runs N] [--json FILE]

Runs the message harness (``tests/support/message_harness.py``, the renderer in a real window on
a private Xvfb) alternately on two sets, scrolling top to bottom and back: **control** (four
ordinary long replies, about 25 kB each) and **huge** (ordinary replies, a 10,000-column
table and a 10.5 MB single line). Per run: the longest, p99 and median frame (between
presented frames, so machine load shows in both sets), and the same for the time the
messages took to draw (``draw_ms``, the renderer's own share). Prints medians over runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit.xvfb_display import start_xvfb  # noqa: E402

HARNESS = ROOT / "tests" / "support" / "message_harness.py"
NORMAL = (
    "# A heading\n\nSome **bold**, *italic*, _underscored_ and `inline code`.\n\n"
    "| name | cost |\n|---|--:|\n| a | 1 |\n\n```python\nprint('hi')\n```\n\n"
    + "\n\n".join(f"Paragraph {i} with a [link](https://example.com/{i})." for i in range(40))
)


def wide_table(columns: int) -> str:
    head = "|" + "|".join(f"c{i}" for i in range(columns)) + "|"
    sep = "|" + "|".join("---" for _ in range(columns)) + "|"
    return f"{head}\n{sep}\n" + "|" + "|".join(str(i) for i in range(columns)) + "|\n"


#: An ordinary long reply: a screen full of text, as dense as the huge line's.
LONG = "\n\n".join(
    f"Paragraph {i}: " + "ordinary **bold** words and *italic* ones, " * 8 for i in range(60)
)

SETS = {
    "control": [{"id": f"n{i}", "text": NORMAL + "\n\n" + LONG} for i in range(4)],
    "huge": [
        {"id": "n0", "text": NORMAL},
        {"id": "table", "text": wide_table(10_000)},
        {"id": "line", "text": "word **bold** " * 750_000},
        {"id": "n1", "text": NORMAL},
    ],
}


def run(name: str, work: Path, display: str) -> dict[str, float]:
    src, out = work / f"{name}.json", work / f"{name}-out.json"
    src.write_text(json.dumps(SETS[name]))
    home = work / f"home-{name}"
    env = {**os.environ, "DISPLAY": display, "SLOPPY_HOME": str(home)}
    subprocess.run(
        [sys.executable, str(HARNESS), str(src), str(out), "--scroll"],
        env=env,
        check=True,
        timeout=900,
        capture_output=True,
    )
    data = json.loads(out.read_text())
    frames = data["frames_ms"][2:]  # the window's own first frames
    draws = [s["draw_ms"] for s in data["stats"]]
    return {
        "frame_max_ms": max(frames),
        "frame_p99_ms": _pct(frames, 0.99),
        "frame_p50_ms": statistics.median(frames),
        "draw_max_ms": max(draws),
        "draw_p99_ms": _pct(draws, 0.99),
        "draw_p50_ms": statistics.median(draws),
        "frames": len(frames),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    xvfb, display = start_xvfb("1280x800x24")
    results: dict[str, list[dict[str, float]]] = {k: [] for k in SETS}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                for name in list(SETS) if i % 2 == 0 else list(reversed(SETS)):
                    results[name].append(run(name, Path(tmp), display))
                    print(name, results[name][-1], flush=True)
    finally:
        xvfb.terminate()
    load = os.getloadavg()
    summary = {
        name: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        for name, rows in results.items()
    }
    print(f"load average {load[0]:.1f}; medians over {args.runs} alternating runs:")
    for name, row in summary.items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in row.items()))
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "summary": summary, "load": load}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
