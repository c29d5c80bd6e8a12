"""Reports people read: a Markdown table, one SVG strip plot per timed metric, a summary line."""

from __future__ import annotations

import html
import random
import statistics
from pathlib import Path
from typing import Any

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


def strip_svg(name: str, unit: str, samples: dict[str, list[float]]) -> str:
    """Each run as a dot on one row per side, the median as a bar: a strip plot."""
    width, left, right, row_h = 640, 70, 20, 46
    values = [v for vs in samples.values() for v in vs]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad
    height = 40 + row_h * len(samples) + 34

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - right)

    jitter = random.Random(name)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="14">{html.escape(name)} ({html.escape(unit)}): '
        "one dot per run, bar = median</text>",
    ]
    colors = {"base": "#4e79a7", "head": "#e15759"}
    for i, (side, vs) in enumerate(samples.items()):
        y = 40 + i * row_h + row_h / 2
        out.append(f'<text x="10" y="{y + 4:.0f}">{side}</text>')
        out.append(
            f'<line x1="{left}" y1="{y:.0f}" x2="{width - right}" y2="{y:.0f}" stroke="#eee"/>'
        )
        for v in vs:
            cy = y + jitter.uniform(-row_h / 4, row_h / 4)
            out.append(
                f'<circle cx="{x(v):.1f}" cy="{cy:.1f}" r="4" fill="{colors.get(side, "#777")}" '
                f'fill-opacity="0.6"><title>{v:.4g}</title></circle>'
            )
        if vs:
            mid = statistics.median(vs)
            out.append(
                f'<line x1="{x(mid):.1f}" y1="{y - row_h / 2 + 4:.0f}" x2="{x(mid):.1f}" '
                f'y2="{y + row_h / 2 - 4:.0f}" stroke="black" stroke-width="2"/>'
            )
    axis_y = 40 + row_h * len(samples) + 8
    out.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#999"/>'
    )
    for k in range(6):
        v = lo + (hi - lo) * k / 5
        out.append(f'<text x="{x(v):.1f}" y="{axis_y + 16}" text-anchor="middle">{v:.3g}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svgs(result: dict[str, Any], markdown_path: Path) -> dict[str, str]:
    """One SVG per timed metric beside the Markdown file; name -> relative path."""
    out = {}
    for name, m in result["metrics"].items():
        samples = m.get("samples")
        if m["exact"] or not samples or not any(samples.values()):
            continue
        path = markdown_path.with_name(f"{markdown_path.stem}-{name}.svg")
        path.write_text(strip_svg(name, m["unit"], samples))
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
