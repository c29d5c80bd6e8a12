"""Reports people read: a Markdown table, one SVG strip plot per timed metric, a summary line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sloppy_build.bench import svg

VERDICT_MARK = {"slower": "**slower**", "faster": "faster", "same": "same"}


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
    lines = [
        f"# sloppy bench compare ({result['mode']}{', cold' if result['cold'] else ''})",
        "",
        f"- BASE: {b['label']}",
        f"- HEAD: {h['label']}",
        f"- runs: {result['runs']['base']} + {result['runs']['head']} in "
        f"{result['batches']} batch(es), randomised pair order; {result['seconds']} s; "
        f"min effect {result['min_effect']:.0%}",
        f"- Python {env['python']}, {env['cpus']} CPUs, load average before/after "
        f"{env['load_average']}; "
        + "; ".join(env[k] for k in ("bytecode", "dependencies", "bundles") if k in env),
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
            lines.append(f"- new: `{item['module']}` via {' <- '.join(item['chain'][1:])}")
        for name in diff.get("removed", []):
            lines.append(f"- gone: `{name}`")
    if svgs:
        lines += ["", "## Run distributions", ""]
        lines += [f"![{name}]({path})" for name, path in svgs.items()]
    lines += [
        "",
        "Timed: Hodges-Lehmann change of HEAD over BASE with its Mann-Whitney 95% interval;",
        "slower only when the whole interval lies above the minimum effect and a second batch",
        "confirms it. Exact: counts and sizes, slower when they grow past the tolerance.",
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
    head = "REGRESSION" if result["exit_code"] else "no regression"
    failing = f" ({', '.join(result['failing'])})" if result["failing"] else ""
    return (
        f"{head}{failing}: {'; '.join(parts)} "
        f"[{result['runs']['base']}+{result['runs']['head']} runs, {result['seconds']} s]"
    )
