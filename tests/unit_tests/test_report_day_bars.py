"""A "day" report with one hour of data still draws readable bars: wide enough, to scale, labelled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from headroom_integrations.engine.metrics import MetricsStore, RequestMetrics
from headroom_integrations.reports import generate_report

NOW = 1_796_650_000.0  # 2026-12-07 13:26:40 UTC
HOUR_START = NOW - NOW % 3600
_RECT = re.compile(r"<rect ([^>]*data-series=[^>]*)>")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')


@pytest.fixture
def one_hour(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with MetricsStore(url) as store:
        for i, (before, after) in enumerate([(12_000, 1_500), (8_000, 2_000), (4_000, 500)]):
            store.record(RequestMetrics(f"r{i}", HOUR_START + 60 * (i + 1), "gpt-4o", "optimize", before, after))
    return url


def _bars(page: str, chart: str) -> list[dict[str, str]]:
    svg = page[page.index(f'data-chart="{chart}"') :]
    svg = svg[: svg.index("</svg>")]
    return [dict(_ATTR.findall(m.group(1))) for m in _RECT.finditer(svg)]


def _labels(page: str, chart: str) -> list[str]:
    svg = page[page.index(f'data-chart="{chart}"') :]
    svg = svg[: svg.index("</svg>")]
    return re.findall(r'text-anchor="middle"[^>]*>([^<]+)</text>', svg)


def test_the_one_hour_with_data_has_wide_bars_to_scale(one_hour: str) -> None:
    page = generate_report(one_hour, "html", "day", now=NOW)
    bars = _bars(page, "timeline")
    assert len(bars) == 2 * 24  # 24 hours, before and after
    drawn = [b for b in bars if float(b["height"]) > 0]
    assert {b["data-series"]: int(b["data-value"]) for b in drawn} == {
        "tokens before": 24_000,
        "tokens after": 4_000,
    }
    before, after = sorted(drawn, key=lambda b: -float(b["height"]))
    assert before["data-category"] == after["data-category"] == "12-07 13:00"
    assert all(float(b["width"]) >= 10 for b in drawn)  # of a 960-wide chart: a visible column, not a hairline
    assert float(before["height"]) >= 180  # the tallest bar spans most of the 240-high plot
    assert float(after["height"]) / float(before["height"]) == pytest.approx(4_000 / 24_000, rel=0.02)


def test_the_hour_with_data_is_labelled(one_hour: str) -> None:
    page = generate_report(one_hour, "html", "day", now=NOW)
    labels = _labels(page, "timeline")
    assert "12-07 13:00" in labels
    assert 3 <= len(labels) <= 10  # enough to read the axis, few enough not to overlap
    assert "<title>12-07 13:00 \u00b7 tokens before: 24,000 tokens</title>" in page
    markdown = generate_report(one_hour, "markdown", "day", now=NOW)
    assert "| 12-07 13:00 | 3 | 24,000 | 4,000 | 20,000 | 83.3% |" in markdown
