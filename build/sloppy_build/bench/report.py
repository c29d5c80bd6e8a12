"""Reports people read: a Markdown table, one SVG strip plot per timed metric, a summary line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sloppy_build.bench import svg
from sloppy_build.sizes import MIB

VERDICT_MARK = {
    "slower": "**slower**",
    "faster": "faster",
    "same": "same",
    "inconclusive": "*inconclusive*",
}


def load_line(load: list[float]) -> str:
    """``load 1.6 -> 2.0 (1 min)`` from the six numbers (1, 5, 15 min before, then after)."""
    if len(load) < 4:
        return "load unknown"
    return f"load {load[0]:.1f} -> {load[3]:.1f} (1 min)"


def side_line(side: dict[str, Any]) -> str:
    """What one side is: its label, version, commit, build id and sizes."""
    parts = [side["label"], f"version {side.get('version', 'unknown')}"]
    if side.get("commit"):
        parts.append(f"commit {side['commit'][:12]}")
    if side.get("build"):
        parts.append(f"build {side['build'][:12]}")
    if side.get("bundle_bytes"):
        parts.append(f"bundle {side['bundle_bytes'] / MIB:.1f} MiB")
    if side.get("archive_bytes"):
        parts.append(f"archive {side['archive_bytes'] / MIB:.1f} MiB")
    return "; ".join(parts)


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("", "KiB", "M"):
        return f"{value:,.0f}{(' ' + unit) if unit else ''}" if value >= 100 else f"{value:.2f}"
    return f"{value:.3f} {unit}" if value < 10 else f"{value:.1f} {unit}"


def _pct(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:+.1%}"


def markdown(result: dict[str, Any], svgs: dict[str, str] | None = None) -> str:
    """The comparison as Markdown: what was compared, then one row per metric."""
    b, h, env = result["base"], result["head"], result["environment"]
    flags = "".join(
        f", {flag}"
        for flag, on in (("cold", result["cold"]), ("upgrade", result.get("upgrade")))
        if on
    )
    order = (
        "strictly alternating in one shared home (each run the first launch after the other)"
        if result.get("upgrade")
        else "randomised pair order"
    )
    lines = [
        f"# sloppy bench compare ({result['mode']}{flags})",
        "",
        f"- BASE: {side_line(b)}",
        f"- HEAD: {side_line(h)}",
        f"- runs: {result['runs']['base']} + {result['runs']['head']} in "
        f"{result['batches']} batch(es), {order}; {result['seconds']} s; "
        f"min effect {result['min_effect']:.0%}",
        f"- Python {env['python']}, {env['cpus']} CPUs, {load_line(env['load_average'])}; "
        + "; ".join(env[k] for k in ("bytecode", "dependencies", "bundles", "exact") if k in env),
        "",
        "| metric | base | head | change (95% CI) | p | verdict | gate |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in result["metrics"].items():
        lo, hi = (_pct(x) for x in m["ci95"])
        change = f"{m['change']:+.1%}" if m["exact"] else f"{m['change']:+.1%} [{lo}, {hi}]"
        p = "-" if m.get("p") is None else f"{m['p']:.3f}"
        gate = "accepted" if m.get("accepted") else ("exact" if m["exact"] else "timed")
        if not m["gated"] and not m.get("accepted"):
            gate = "report"
        if m.get("confirmed") is not None:
            gate += ", confirmed" if m["confirmed"] else ", NOT confirmed by batch 2"
        lines.append(
            f"| {name} | {_num(m['base'], m['unit'])} | {_num(m['head'], m['unit'])} | {change}"
            f" | {p} | {VERDICT_MARK[m['verdict']]} | {gate} |"
        )
    diff = result.get("import_path") or {}
    if diff.get("added") or diff.get("removed"):
        lines += ["", "## Start-up import path", ""]
        for item in diff.get("added", []):
            own = (
                " (sloppy's own: judged by code bytes and instructions)" if item.get("own") else ""
            )
            lines.append(f"- new: `{item['module']}` via {' <- '.join(item['chain'][1:])}{own}")
        for name in diff.get("removed", []):
            lines.append(f"- gone: `{name}`")
    if svgs:
        lines += ["", "## Run distributions", ""]
        lines += [f"![{name}]({path})" for name, path in svgs.items()]
    lines += [
        "",
        "Timed: Hodges-Lehmann change of HEAD over BASE with its Mann-Whitney 95% interval;",
        "slower only when the whole interval lies above the minimum effect and a second batch",
        "confirms it; same only when it rules out a slowdown of the minimum effect; otherwise",
        "inconclusive (more runs or a quieter machine needed). Exact: a new module from outside",
        "sloppy on the path fails; code bytes and instructions fail past their tolerance.",
        "",
        summary_line(result),
    ]
    return "\n".join(lines) + "\n"


def write_svgs(result: dict[str, Any], markdown_path: Path) -> dict[str, str]:
    """One SVG per timed metric beside the Markdown file; name -> relative path."""
    out = {}
    for name, m in result["metrics"].items():
        samples = m.get("samples")
        if m["exact"] or not samples or not any(samples.values()):
            continue
        path = markdown_path.with_name(f"{markdown_path.stem}-{name}.svg")
        path.write_text(svg.strip_plot(name, m["unit"], samples))
        out[name] = path.name
    return out


def summary_line(result: dict[str, Any]) -> str:
    """One line for the end of stdout (and CI logs)."""
    parts = []
    for name, m in result["metrics"].items():
        if m["gated"] or m["verdict"] != "same":
            parts.append(f"{name} {m['change']:+.1%} {m['verdict']}")
    if result["failing"]:
        head, names = "REGRESSION", result["failing"]
    elif result.get("inconclusive"):
        head, names = "INCONCLUSIVE", result["inconclusive"]
    else:
        head, names = "no regression", []
    failing = f" ({', '.join(names)})" if names else ""
    return (
        f"{head}{failing}: {'; '.join(parts)} "
        f"[{result['runs']['base']}+{result['runs']['head']} runs, {result['seconds']} s]"
    )


def bisect_markdown(result: dict[str, Any], chart: str | None = None) -> str:
    """A bisection: the answer first, then every probe, then the chart."""
    unit = result["unit"] or ""
    kind = "exact" if result["exact"] else "timed (change against GOOD)"

    def value(p: dict[str, Any]) -> str:
        if p["value"] is None:
            return "-"
        if result["exact"]:
            return _num(p["value"], unit)
        ci = p.get("interval")
        band = f" [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else ""
        return f"{p['value']:+.1%}{band}"

    lines = [
        f"# sloppy bench bisect: {result['metric']} ({result['mode']}, {kind})",
        "",
        f"- GOOD {result['good'][:12]}, BAD {result['bad'][:12]}: {result['commits'] - 1} commits "
        f"after GOOD; {len(result['probes'])} probes in {result['seconds']} s",
    ]
    if result.get("threshold") is not None:
        lines.append(
            f"- a probe is bad when slower than GOOD by more than {result['threshold']:+.1%}"
        )
    culprit = result.get("culprit")
    lines.append("")
    if culprit:
        lines += [
            f"**First bad commit: {culprit['sha'][:12]} {culprit['subject']}**",
            "",
            f"- before ({culprit['before']['sha'][:12]}): {value(culprit['before'])}",
            f"- after: {value(culprit['after'])}",
        ]
        for item in culprit.get("added", []):
            own = " (sloppy's own)" if item["own"] else ""
            lines.append(
                f"- new on the path: `{item['module']}` via {' <- '.join(item['chain'][1:])}{own}"
            )
    else:
        lines.append(f"**{result['summary']}**")
        if result.get("boundary"):
            lo, hi = result["boundary"]
            lines.append(f"- narrowed to after {lo[:12]}, up to {hi[:12]}")
    lines += ["", "| # | commit | subject | value | verdict | s |", "|---|---|---|---|---|---|"]
    for p in result["probes"]:
        lines.append(
            f"| {p['index']} | {p['sha'][:12]} | {p['subject'][:50]} | {value(p)} | {p['verdict']} "
            f"| {p['seconds']} |"
        )
    if chart:
        lines += ["", f"![{result['metric']} across the probed commits]({chart})"]
    lines += ["", bisect_summary(result)]
    return "\n".join(lines) + "\n"


def bisect_svg(result: dict[str, Any]) -> str:
    """The metric across the probed commits (oldest first), the first bad commit marked."""
    probes = [p for p in result["probes"] if p["value"] is not None or p["index"] == 0]
    labels = [f"{p['index']}: {p['sha'][:8]}" for p in probes]
    values = [p["value"] if p["value"] is not None else 0.0 for p in probes]
    bands = [tuple(p["interval"]) if p.get("interval") else None for p in probes]
    culprit = result.get("culprit")
    marks = [i for i, p in enumerate(probes) if culprit and p["sha"] == culprit["sha"]]
    name = result["metric"] if result["exact"] else f"{result['metric']} change vs GOOD"
    return svg.line_chart(
        name,
        labels,
        {name: values},
        bands={name: bands},
        marks=marks,
        tips=[p["subject"] for p in probes],
    )


def bisect_summary(result: dict[str, Any]) -> str:
    culprit = result.get("culprit")
    probes = f"[{len(result['probes'])} probes, {result['seconds']} s]"
    if culprit:
        return (
            f"FOUND ({result['metric']}): {culprit['sha'][:12]} {culprit['subject'][:60]} {probes}"
        )
    head = {0: "NO REGRESSION", 3: "INCONCLUSIVE", 4: "COULD NOT ISOLATE"}.get(
        result["exit_code"], "ERROR"
    )
    return f"{head} ({result['metric']}): {result['summary']} {probes}"
