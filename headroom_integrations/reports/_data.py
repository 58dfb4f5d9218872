"""What a savings report shows, computed once from the metrics store for every format.

HTML, Markdown and the CLI's ``stats`` all render the same :class:`ReportData`
and the same :class:`Table` list, so the numbers never disagree between
formats. Times are bucketed in UTC so a report does not depend on the
machine's time zone. Model-call and tool-result records (see
:mod:`headroom_integrations.engine.metrics`) get their own columns, tables and
timelines: their totals are never added together.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..engine.errors import ConfigurationError, StorageError
from ..engine.feedback import MIN_RETRIEVALS, RATE_THRESHOLD
from ..engine.metrics import RECORD_KINDS, GroupTotals, MetricsStore, MetricsSummary, RequestMetrics, summarize
from ..engine.storage.base import redact_url
from ..engine.storage.sqlite import MEMORY_PATH, NETWORK_SCHEMES, parse_store_url
from .numbers import fmt_int, fmt_ms, fmt_pct, fmt_usd, fmt_utc, pct_of

__all__ = [
    "EMPTY_TEXT",
    "KIND_LABELS",
    "PERIODS",
    "Bucket",
    "LatencyBin",
    "ReportData",
    "Table",
    "check_choice",
    "existing_store_path",
    "load_report_data",
]

PERIODS = ("day", "week", "all")
# How each record kind is named in titles and column headers.
KIND_LABELS = {"model_call": "model calls", "tool_result": "tool results"}
EMPTY_TEXT = "No requests were recorded in this period."

_HOUR = 3600.0
_DAY = 86400.0
# "all" uses the narrowest of these widths that keeps the timeline readable.
_ALL_WIDTHS = (_DAY, 7 * _DAY, 30 * _DAY)
_MAX_BUCKETS = 92
_LATENCY_EDGES_MS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0)
_PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class Bucket:
    """Requests recorded in ``[start, start + width)``."""

    label: str
    start: float
    requests: int
    tokens_before: int
    tokens_after: int

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


@dataclass(frozen=True)
class LatencyBin:
    """Requests whose compression took ``low_ms <= ms < high_ms`` (``high_ms`` None: no upper bound)."""

    label: str
    low_ms: float
    high_ms: float | None
    requests: int


@dataclass(frozen=True)
class Table:
    """One titled table; ``numeric[i]`` says whether column ``i`` is right-aligned."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    note: str = ""


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows for one period of one metrics store."""

    store_url: str
    period: str
    start: float | None
    end: float
    summary: MetricsSummary
    timelines: dict[str, tuple[Bucket, ...]]
    timeline_width: float
    latency: tuple[LatencyBin, ...]
    latency_percentiles: tuple[tuple[str, float], ...]
    kind_percentiles: dict[str, tuple[tuple[str, float], ...]]

    @property
    def empty(self) -> bool:
        return self.summary.total_records == 0

    @property
    def kinds(self) -> tuple[str, ...]:
        """The record kinds present, headline first (model calls alone when there is nothing)."""
        return tuple(self.summary.by_kind) or ("model_call",)

    def of_kind(self, kind: str) -> MetricsSummary:
        return self.summary.by_kind.get(kind, self.summary)

    @property
    def timeline(self) -> tuple[Bucket, ...]:
        """The model calls' timeline (the headline)."""
        return self.timelines.get("model_call", ())

    @property
    def window_text(self) -> str:
        since = "the first record" if self.start is None else fmt_utc(self.start)
        return f"from {since} to {fmt_utc(self.end)}"

    @property
    def footnote(self) -> str:
        return (
            f"Times are UTC; the window ends {fmt_utc(self.end)}. Cost saved is an estimate at list input "
            f"prices as of {self.summary.prices_as_of}.{self.unpriced_text}"
        )

    @property
    def unpriced_text(self) -> str:
        """Which models' savings are in no cost figure (empty when every model has a price)."""
        models = self.summary.unpriced_models
        return f" No price for model {', '.join(models)}: its savings are not in any cost." if models else ""

    def tables(self) -> list[Table]:
        """The report's tables in display order; empty groups are left out.

        Keys of the model calls' tables are plain (``by_tool``); a tool-result
        table's key ends in ``.tool_result``.
        """
        tables = [self._totals_table()]
        overlap = "A request counts once in every {} it used, so rows can add up to more than the total."
        for kind in self.kinds:
            summary, suffix, label = self.of_kind(kind), _key_suffix(kind), KIND_LABELS[kind]
            if not self.empty and kind in self.timelines:
                tables.append(self._timeline_table(kind))
            for key, title, groups, note in (
                ("by_transform", "Savings by transform", summary.by_transform, overlap.format("transform")),
                ("by_tool", "Savings by tool", summary.by_tool, overlap.format("tool")),
                ("by_model", "Savings by model", summary.by_model, ""),
                ("by_provider", "Savings by provider", summary.by_provider, ""),
                ("by_integration", "Savings by integration", summary.by_integration, ""),
            ):
                if groups:
                    tables.append(_group_table(key + suffix, f"{title} ({label})", groups, note))
        if self.summary.learned_adjustments:
            tables.append(_learned_table(self.summary.learned_adjustments))
        if not self.empty:
            tables.append(
                Table(
                    "latency",
                    "Compression latency (every record)",
                    ("Compression time", "Requests"),
                    tuple((b.label, fmt_int(b.requests)) for b in self.latency),
                    (False, True),
                )
            )
        return tables

    def _totals_table(self) -> Table:
        columns = [self.of_kind(kind) for kind in self.kinds]
        headers = ("Metric", *(KIND_LABELS[kind].capitalize() for kind in self.kinds))

        def row(name: str, cell: Callable[[MetricsSummary], str]) -> tuple[str, ...]:
            return (name, *(cell(s) for s in columns))

        prices_as_of = self.summary.prices_as_of
        rows = [
            row("Requests", lambda s: fmt_int(s.total_requests)),
            row("Tokens before", lambda s: fmt_int(s.total_tokens_before)),
            row("Tokens after", lambda s: fmt_int(s.total_tokens_after)),
            row("Tokens saved", lambda s: f"{fmt_int(s.total_tokens_saved)} ({fmt_pct(100 * s.savings_ratio)})"),
            row("Mean tokens after / before per request", lambda s: f"{s.avg_compression_ratio:.3f}"),
            row(
                f"Estimated cost saved (list input prices as of {prices_as_of})",
                lambda s: fmt_usd(s.total_cost_saved_usd),
            ),
            row("Total compression time", lambda s: fmt_ms(s.total_compression_ms)),
            row("One-time warm-up, not in compression time", lambda s: fmt_ms(s.total_warmup_ms)),
        ]
        ranked = [dict(self.kind_percentiles.get(kind, ())) for kind in self.kinds]
        rows += [
            (f"Compression time {name}", *(fmt_ms(r[name]) if name in r else "n/a" for r in ranked))
            for name, _ in self.latency_percentiles
        ]
        note = (
            "Model calls are conversations on their way to a model; tool results are tool outputs compressed "
            "before they joined one (and were then carried by the model calls). The two are never added."
            if len(columns) > 1
            else ""
        )
        return Table("totals", "Totals", headers, tuple(rows), (False, *(True,) * len(columns)), note)

    def _timeline_table(self, kind: str) -> Table:
        rows = tuple(
            (
                b.label,
                fmt_int(b.requests),
                fmt_int(b.tokens_before),
                fmt_int(b.tokens_after),
                fmt_int(b.tokens_saved),
                fmt_pct(pct_of(b.tokens_saved, b.tokens_before)),
            )
            for b in self.timelines[kind]
        )
        return Table(
            "timeline" + _key_suffix(kind),
            f"Tokens over time, {KIND_LABELS[kind]} (per {_width_name(self.timeline_width)}, UTC)",
            ("Period start", "Requests", "Tokens before", "Tokens after", "Tokens saved", "Saved"),
            rows,
            (False, True, True, True, True, True),
        )


