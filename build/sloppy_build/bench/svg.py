"""The benchmarks' one SVG writer: strip plots (runs per side) and line charts (a metric over
commits). Every piece of text goes through ``text()``, which escapes it for XML."""

from __future__ import annotations

import html
import random
import statistics
from collections.abc import Sequence

COLORS = ("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1")


def escape(value: object) -> str:
    """Text safe inside an SVG element or attribute (``&``, ``<``, ``>``, quotes)."""
    return html.escape(str(value), quote=True)


def text(x: float, y: float, body: object, **attrs: object) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(body)}</text>'


def document(width: int, height: int, parts: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">'
    )
    background = f'<rect width="{width}" height="{height}" fill="white"/>'
    return "\n".join([head, background, *parts, "</svg>"]) + "\n"


def _scale(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    return lo - pad, hi + pad


def strip_plot(name: str, unit: str, samples: dict[str, list[float]]) -> str:
    """Each run as a dot on one row per side, the median as a bar."""
    width, left, right, row_h = 640, 70, 20, 46
    lo, hi = _scale([v for vs in samples.values() for v in vs])
    height = 40 + row_h * len(samples) + 34

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - right)

    jitter = random.Random(name)
    out = [text(10, 18, f"{name} ({unit}): one dot per run, bar = median", font_size=14)]
    for i, (side, vs) in enumerate(samples.items()):
        y = 40 + i * row_h + row_h / 2
        color = COLORS[i % len(COLORS)]
        out.append(text(10, y + 4, side))
        out.append(
            f'<line x1="{left}" y1="{y:.0f}" x2="{width - right}" y2="{y:.0f}" stroke="#eee"/>'
        )
        for v in vs:
            cy = y + jitter.uniform(-row_h / 4, row_h / 4)
            out.append(
                f'<circle cx="{x(v):.1f}" cy="{cy:.1f}" r="4" fill="{color}" fill-opacity="0.6">'
                f"<title>{escape(f'{v:.4g}')}</title></circle>"
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
        out.append(text(x(v), axis_y + 16, f"{v:.3g}", text_anchor="middle"))
    return document(width, height, out)


def line_chart(
    title: str,
    labels: list[str],
    series: dict[str, list[float | None]],
    *,
    bands: dict[str, list[tuple[float, float] | None]] | None = None,
    marks: Sequence[int] = (),
    tips: list[str] | None = None,
) -> str:
    """One x position per label (a commit), one line per series; ``bands`` draws each point's
    interval, ``marks`` puts a dashed line before the points where something stepped."""
    width, left, right, top, bottom = max(480, 60 + 28 * len(labels)), 70, 20, 34, 90
    height = 320
    values = [v for vs in series.values() for v in vs if v is not None]
    for bs in (bands or {}).values():
        values += [b for pair in bs if pair is not None for b in pair]
    lo, hi = _scale(values or [0.0, 1.0])

    def x(i: int) -> float:
        return left + (i + 0.5) * (width - left - right) / max(1, len(labels))

    def y(v: float) -> float:
        return top + (hi - v) / (hi - lo) * (height - top - bottom)

    out = [text(10, 20, title, font_size=14)]
    for i in marks:
        xm = (x(i - 1) + x(i)) / 2 if i > 0 else x(i)
        out.append(
            f'<line x1="{xm:.1f}" y1="{top}" x2="{xm:.1f}" y2="{height - bottom}" '
            'stroke="#e15759" stroke-dasharray="4,3"/>'
        )
    for k, (name, vs) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        for i, pair in enumerate((bands or {}).get(name, [])):
            if pair is not None:
                out.append(
                    f'<line x1="{x(i):.1f}" y1="{y(pair[0]):.1f}" x2="{x(i):.1f}" '
                    f'y2="{y(pair[1]):.1f}" stroke="{color}" stroke-opacity="0.4" '
                    'stroke-width="6"/>'
                )
        points = [(x(i), y(v)) for i, v in enumerate(vs) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}"/>')
        for i, v in enumerate(vs):
            if v is not None:
                tip = (tips or [""] * len(vs))[i]
                out.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}">'
                    f"<title>{escape(f'{v:.4g} {tip}'.strip())}</title></circle>"
                )
        out.append(text(width - right - 160, top + 14 * (k + 1), name, fill=color))
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append(text(left - 6, y(v) + 4, f"{v:.3g}", text_anchor="end"))
    for i, label in enumerate(labels):
        out.append(
            text(
                x(i),
                height - bottom + 12,
                label,
                transform=f"rotate(45 {x(i):.1f} {height - bottom + 12})",
            )
        )
    return document(width, height, out)
