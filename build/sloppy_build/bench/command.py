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


def _write(path: Path | None, text: str) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@click.command(name="bisect")
@click.argument("good")
@click.argument("bad")
@click.option(
    "--metric",
    default=None,
    help="What to bisect (default: the path's module list; e.g. first_frame_code_kib, "
    "startup_instructions, warm_done_s, first_frame_s).",
)
@click.option(
    "--mode", type=click.Choice(["gui", "headless"]), default="headless", show_default=True
)
@click.option("--all-parents", is_flag=True, help="Walk every commit, not only first parents.")
@click.option("--min-effect", type=click.FloatRange(0, 500), default=3.0, show_default=True)
@click.option(
    "--budget",
    type=click.FloatRange(60, 86400),
    default=1800.0,
    show_default=True,
    help="Seconds the probes may take in all (timed metrics).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Markdown report; the SVG of the metric across the probes is written beside it.",
)
@click.option("--record", is_flag=True, help="Also keep the exact probes in the history notes.")
def bisect_command(
    good: str,
    bad: str,
    metric: str | None,
    mode: str,
    all_parents: bool,
    min_effect: float,
    budget: float,
    json_path: Path | None,
    markdown_path: Path | None,
    record: bool,
) -> None:
    """Find the first commit between GOOD and BAD that made start-up worse. Exit 0: GOOD and
    BAD do not differ; 1: found; 2: usage or run error; 3: GOOD against BAD is inconclusive;
    4: could not isolate (non-monotonic history, or an inconclusive probe)."""
    from sloppy_build.bench import bisect, history
    from sloppy_build.bench.compare import stderr_log, stderr_status
    from sloppy_build.bench.targets import repository
    from sloppy_build.progress import Printer

    printer = Printer()
    try:
        result = bisect.bisect(
            good,
            bad,
            metric=metric,
            mode=mode,
            first_parent=not all_parents,
            min_effect=min_effect / 100,
            budget_s=budget,
            log=stderr_log(printer),
            status=stderr_status(printer),
        )
        if record:
            repo = repository(Path.cwd())
            for sha, values in result.get("records", {}).items():
                if repo is not None:
                    history.record(repo, sha, mode, values)
    except BenchError as exc:
        click.echo(f"sloppy bench bisect: {exc}", err=True)
        raise SystemExit(EXIT_ERROR) from exc
    chart = None
    if markdown_path is not None:
        chart_path = markdown_path.with_name(f"{markdown_path.stem}-{result['metric']}.svg")
        chart_path.parent.mkdir(parents=True, exist_ok=True)
        chart_path.write_text(report.bisect_svg(result))
        chart = chart_path.name
    _write(json_path, json.dumps(result, indent=1) + "\n")
    text = report.bisect_markdown(result, chart)
    _write(markdown_path, text)
    click.echo(text, nl=False)
    raise SystemExit(result["exit_code"])


@click.command(name="history")
@click.argument("rev_range", default="HEAD~50..HEAD")
@click.option("--mode", type=click.Choice(["gui", "headless"]), default="gui", show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("artifacts/bench-history"),
    show_default=True,
)
def history_command(rev_range: str, mode: str, out: Path) -> None:
    """Draw start-up metrics across REV_RANGE from the recorded results (git notes
    refs/notes/sloppy-bench): one SVG per metric and a Markdown table of the steps."""
    from sloppy_build.bench import history
    from sloppy_build.bench.targets import repository

    repo = repository(Path.cwd())
    if repo is None:
        raise click.ClickException("history needs a git checkout")
    try:
        rows = history.rows(repo, rev_range, mode)
    except BenchError as exc:
        raise click.ClickException(str(exc)) from exc
    page = history.write(rows, out, mode, rev_range)
    recorded = sum(1 for r in rows if r.values)
    click.echo(f"{recorded} of {len(rows)} commits recorded; {page}")


@click.command(name="record")
@click.option(
    "--from-json",
    "from_json",
    type=click.Path(path_type=Path, exists=True),
    multiple=True,
    required=True,
    help="A `sloppy bench compare --json` result: its revisions' metrics are recorded.",
)
def record_command(from_json: tuple[Path, ...]) -> None:
    """Keep the metrics of compared revisions in the start-up history (git notes)."""
    from sloppy_build.bench import history
    from sloppy_build.bench.targets import repository

    repo = repository(Path.cwd())
    if repo is None:
        raise click.ClickException("record needs a git checkout")
    for path in from_json:
        for sha, mode, values in history.from_compare(json.loads(path.read_text())):
            history.record(repo, sha, mode, values)
            click.echo(f"recorded {len(values)} {mode} metrics for {sha[:12]}")
