"""Savings reports: the HTML charts and the Markdown tables show exactly what the metrics store holds."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from headroom_integrations import ConfigurationError, MetricsStore, RequestMetrics, StorageError
from headroom_integrations.engine.savings import PartSavings
from headroom_integrations.reports import generate_report, load_report_data

HOUR = 3600.0
DAY = 86400.0
# 2026-11-20 15:30:00 UTC: mid-hour, so the current hour's bucket is partly filled.
NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.timezone.utc).timestamp()


def _record(
    i: int,
    ts: float,
    before: int,
    after: int,
    *,
    ms: float,
    tools: tuple[str, ...] = ("search_api",),
    transforms: tuple[str, ...] = ("smart_crusher:40->5",),
    model: str = "gpt-4o",
    integration: str = "langchain",
) -> RequestMetrics:
    return RequestMetrics(
        request_id=f"req-{i}",
        timestamp=ts,
        model=model,
        mode="optimize",
        tokens_before=before,
        tokens_after=after,
        transforms=transforms,
        compression_ms=ms,
        tool_names=tools,
        tools=tuple(PartSavings(name, 1, before, after) for name in tools),
        integration=integration,
    )


RECORDS = [
    _record(0, NOW - 10 * 60, 12_000, 1_500, ms=3.5),
    _record(
        1, NOW - 2 * HOUR, 8_000, 2_000, ms=12.0, tools=("ci_log",), transforms=("log:900->40",), integration="agno"
    ),
    _record(2, NOW - 2 * HOUR + 60, 5_000, 5_000, ms=0.4, tools=("ci_log",), transforms=()),
    _record(
        3,
        NOW - 3 * DAY,
        30_000,
        3_000,
        ms=55.0,
        tools=("github_issues", "search_api"),
        transforms=("smart_crusher:90->8", "search:40->10"),
        model="claude-sonnet-4",
    ),
    _record(4, NOW - 20 * DAY, 7_000, 700, ms=1500.0, transforms=("text:x",)),
    # recorded after `now`: no report ending at `now` may count it
    _record(5, NOW + 30, 99_999, 1, ms=1.0),
]


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with MetricsStore(url) as store:
        for record in RECORDS:
            store.record(record)
    return url


class _Page(HTMLParser):
    """Collects what a reader of the page would check: bars, tables, cards and every tag used."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self.bars: list[dict[str, Any]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.cards: dict[str, str] = {}
        self._chart: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._card: str | None = None
        self._card_value = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        self.attrs += list(a.items())
        if tag == "svg":
            self._chart = a.get("data-chart")
        elif tag == "rect" and "data-value" in a:
            self.bars.append({"chart": self._chart, **a})
        elif tag == "table":
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "div" and "data-card" in a:
            self._card = a["data-card"]
        elif tag == "div" and self._card and a.get("class") == "value":
            self._card_value = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "svg":
            self._chart = None
        elif tag == "div" and self._card_value:
            self._card_value = False
            self._card = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._card_value and self._card:
            self.cards[self._card] = self.cards.get(self._card, "") + data


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _bars(page: _Page, chart: str, series: str | None = None) -> dict[str, int]:
    return {
        b["data-category"]: int(b["data-value"])
        for b in page.bars
        if b["chart"] == chart and (series is None or b.get("data-series") == series)
    }


def test_week_chart_bars_hold_the_stored_numbers(store_url: str) -> None:
    page = _page(generate_report(store_url, "html", "week", now=NOW))
    in_week = [r for r in RECORDS if NOW - 7 * DAY < r.timestamp < NOW]
    # one bar per UTC day for each series; the per-day sums are the stored sums
    before, after = _bars(page, "timeline", "tokens before"), _bars(page, "timeline", "tokens after")
    assert list(before) == [f"2026-11-{d}" for d in range(14, 21)]
    assert before["2026-11-20"] == 12_000 + 8_000 + 5_000 and after["2026-11-20"] == 1_500 + 2_000 + 5_000
    assert before["2026-11-17"] == 30_000 and after["2026-11-17"] == 3_000
    assert sum(before.values()) == sum(r.tokens_before for r in in_week)
    assert sum(after.values()) == sum(r.tokens_after for r in in_week)
    # savings by transform and tool: tokens saved by the requests that used each
    assert _bars(page, "by_transform") == {"smart_crusher": 10_500 + 27_000, "search": 27_000, "log": 6_000}
    assert _bars(page, "by_tool") == {"search_api": 10_500 + 27_000, "github_issues": 27_000, "ci_log": 6_000}
    # the latency histogram counts every request once, in the right range
    latency = _bars(page, "latency")
    assert sum(latency.values()) == len(in_week)
    assert latency["0-1 ms"] == 1 and latency["2-5 ms"] == 1 and latency["10-20 ms"] == 1
    assert latency["50-100 ms"] == 1
    saved = sum(r.tokens_saved for r in in_week)
    assert page.cards["Tokens saved in model calls"] == f"{saved:,}"
    assert page.cards["Model calls recorded"] == str(len(in_week))


def test_bars_carry_readable_tooltips(store_url: str) -> None:
    html = generate_report(store_url, "html", "week", now=NOW)
    assert "<title>2026-11-17 \u00b7 tokens before: 30,000 tokens</title>" in html
    assert "<title>smart_crusher: 37,500 tokens</title>" in html


