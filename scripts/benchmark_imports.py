"""Fresh-process import time of each sloppy module and each heavy module.

    python scripts/benchmark_imports.py --runs=3 --color=never [--json PATH]

Each module is imported in a new interpreter, ``--runs`` times (modules interleaved, so noise
spreads evenly); prints min / median / max milliseconds and whether ``.pyc`` files were there
to be read. Colour: green under 50 ms, yellow under 300 ms, red above (``never``: plain text).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sloppy.warm.warmlist import WARM_LIST  # noqa: E402

CHILD = (
    "import time, importlib, sys\n"
    "t = time.perf_counter(); importlib.import_module(sys.argv[1])\n"
    "print(time.perf_counter() - t)\n"
)
COLORS = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m", "reset": "\033[0m"}


def sloppy_modules() -> list[str]:
    src = ROOT / "src"
    return sorted(
        ".".join(p.relative_to(src).with_suffix("").parts)
        for p in (src / "sloppy").rglob("*.py")
        if p.stem != "__init__"
    )


def heavy_modules() -> list[str]:
    return [e.module for e in WARM_LIST if not e.module.startswith("sloppy.")]


def pyc_present(module: str) -> bool:
    """True if the module's compiled file exists where the interpreter will look for it."""
    spec = importlib.util.find_spec(module.split(".", maxsplit=1)[0])
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return False
    if os.environ.get("PYTHONPYCACHEPREFIX"):
        prefix = Path(os.environ["PYTHONPYCACHEPREFIX"])
        return any(prefix.rglob(Path(spec.origin).stem + ".*.pyc"))
    return Path(importlib.util.cache_from_source(spec.origin)).is_file()


def measure(modules: list[str], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(runs):
        for module in modules:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, module],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
                cwd=ROOT,
            )
            times[module].append(float(out.stdout.strip().splitlines()[-1]) * 1000)
    return times


def paint(text: str, ms: float, color: bool) -> str:
    if not color:
        return text
    tone = "green" if ms < 50 else "yellow" if ms < 300 else "red"
    return f"{COLORS[tone]}{text}{COLORS['reset']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--modules", default="", help="comma-separated subset (default: all)")
    args = ap.parse_args(argv)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    modules = [m for m in args.modules.split(",") if m] or sloppy_modules() + heavy_modules()
    times = measure(modules, args.runs)
    pyc = {m: pyc_present(m) for m in [*heavy_modules(), "sloppy"]}
    print(f"fresh-process import times, {args.runs} runs each, Python {sys.version.split()[0]}")
    print(
        f".pyc present: sloppy {pyc['sloppy']}, heavy modules "
        f"{sum(pyc[m] for m in heavy_modules())}/{len(heavy_modules())}; "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}"
    )
    print(f"{'module':32s} {'min':>8s} {'median':>8s} {'max':>8s}  (ms)")
    rows = {}
    for module, values in times.items():
        lo, med, hi = min(values), statistics.median(values), max(values)
        rows[module] = {"min_ms": lo, "median_ms": med, "max_ms": hi}
        line = f"{module:32s} {lo:8.1f} {med:8.1f} {hi:8.1f}"
        print(paint(line, med, color))
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "pyc": pyc, "modules": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