def _key_suffix(kind: str) -> str:
    return "" if kind == "model_call" else f".{kind}"


def _group_table(key: str, title: str, groups: dict[str, GroupTotals], note: str) -> Table:
    rows = tuple(
        (
            name,
            fmt_int(g.requests),
            fmt_int(g.tokens_before),
            fmt_int(g.tokens_after),
            fmt_int(g.tokens_saved),
            fmt_pct(pct_of(g.tokens_saved, g.tokens_before)),
            fmt_usd(g.cost_saved_usd),
        )
        for name, g in sorted(groups.items(), key=lambda item: (-item[1].tokens_saved, item[0]))
    )
    return Table(
        key,
        title,
        ("Name", "Requests", "Tokens before", "Tokens after", "Tokens saved", "Saved", "Est. cost saved"),
        rows,
        (False, True, True, True, True, True, True),
        note,
    )


def _learned_table(learned: dict[str, dict[str, Any]]) -> Table:
    rows = tuple(
        (
            tool,
            fmt_int(a["retrievals"]),
            fmt_int(a["outputs"]),
            f"{a['rate']:.2f}",
            f"last {a['window']} cut outputs",
            a["keeps_more"],
        )
        for tool, a in sorted(learned.items())
    )
    return Table(
        "learned_adjustments",
        "Learned adjustments (from headroom_retrieve calls)",
        ("Tool", "Retrievals", "Cut outputs", "Retrievals per output", "Window", "Next outputs keep"),
        rows,
        (False, True, True, True, False, False),
        f"A tool keeps more once it has {MIN_RETRIEVALS}+ retrievals at {RATE_THRESHOLD}+ per cut output; "
        "results already sent keep their bytes. Off: SmartCrusherConfig.use_feedback_hints=False.",
    )


