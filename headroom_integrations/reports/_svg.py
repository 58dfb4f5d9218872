"""Inline SVG charts: no JavaScript, no fonts or images to fetch, readable without CSS.

Every bar is a ``<rect>`` carrying its exact number (``data-value``) and a
``<title>`` tooltip, so a test (or a curious user) can read the data back
from the page, and colours are presentation attributes so a chart renders the
same inside the report, a notebook or a standalone file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from .numbers import fmt_compact, fmt_int

__all__ = ["Series", "bar_chart", "column_chart"]

_WIDTH = 960
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'
_AXIS = "#4a5568"
_GRID = "#e2e8f0"
_MAX_X_LABELS = 10
_LABEL_CHARS = 30


@dataclass(frozen=True)
class Series:
    """One named row of values drawn in one colour."""

    name: str
    values: tuple[float, ...]
    color: str


def _n(value: float) -> str:
    """A coordinate with fixed precision, so output bytes never depend on float noise."""
    return f"{value:.1f}"


def _value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _shown(value: float, unit: str) -> str:
    number = fmt_int(int(value)) if float(value).is_integer() else f"{value:,.1f}"
    return f"{number} {unit}".rstrip()


def _ticks(top: float) -> list[float]:
    """Gridline values from 0 to a round number at or above ``top`` (about five lines)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if top >= 4:
        step = max(1.0, float(round(step)))
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _clip(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\u2026"


def _open(key: str, title: str, height: float) -> list[str]:
    return [
        f'<svg class="chart" data-chart="{escape(key)}" viewBox="0 0 {_WIDTH} {_n(height)}" width="100%" '
        f'role="img" aria-labelledby="chart-{escape(key)}-title" {_FONT}>',
        f'<title id="chart-{escape(key)}-title">{escape(title)}</title>',
    ]


def column_chart(key: str, title: str, categories: Sequence[str], series: Sequence[Series], *, unit: str) -> str:
    """Vertical bars, one group per category and one bar per series, with a legend."""
    left, right, top, bottom, height = 64.0, 16.0, 40.0, 40.0, 320.0
    plot_w, plot_h = _WIDTH - left - right, height - top - bottom
    ticks = _ticks(max((v for s in series for v in s.values), default=0.0))
    scale = plot_h / ticks[-1]
    slot = plot_w / max(1, len(categories))
    bar_w = slot * 0.8 / max(1, len(series))
    out = _open(key, title, height)
    for tick in ticks:
        y = top + plot_h - tick * scale
        out.append(f'<line x1="{_n(left)}" x2="{_n(_WIDTH - right)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{_GRID}"/>')
        out.append(
            f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{_AXIS}">{fmt_compact(tick)}</text>'
        )
    for s_index, s in enumerate(series):
        for c_index, (category, value) in enumerate(zip(categories, s.values, strict=True)):
            bar_h = max(0.0, value) * scale
            x = left + c_index * slot + slot * 0.1 + s_index * bar_w
            out.append(
                f'<rect x="{_n(x)}" y="{_n(top + plot_h - bar_h)}" width="{_n(bar_w)}" height="{_n(bar_h)}" '
                f'fill="{s.color}" data-series="{escape(s.name)}" data-category="{escape(category)}" '
                f'data-value="{_value(value)}"><title>{escape(category)} \u00b7 {escape(s.name)}: '
                f"{escape(_shown(value, unit))}</title></rect>"
            )
    for c_index in _labelled(categories, series):
        x = left + (c_index + 0.5) * slot
        out.append(
            f'<text x="{_n(x)}" y="{_n(top + plot_h + 18)}" text-anchor="middle" fill="{_AXIS}">'
            f"{escape(categories[c_index])}</text>"
        )
    out.append(
        f'<line x1="{_n(left)}" x2="{_n(_WIDTH - right)}" y1="{_n(top + plot_h)}" '
        f'y2="{_n(top + plot_h)}" stroke="{_AXIS}"/>'
    )
    x = left
    for s in series:
        out.append(f'<rect x="{_n(x)}" y="12" width="12" height="12" fill="{s.color}"/>')
        out.append(f'<text x="{_n(x + 18)}" y="22" fill="{_AXIS}">{escape(s.name)}</text>')
        x += 30 + 8 * len(s.name)
    out.append("</svg>")
    return "\n".join(out)


def _labelled(categories: Sequence[str], series: Sequence[Series]) -> list[int]:
    """Which categories get an axis label: those with data first, so a sparse day still names its
    hours, then evenly spaced others; no two closer than the spacing that keeps labels apart."""
    every = math.ceil(len(categories) / _MAX_X_LABELS) or 1
    with_data = [i for i in range(len(categories)) if any(s.values[i] for s in series)]
    chosen: list[int] = []
    for i in [*with_data, *range(0, len(categories), every)]:
        if all(abs(i - j) >= every for j in chosen):
            chosen.append(i)
    return sorted(chosen)


def bar_chart(
    key: str, title: str, items: Sequence[tuple[str, float]], *, unit: str, color: str, limit: int = 12
) -> str:
    """Horizontal bars, largest first as given, at most ``limit`` rows (the table holds the rest)."""
    shown = list(items)[:limit]
    label_w, value_w, row_h, pad = 220.0, 110.0, 26.0, 8.0
    height = pad * 2 + row_h * max(1, len(shown))
    plot_w = _WIDTH - label_w - value_w
    top = max((max(0.0, v) for _, v in shown), default=0.0) or 1.0
    out = _open(key, title, height)
    for index, (label, value) in enumerate(shown):
        y = pad + index * row_h
        length = max(0.0, value) / top * plot_w
        out.append(
            f'<text x="{_n(label_w - 8)}" y="{_n(y + row_h / 2 + 4)}" text-anchor="end" fill="{_AXIS}">'
            f"{escape(_clip(label))}</text>"
        )
        out.append(
            f'<rect x="{_n(label_w)}" y="{_n(y + 4)}" width="{_n(length)}" height="{_n(row_h - 8)}" '
            f'fill="{color}" data-category="{escape(label)}" data-value="{_value(value)}">'
            f"<title>{escape(label)}: {escape(_shown(value, unit))}</title></rect>"
        )
        out.append(
            f'<text x="{_n(label_w + length + 6)}" y="{_n(y + row_h / 2 + 4)}" fill="{_AXIS}">'
            f"{escape(_shown(value, unit))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