def test_tables_show_totals_models_and_estimated_cost_with_price_date(store_url: str) -> None:
    data = load_report_data(store_url, "week", now=NOW)
    page = _page(generate_report(store_url, "html", "week", now=NOW))
    models = {row[0]: row for row in page.tables["by_model"][1:]}
    assert set(models) == {"gpt-4o", "claude-sonnet-4"}
    assert models["claude-sonnet-4"][1:5] == ["1", "30,000", "3,000", "27,000"]
    totals = dict(row for row in page.tables["totals"][1:])
    cost_row = next(k for k in totals if k.startswith("Estimated cost saved"))
    assert data.summary.prices_as_of in cost_row
    assert totals[cost_row] == f"${data.summary.total_cost_saved_usd:,.4f}"
    assert data.summary.total_cost_saved_usd > 0


def test_markdown_has_the_same_tables_as_the_html(store_url: str) -> None:
    html_tables = _page(generate_report(store_url, "html", "week", now=NOW)).tables
    markdown = generate_report(store_url, "markdown", "week", now=NOW)
    md_rows = [
        [c.strip() for c in line.strip("|").split(" | ")] for line in markdown.splitlines() if line.startswith("| ")
    ]
    for key, rows in html_tables.items():
        for row in rows:
            assert row in md_rows, (key, row)
    assert "## Savings by transform" in markdown and "## Compression latency" in markdown


def test_periods_choose_the_records(store_url: str) -> None:
    def requests(period: str) -> int:
        return load_report_data(store_url, period, now=NOW).summary.total_requests

    assert requests("day") == 3  # the last 24 UTC hours
    assert requests("week") == 4
    assert requests("all") == 5  # everything before `now`, not the record made after it
    day = load_report_data(store_url, "day", now=NOW)
    assert len(day.timeline) == 24 and day.timeline[-1].label == "11-20 15:00"


def test_all_period_keeps_the_timeline_readable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'long.db'}"
    with MetricsStore(url) as store:
        for i in range(0, 400, 20):
            store.record(_record(i, NOW - i * DAY - 60, 1000, 100, ms=1.0))
    data = load_report_data(url, "all", now=NOW)
    assert 1 < len(data.timeline) <= 93
    assert sum(b.requests for b in data.timeline) == 20
    assert sum(b.tokens_saved for b in data.timeline) == 20 * 900


def test_same_data_and_now_give_identical_bytes_in_any_time_zone(store_url: str) -> None:
    first = generate_report(store_url, "html", "week", now=NOW)
    old_tz = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "Asia/Kolkata"
        time.tzset()
        assert generate_report(store_url, "html", "week", now=NOW) == first
        india = dt.timezone(dt.timedelta(hours=5, minutes=30))
        assert generate_report(store_url, "html", "week", now=dt.datetime.fromtimestamp(NOW, india)) == first
    finally:
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()
    assert generate_report(store_url, "markdown", "all", now=NOW) == generate_report(
        store_url, "markdown", "all", now=NOW
    )


def test_page_is_self_contained(store_url: str) -> None:
    html = generate_report(store_url, "html", "all", now=NOW)
    page = _page(html)
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [v for k, v in page.attrs if k in ("src", "href")]
    assert not re.search(r"https?://|url\(|@import", html)
    assert "default-src 'none'" in html


def test_names_are_escaped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    nasty = "<script>alert(1)</script>|x"
    with MetricsStore(url) as store:
        store.record(_record(1, NOW - 60, 5000, 100, ms=2.0, tools=(nasty,), model="m|<b>"))
    html = generate_report(url, "html", "day", now=NOW)
    assert "<script>" not in html and "<b>" not in html
    assert nasty in _bars(_page(html), "by_tool")
    markdown = generate_report(url, "markdown", "day", now=NOW)
    tool_row = next(line for line in markdown.splitlines() if "alert(1)" in line)
    assert len(re.split(r"(?<!\\)\|", tool_row)) == 9  # 7 cells: the pipe in the name does not add a column


def test_empty_period_says_so(store_url: str) -> None:
    long_ago = NOW - 365 * DAY
    html = generate_report(store_url, "html", "day", now=long_ago)
    assert "No requests were recorded in this period." in html
    assert not _page(html).bars
    assert "No requests were recorded" in generate_report(store_url, "markdown", "week", now=long_ago)


def test_missing_store_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"
    with pytest.raises(StorageError, match="no store"):
        generate_report(f"sqlite:///{path}", "html", "week")
    assert not path.exists()


@pytest.mark.parametrize(("fmt", "period"), [("pdf", "week"), ("html", "month"), ("html", None)])
def test_unknown_format_or_period_is_a_configuration_error(store_url: str, fmt: str, period: Any) -> None:
    with pytest.raises(ConfigurationError):
        generate_report(store_url, fmt, period, now=NOW)


def test_bad_now_is_a_configuration_error(store_url: str) -> None:
    with pytest.raises(ConfigurationError):
        generate_report(store_url, "html", "week", now="yesterday")  # type: ignore[arg-type]


def test_jsonl_metrics_store_gives_the_same_report(tmp_path: Path, store_url: str) -> None:
    url = f"jsonl:///{tmp_path / 'metrics.jsonl'}"
    with MetricsStore(url) as store:
        for record in RECORDS:
            store.record(record)
    sqlite_md = generate_report(store_url, "markdown", "all", now=NOW)
    jsonl_md = generate_report(url, "markdown", "all", now=NOW)
    assert jsonl_md.replace(url, "URL") == sqlite_md.replace(store_url, "URL")