def _width_name(width: float) -> str:
    return {_HOUR: "hour", _DAY: "day", 7 * _DAY: "7 days", 30 * _DAY: "30 days"}[width]


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """``value`` when it is one of ``allowed``, else a ConfigurationError naming the choices."""
    if not isinstance(value, str) or value not in allowed:
        raise ConfigurationError(
            f"{name} must be one of {list(allowed)}", {"field": name, "value": value, "allowed": list(allowed)}
        )
    return value


def existing_store_path(url: str, schemes: tuple[str, ...], owner: str) -> None:
    """Raise StorageError when a file store does not exist yet (reading must not create one)."""
    scheme, path = parse_store_url(url, schemes, owner)
    if scheme not in NETWORK_SCHEMES and path != MEMORY_PATH and not Path(path).is_file():
        raise StorageError(f"no store at {path} (nothing has been recorded there yet)", {"store": url})


def _epoch(now: float | _dt.datetime | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, _dt.datetime):
        # A naive datetime is read as UTC: the report must not depend on the local zone.
        return (now if now.tzinfo else now.replace(tzinfo=_dt.timezone.utc)).timestamp()
    if isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
        raise ConfigurationError("now must be epoch seconds, a datetime or None", {"field": "now", "value": now})
    return float(now)


def _timeline_frame(period: str, end: float, first: float | None) -> tuple[float | None, float, float]:
    """``(window start, first bucket start, bucket width)`` of ``period`` ending at ``end``."""
    if period == "day":
        origin = math.floor(end / _HOUR) * _HOUR - 23 * _HOUR
        return origin, origin, _HOUR
    if period == "week":
        origin = math.floor(end / _DAY) * _DAY - 6 * _DAY
        return origin, origin, _DAY
    first = end if first is None else first
    for width in _ALL_WIDTHS:
        origin = math.floor(first / width) * width
        if (end - origin) / width < _MAX_BUCKETS:
            break
    return None, origin, width


def _timeline(records: Sequence[RequestMetrics], origin: float, width: float, end: float) -> tuple[Bucket, ...]:
    count = int((end - origin) // width) + 1
    totals = [[0, 0, 0] for _ in range(count)]
    for record in records:
        index = min(count - 1, max(0, int((record.timestamp - origin) // width)))
        totals[index][0] += 1
        totals[index][1] += record.tokens_before
        totals[index][2] += record.tokens_after
    spec = "%m-%d %H:00" if width < _DAY else "%Y-%m-%d"
    return tuple(Bucket(fmt_utc(origin + i * width, spec), origin + i * width, *totals[i]) for i in range(count))


def _latency_bins(records: Sequence[RequestMetrics]) -> tuple[LatencyBin, ...]:
    edges = _LATENCY_EDGES_MS
    counts = [0] * len(edges)
    for record in records:
        counts[max(i for i, low in enumerate(edges) if record.compression_ms >= low)] += 1
    used = [i for i, c in enumerate(counts) if c]
    if not used:
        return ()
    bins = []
    for i in range(used[0], used[-1] + 1):
        high = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{edges[i]:g}-{high:g} ms" if high is not None else f">= {edges[i]:g} ms"
        bins.append(LatencyBin(label, edges[i], high, counts[i]))
    return tuple(bins)


def _percentiles(records: Sequence[RequestMetrics]) -> tuple[tuple[str, float], ...]:
    values = sorted(r.compression_ms for r in records)
    if not values:
        return ()
    ranked = [(f"p{p}", values[max(0, math.ceil(p / 100 * len(values)) - 1)]) for p in _PERCENTILES]
    return (*ranked, ("max", values[-1]))


def load_report_data(store_url: str, period: str = "week", *, now: float | _dt.datetime | None = None) -> ReportData:
    """Read ``period`` (ending at ``now``) from the metrics store at ``store_url``.

    ``day`` is the current UTC hour and the 23 before it, ``week`` the current
    UTC day and the 6 before it, ``all`` everything recorded before ``now``.
    """
    check_choice("period", period, PERIODS)
    end = _epoch(now)
    existing_store_path(store_url, ("sqlite", "jsonl", "memory", "postgresql", "postgres"), "MetricsStore")
    with MetricsStore(store_url) as store:
        if period == "all":
            records = store.get_metrics(None, end, limit=None)
            start, origin, width = _timeline_frame(period, end, min((r.timestamp for r in records), default=None))
        else:
            start, origin, width = _timeline_frame(period, end, None)
            records = store.get_metrics(start, end, limit=None)
        learned = store.learned_summary()
    records.reverse()  # oldest first: the order records were written in
    return ReportData(
        store_url=redact_url(store_url),
        period=period,
        start=start,
        end=end,
        summary=replace(summarize(records), learned_adjustments=learned),
        timelines={
            kind: _timeline(of_kind, origin, width, end)
            for kind in RECORD_KINDS
            if (of_kind := [r for r in records if r.kind == kind])
        },
        timeline_width=width,
        latency=_latency_bins(records),
        latency_percentiles=_percentiles(records),
        kind_percentiles={kind: _percentiles([r for r in records if r.kind == kind]) for kind in RECORD_KINDS},
    )
