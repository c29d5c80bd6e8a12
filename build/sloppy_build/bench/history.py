"""The start-up history: each commit's metrics, kept in git notes, drawn as a trend.

Where the results live: **git notes** under ``refs/notes/sloppy-bench``, one JSON note per
commit (``{"gui": {metric: value}, "headless": {...}}``). Instead of a file in the source tree
(every record would be a commit of its own and conflict on merge), a results branch (a second
history to keep in step) or CI artefacts (kept for weeks, then gone, and not in a clone):
a note is attached to the commit it measures, so a revision range maps straight to its records;
it travels with the repository (``git push origin refs/notes/sloppy-bench``, ``git fetch
origin refs/notes/sloppy-bench:refs/notes/sloppy-bench``); and it never changes a commit.
Two writers rarely note the same commit; when they do, ``git notes merge -s theirs`` keeps
one record (either is a valid measurement).

``sloppy bench compare`` results feed it (``sloppy bench record --from-json``, which CI runs
after its comparisons), and so do ``bisect``'s exact probes (``--record``);
``sloppy bench history [RANGE]`` draws it.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sloppy_build.bench import svg
from sloppy_build.bench.compare import METRICS
from sloppy_build.bench.targets import BenchError

NOTES_REF = "refs/notes/sloppy-bench"
EXACT = {m.name for m in METRICS if m.exact}


#: A notes commit needs an identity; a CI clone may have none configured.
_IDENTITY = ("-c", "user.name=sloppy bench", "-c", "user.email=sloppy-bench@localhost")


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    configured = subprocess.run(
        ["git", "-C", str(repo), "config", "user.email"], capture_output=True, check=False
    )
    identity = () if configured.returncode == 0 else _IDENTITY
    proc = subprocess.run(
        ["git", *identity, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if check and proc.returncode != 0:
        raise BenchError(f"git {' '.join(args[:3])}: {proc.stderr.strip()[-300:]}")
    return proc


def read(repo: Path, sha: str) -> dict[str, dict[str, float]]:
    """The note of ``sha`` ({} without one; a note that is not ours is ignored)."""
    proc = _git(repo, "notes", f"--ref={NOTES_REF}", "show", sha, check=False)
    if proc.returncode != 0:
        return {}
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def record(repo: Path, sha: str, mode: str, values: dict[str, float]) -> dict[str, Any]:
    """Merge ``values`` (one mode's metrics) into the note of ``sha``; returns the note."""
    note = read(repo, sha)
    note.setdefault(mode, {}).update(
        {k: float(v) for k, v in values.items() if isinstance(v, int | float)}
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(note, fh, sort_keys=True)
        path = fh.name
    try:
        _git(repo, "notes", f"--ref={NOTES_REF}", "add", "-f", "-F", path, sha)
    finally:
        Path(path).unlink()
    return note


def from_compare(result: dict[str, Any]) -> list[tuple[str, str, dict[str, float]]]:
    """``(sha, mode, values)`` for each side of a comparison that is a git revision: the exact
    metrics and the medians of the timed ones."""
    out = []
    for side in ("base", "head"):
        target = result[side]
        if target.get("kind") != "revision" or not target.get("commit"):
            continue  # a work tree or a bundle is not one commit
        values = {
            name: m[side]
            for name, m in result["metrics"].items()
            if isinstance(m.get(side), int | float)
        }
        out.append((str(target["commit"]), str(result["mode"]), values))
    return out


@dataclass
class Row:
    sha: str
    subject: str
    values: dict[str, float]


def rows(repo: Path, rev_range: str, mode: str, *, first_parent: bool = True) -> list[Row]:
    """Every commit of ``rev_range`` (oldest first) with its recorded values for ``mode``."""
    flags = ["--first-parent"] if first_parent else []
    text = _git(repo, "log", *flags, "--reverse", "--format=%H%x09%s", rev_range).stdout
    out = []
    for line in text.splitlines():
        sha, _, subject = line.partition("\t")
        out.append(Row(sha, subject, read(repo, sha).get(mode, {})))
    return out


def changes(history: list[Row]) -> list[dict[str, Any]]:
    """Commits where an exact metric moved since the previous recorded commit."""
    out = []
    previous: dict[str, float] = {}
    for row in history:
        moved = {
            name: (previous[name], value)
            for name, value in row.values.items()
            if name in EXACT and name in previous and previous[name] != value
        }
        if moved:
            out.append({"sha": row.sha, "subject": row.subject, "moved": moved})
        previous.update({k: v for k, v in row.values.items() if k in EXACT})
    return out


def write(history: list[Row], out: Path, mode: str, rev_range: str) -> Path:
    """One SVG per metric (steps marked where the exact metrics jumped) and a Markdown page."""
    out.mkdir(parents=True, exist_ok=True)
    recorded = [r for r in history if r.values]
    moved = changes(recorded)
    step_at = {c["sha"] for c in moved}
    marks = [i for i, r in enumerate(recorded) if r.sha in step_at]
    labels = [f"{r.sha[:8]} {r.subject[:24]}" for r in recorded]
    names = sorted({n for r in recorded for n in r.values}, key=_metric_order)
    lines = [
        f"# sloppy start-up history ({mode}, {rev_range})",
        "",
        f"{len(recorded)} of {len(history)} commits have recorded results "
        f"(git notes {NOTES_REF}). Dashed red lines: an exact metric stepped there.",
        "",
    ]
    for name in names:
        series = {name: [r.values.get(name) for r in recorded]}
        path = out / f"history-{mode}-{name}.svg"
        tips = [f"{r.sha[:12]} {r.subject}" for r in recorded]
        path.write_text(svg.line_chart(name, labels, series, marks=marks, tips=tips))
        lines.append(f"![{name}]({path.name})")
    lines += ["", "## Commits where an exact metric changed", ""]
    if moved:
        lines += ["| commit | subject | metric | before | after |", "|---|---|---|---|---|"]
        for c in moved:
            for name, (before, after) in sorted(c["moved"].items()):
                lines.append(
                    f"| {c['sha'][:12]} | {c['subject'][:60]} | {name} | {before:,.6g} "
                    f"| {after:,.6g} |"
                )
    else:
        lines.append("None in this range.")
    page = out / f"history-{mode}.md"
    page.write_text("\n".join(lines) + "\n")
    return page


def _metric_order(name: str) -> tuple[int, str]:
    order = [m.name for m in METRICS]
    return (order.index(name) if name in order else len(order), name)
