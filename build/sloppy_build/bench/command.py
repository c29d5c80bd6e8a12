"""The ``sloppy bench compare`` command line (click); ``sloppy_build.cli`` hands over to it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sloppy_build.bench import report
from sloppy_build.bench.compare import METRICS, Options, compare
from sloppy_build.bench.targets import BenchError

#: Exit codes: 0 no regression, 1 HEAD slower on a gated metric, 2 usage or run error,
#: 3 inconclusive (a gated timed metric neither showed nor ruled out a slowdown).
EXIT_ERROR = 2


@click.command(name="compare")
@click.argument("base")
@click.argument("head")
@click.option("--mode", type=click.Choice(["gui", "headless"]), default="gui", show_default=True)
@click.option("--cold", is_flag=True, help="Evict the page cache before each run.")
@click.option(
    "--runs",
    type=click.IntRange(4, 200),
    default=None,
    help="Pairs per batch, at least 4 (default: adaptive).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Markdown report; one SVG per timed metric is written beside it.",
)
@click.option(
    "--min-effect",
    type=click.FloatRange(0, 500),
    default=3.0,
    show_default=True,
    help="Smallest slowdown (percent) a timed verdict calls slower.",
)
@click.option(
    "--budget",
    type=click.FloatRange(10, 7200),
    default=270.0,
    show_default=True,
    help="Seconds the adaptive runs may take (both batches).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Run order seed.")
@click.option("--no-cachegrind", is_flag=True, help="Skip the instruction counts.")
@click.option(
    "--upgrade",
    is_flag=True,
    help="One shared home, strictly alternating: measure the first launch after switching "
    "versions (warm cache rebuilt) as the upgrade_* metrics.",
)
@click.option(
    "--accept",
    multiple=True,
    type=click.Choice([m.name for m in METRICS if m.gated]),
    help="Report this gated metric without failing on it (an accepted cost).",
)
def compare_command(
    base: str,
    head: str,
    mode: str,
    cold: bool,
    runs: int | None,
    json_path: Path | None,
    markdown_path: Path | None,
    min_effect: float,
    budget: float,
    seed: int,
    no_cachegrind: bool,
    upgrade: bool,
    accept: tuple[str, ...],
) -> None:
    """Compare two builds of sloppy: BASE and HEAD are each a source tree, a git revision of
    this checkout, or a bundle directory. Exit 0: no regression; 1: HEAD slower on a gated
    metric; 2: usage or run error; 3: inconclusive (CI: a warning, not a pass)."""
    opts = Options(
        mode=mode,
        cold=cold,
        runs=runs,
        min_effect=min_effect / 100,
        budget_s=budget,
        seed=seed,
        cachegrind=not no_cachegrind,
        accept=accept,
        upgrade=upgrade,
    )
    try:
        result = compare(base, head, opts)
    except BenchError as exc:
        click.echo(f"sloppy bench compare: {exc}", err=True)
        raise SystemExit(EXIT_ERROR) from exc
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=1) + "\n")
    text = None
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        text = report.markdown(result, report.write_svgs(result, markdown_path))
        markdown_path.write_text(text)
    click.echo(text if text is not None else report.markdown(result), nl=False)
    raise SystemExit(result["exit_code"])
