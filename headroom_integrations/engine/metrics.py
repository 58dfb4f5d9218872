"""Savings metrics: one record per request, stored durably, summarised honestly.

Every optimised request produces a :class:`RequestMetrics` (tokens before and
after, what ran, which refs hold dropped content). A :class:`MetricsStore`
appends them to SQLite (``sqlite:///path``), JSON Lines (``jsonl:///path``),
PostgreSQL (``postgresql://...``, written in batches) or memory
(``memory://``); any number of threads and processes may write one store at
once. :meth:`MetricsStore.get_summary` adds them up; both file
backends give identical summaries for the same records because the summary is
computed by one function (:func:`summarize`) with order-independent sums.

Records come in two kinds (:data:`RECORD_KINDS`) that are never added
together: a ``"model_call"`` is a conversation on its way to a model (what the
model received vs the conversation it was given), a ``"tool_result"`` is one
tool output compressed before it joined a conversation. A tool result
compressed by a middleware and then the model call carrying it would count
the same tokens twice (and a tool output's tokens are not a model input), so
the headline totals are the model calls' and the tool results' are reported
beside them. Records written before kinds existed read back as model calls
(the only kind the engine wrote then: every row is a JSON document, so the
default is applied on reading and no table changes).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import logging
import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Literal

from .errors import ValidationError
from .feedback import MAX_EVENTS, LearnedAdjustment, Snapshot, snapshot
from .models import PRICES_AS_OF, price_for
from .savings import PartSavings, describe_transform
from .storage.base import MetricsBackend, redact_url
from .storage.jsonl import JsonlMetrics
from .storage.sqlite import StoreHandle, parse_store_url, sqlite_metrics

if TYPE_CHECKING:
    from .compress import CompressResult

__all__ = [
    "RECORD_KINDS",
    "GroupTotals",
    "MetricsStore",
    "MetricsSummary",
    "RecordKind",
    "RequestMetrics",
    "cost_saved_text",
    "summarize",
]

RecordKind = Literal["model_call", "tool_result"]
# The headline kind first: summaries, stats and reports show them in this order.
RECORD_KINDS: tuple[RecordKind, ...] = ("model_call", "tool_result")

_SCHEMES = ("sqlite", "jsonl", "memory", "postgresql", "postgres")

logger = logging.getLogger(__name__)

_TUPLE_FIELDS = ("transforms", "refs", "tool_names")


def cost_saved_text(tokens_saved: int, model: str) -> str:
    """The estimated cost of ``tokens_saved`` input tokens, flagged as an estimate and dated, or "no price"."""
    price = price_for(model)
    if price is None:
        return f"no price for model {model}"
    dollars = tokens_saved * price.input_per_million / 1e6
    amount = f"${dollars:,.2f}" if abs(dollars) >= 100 else f"${dollars:,.4f}"
    return f"{amount} (estimate) at {model} list input prices as of {PRICES_AS_OF}"


def _bad(name: str, value: Any, allowed: str) -> ValidationError:
    return ValidationError(
        f"RequestMetrics.{name} must be {allowed}", {"field": f"RequestMetrics.{name}", "value": value}
    )


def _input_cost(model: str, tokens: int) -> float | None:
    price = price_for(model)
    return None if price is None else tokens * price.input_per_million / 1_000_000


@dataclass(frozen=True)
class RequestMetrics:
    """What one request cost before and after compression, and what did it.

    ``tools`` and ``families`` are the real per-tool and per-transform-family
    numbers of the compressed parts (see :class:`~.savings.PartSavings`), so
    reports credit each tool with its own savings, not the whole request's.
    ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` are the
    provider's prompt-cache figures from the response, where it returned them.
    ``kind`` is ``"model_call"`` or ``"tool_result"`` (see the module docstring).
    ``warmup_ms`` is the one-time setup the call paid for (imports, encoding
    data, compressors), kept out of ``compression_ms`` so latency figures are compression's.
    """

    request_id: str
    timestamp: float
    model: str
    mode: str
    tokens_before: int
    tokens_after: int
    transforms: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    compression_ms: float = 0.0
    provider: str | None = None
    tool_names: tuple[str, ...] = ()
    integration: str = "engine"
    tools: tuple[PartSavings, ...] = ()
    families: tuple[PartSavings, ...] = ()
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    kind: RecordKind = "model_call"
    warmup_ms: float = 0.0

    @classmethod
    def of(
        cls,
        result: CompressResult,
        *,
        integration: str = "engine",
        kind: RecordKind = "model_call",
        provider: str | None = None,
        cache_read_input_tokens: int = 0,
        cache_creation_input_tokens: int = 0,
    ) -> RequestMetrics:
        """The row of one engine call, from its typed savings (plus the provider's cache figures)."""
        savings = result.savings
        return cls(
            request_id=result.request_id,
            timestamp=time.time(),
            model=result.model,
            mode=savings.mode,
            tokens_before=savings.tokens_before,
            tokens_after=result.tokens_after,
            transforms=savings.transforms,
            refs=tuple(result.refs),
            compression_ms=savings.compression_ms,
            provider=provider,
            tool_names=tuple(sorted({r.tool_name for r in savings.messages if r.kind == "tool" and r.tool_name})),
            integration=integration,
            tools=savings.tools,
            families=savings.families,
            cache_read_input_tokens=cache_read_input_tokens,
            cache_creation_input_tokens=cache_creation_input_tokens,
            kind=kind,
            warmup_ms=savings.warmup_ms,
        )

    def __post_init__(self) -> None:
        if isinstance(self.mode, enum.Enum):
            object.__setattr__(self, "mode", self.mode.value)
        for name in ("request_id", "model", "mode", "integration"):
            if not isinstance(getattr(self, name), str):
                raise _bad(name, getattr(self, name), "a str")
        if self.kind not in RECORD_KINDS:
            raise _bad("kind", self.kind, f"one of {list(RECORD_KINDS)}")
        if self.provider is not None and not isinstance(self.provider, str):
            raise _bad("provider", self.provider, "a str or None")
        for name in ("tokens_before", "tokens_after", "cache_read_input_tokens", "cache_creation_input_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _bad(name, value, "a non-negative int")
        if isinstance(self.timestamp, datetime.datetime):  # Headroom documents a datetime
            object.__setattr__(self, "timestamp", self.timestamp.timestamp())
        for name in ("timestamp", "compression_ms", "warmup_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise _bad(name, value, "a finite number")
            object.__setattr__(self, name, float(value))
        for name in ("compression_ms", "warmup_ms"):
            if getattr(self, name) < 0:
                raise _bad(name, getattr(self, name), "a non-negative number")
        for name in _TUPLE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise _bad(name, value, "a sequence of str")
            value = tuple(value)
            if not all(isinstance(v, str) for v in value):
                raise _bad(name, value, "a sequence of str")
            object.__setattr__(self, name, value)
        for name in ("tools", "families"):
            parts = tuple(_part(p) for p in getattr(self, name))
            object.__setattr__(self, name, parts)

    @property
    def tokens_saved(self) -> int:
        """``tokens_before - tokens_after`` (negative if a request grew: reported, not hidden)."""
        return self.tokens_before - self.tokens_after

    # Headroom's documented names for the same numbers.
    @property
    def tokens_input_before(self) -> int:
        return self.tokens_before

    @property
    def tokens_input_after(self) -> int:
        return self.tokens_after

    @property
    def transforms_applied(self) -> list[str]:
        return list(self.transforms)

    @property
    def cost_before(self) -> float | None:
        """Input cost before compression in USD at list price (None for a model without a known price)."""
        return _input_cost(self.model, self.tokens_before)

    @property
    def cost_after(self) -> float | None:
        """Input cost after compression in USD at list price (None for a model without a known price)."""
        return _input_cost(self.model, self.tokens_after)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; includes ``tokens_saved`` for readers of the raw store."""
        data = asdict(self)
        for name in _TUPLE_FIELDS:
            data[name] = list(data[name])
        for name in ("tools", "families"):
            data[name] = {p.name: p.to_dict() for p in getattr(self, name)}
        data["tokens_saved"] = self.tokens_saved
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestMetrics:
        """Rebuild from :meth:`to_dict` output; derived and unknown keys are ignored."""
        if not isinstance(data, Mapping):
            raise ValidationError("RequestMetrics.from_dict needs a mapping", {"type": type(data).__name__})
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        try:
            for name in ("tools", "families"):
                values[name] = _parts(values.get(name))
            return cls(**values)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValidationError(f"RequestMetrics.from_dict: {exc}", {"keys": sorted(data)}) from None


@dataclass(frozen=True)
class GroupTotals:
    """Totals of the requests in one group (a model, a transform, a tool, ...)."""

    requests: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    tokens_saved: int = 0
    cost_saved_usd: float | None = 0.0


@dataclass(frozen=True)
class MetricsSummary:
    """Totals over a time window.

    ``avg_compression_ratio`` is the mean over requests (with tokens_before >
    0) of ``tokens_after / tokens_before``: 1.0 means unchanged, 0.25 means
    compressed to a quarter; 1.0 when there is no such request.
    ``savings_ratio`` is ``total_tokens_saved / total_tokens_before``
    (token-weighted). Cost saved is an estimate at list *input* prices as of
    ``prices_as_of``, over the models that have a price: ``unpriced_models``
    lists the others (their savings are in no cost), and a cost is None when
    none of its models has a price. A request counts once in every transform and tool
    group it names, so those groups may add up to more than the total.
    The cache totals add up the provider-reported prompt-cache tokens.
    ``total_warmup_ms`` is one-time setup (first use of encodings and
    compressors), never part of ``total_compression_ms``.

    Every figure is over the records of one kind: the top-level ones are the
    model calls' (the headline: what models received vs what they were given),
    and ``by_kind`` holds the complete summary of each kind recorded
    (``"model_call"``, ``"tool_result"``), so tool-result savings are shown
    beside the headline and never added into it.
    """

    total_requests: int
    total_tokens_before: int
    total_tokens_after: int
    total_tokens_saved: int
    avg_compression_ratio: float
    savings_ratio: float
    total_cost_saved_usd: float | None
    prices_as_of: str
    total_compression_ms: float
    unpriced_models: tuple[str, ...] = ()
    by_transform: dict[str, GroupTotals] = field(default_factory=dict)
    by_model: dict[str, GroupTotals] = field(default_factory=dict)
    by_tool: dict[str, GroupTotals] = field(default_factory=dict)
    by_provider: dict[str, GroupTotals] = field(default_factory=dict)
    by_integration: dict[str, GroupTotals] = field(default_factory=dict)
    total_cache_read_input_tokens: int = 0
    total_cache_creation_input_tokens: int = 0
    by_kind: dict[str, MetricsSummary] = field(default_factory=dict)
    total_warmup_ms: float = 0.0

    # Per tool, what retrievals taught the compressor (LearnedAdjustment.to_dict(); engine/feedback.py).
    learned_adjustments: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total_records(self) -> int:
        """Records of every kind (a count, the one figure that may be added across kinds)."""
        return sum(s.total_requests for s in self.by_kind.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def totals(self) -> dict[str, Any]:
        """The headline figures as a small dict, plus ``by_kind`` with each kind's (what stats endpoints show)."""
        return {
            **_totals(self),
            "by_kind": {kind: _totals(summary) for kind, summary in self.by_kind.items()},
        }


def _totals(summary: MetricsSummary) -> dict[str, Any]:
    return {
        "requests": summary.total_requests,
        "tokens_before": summary.total_tokens_before,
        "tokens_after": summary.total_tokens_after,
        "tokens_saved": summary.total_tokens_saved,
        "savings_ratio": summary.savings_ratio,
        "cost_saved_usd": summary.total_cost_saved_usd,
    }


class _Group:
    """Order-independent accumulator of one group (tokens are ints, cost per model)."""

    def __init__(self) -> None:
        self.requests = self.before = self.after = 0
        self.saved_by_model: dict[str, int] = {}

    def add(self, record: RequestMetrics) -> None:
        self.requests += 1
        self.before += record.tokens_before
        self.after += record.tokens_after
        self.saved_by_model[record.model] = self.saved_by_model.get(record.model, 0) + record.tokens_saved

    def cost(self) -> float | None:
        """USD saved over the models with a price; None when none of them has one."""
        prices = [(price_for(model), saved) for model, saved in sorted(self.saved_by_model.items())]
        priced = [saved * price.input_per_million / 1e6 for price, saved in prices if price is not None]
        return math.fsum(priced) if priced or not prices else None

    def unpriced(self) -> tuple[str, ...]:
        return tuple(sorted(model for model in self.saved_by_model if price_for(model) is None))

    def totals(self) -> GroupTotals:
        return GroupTotals(self.requests, self.before, self.after, self.before - self.after, self.cost())


def _grouped(groups: dict[str, _Group]) -> dict[str, GroupTotals]:
    return {key: groups[key].totals() for key in sorted(groups)}


def _part(value: Any) -> PartSavings:
    if isinstance(value, PartSavings):
        return value
    raise _bad("tools", value, "a sequence of PartSavings")


def _parts(data: Any) -> tuple[PartSavings, ...]:
    """Breakdown rows back from their stored ``{name: numbers}`` form."""
    if isinstance(data, Mapping):
        return tuple(PartSavings.from_dict(name, numbers) for name, numbers in sorted(data.items()))
    return tuple(data or ())


def _add_part(groups: dict[str, _Group], part: PartSavings, model: str) -> None:
    group = groups.setdefault(part.name, _Group())
    group.requests += 1
    group.before += part.tokens_before
    group.after += part.tokens_after
    group.saved_by_model[model] = group.saved_by_model.get(model, 0) + part.tokens_saved


def summarize(records: Iterable[RequestMetrics]) -> MetricsSummary:
    """Add up ``records`` per kind; the model calls' totals lead. The result does not depend on their order."""
    of_kind: dict[str, list[RequestMetrics]] = {}
    for record in records:
        of_kind.setdefault(record.kind, []).append(record)
    kinds: dict[str, MetricsSummary] = {k: _summarize_kind(of_kind[k]) for k in RECORD_KINDS if k in of_kind}
    headline = kinds.get("model_call") or _summarize_kind([])
    return dataclasses.replace(headline, by_kind=kinds)


def _summarize_kind(records: list[RequestMetrics]) -> MetricsSummary:
    total = _Group()
    ratios: list[float] = []
    compression_ms: list[float] = []
    warmup_ms: list[float] = []
    groups: dict[str, dict[str, _Group]] = {
        "transform": {},
        "model": {},
        "tool": {},
        "provider": {},
        "integration": {},
    }
    cache_read = cache_creation = 0
    for record in records:
        total.add(record)
        cache_read += record.cache_read_input_tokens
        cache_creation += record.cache_creation_input_tokens
        compression_ms.append(record.compression_ms)
        warmup_ms.append(record.warmup_ms)
        if record.tokens_before > 0:
            ratios.append(record.tokens_after / record.tokens_before)
        for part in record.tools:
            _add_part(groups["tool"], part, record.model)
        for part in record.families:
            _add_part(groups["transform"], part, record.model)
        # Transforms with no per-part numbers (history fitting, cache alignment) count the whole request.
        measured = {p.name for p in record.families}
        keys = {
            "transform": sorted({describe_transform(t)[0] for t in record.transforms} - measured),
            "model": [record.model],
            "provider": [record.provider] if record.provider else [],
            "integration": [record.integration],
        }
        for dimension, names in keys.items():
            for name in names:
                groups[dimension].setdefault(name, _Group()).add(record)
    return MetricsSummary(
        total_requests=total.requests,
        total_tokens_before=total.before,
        total_tokens_after=total.after,
        total_tokens_saved=total.before - total.after,
        avg_compression_ratio=math.fsum(ratios) / len(ratios) if ratios else 1.0,
        savings_ratio=(total.before - total.after) / total.before if total.before else 0.0,
        total_cost_saved_usd=total.cost(),
        prices_as_of=PRICES_AS_OF,
        total_compression_ms=math.fsum(compression_ms),
        unpriced_models=total.unpriced(),
        by_transform=_grouped(groups["transform"]),
        by_model=_grouped(groups["model"]),
        by_tool=_grouped(groups["tool"]),
        by_provider=_grouped(groups["provider"]),
        by_integration=_grouped(groups["integration"]),
        total_cache_read_input_tokens=cache_read,
        total_cache_creation_input_tokens=cache_creation,
        total_warmup_ms=math.fsum(warmup_ms),
    )


def _check_window(start_time: float | None, end_time: float | None, limit: int | None = None) -> None:
    for name, value in (("start_time", start_time), ("end_time", end_time)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValidationError(f"MetricsStore {name} must be epoch seconds or None", {name: value})
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError("MetricsStore limit must be a non-negative int or None", {"limit": limit})


def _parsed(rows: Iterable[Any], url: str) -> list[RequestMetrics]:
    """Records rebuilt from stored dicts; one that no longer validates is skipped, not fatal."""
    records = []
    for row in rows:
        try:
            records.append(RequestMetrics.from_dict(row))
        except ValidationError as exc:
            logger.warning("skipping invalid metrics record in %s: %s", url, exc)
    return records


class MetricsStore(StoreHandle):
    """Durable, concurrent-writer-safe log of :class:`RequestMetrics`.

    Time windows are half-open: ``start_time <= timestamp < end_time``.
    Records are append-only; recording the same request twice counts it twice.
    """

    def __init__(self, url: str = "sqlite:///headroom.db") -> None:
        scheme, path = parse_store_url(url, _SCHEMES, "MetricsStore")
        self.url = url
        label = f"MetricsStore({redact_url(url)})"
        self._backend: MetricsBackend
        if scheme == "jsonl":
            self._backend = JsonlMetrics(path)
        elif scheme in ("postgresql", "postgres"):
            from .storage.postgres import postgres_metrics

            self._backend = postgres_metrics(path, label)
        else:
            self._backend = sqlite_metrics(path, label)
        self._feedback = self._backend.events()
        self._feedback_lock = threading.Lock()
        self._feedback_position = 0
        self._feedback_view: tuple[tuple[dict[str, Any], ...], Snapshot | None] = ((), None)

    def record(self, metrics: RequestMetrics) -> None:
        """Append one request's metrics.

        Raises :class:`StorageError` if a file store cannot be written; a
        PostgreSQL store buffers the record and retries (logging an outage once).
        """
        if not isinstance(metrics, RequestMetrics):
            raise ValidationError("MetricsStore.record needs a RequestMetrics", {"type": type(metrics).__name__})
        self._backend.append(metrics.to_dict())

    def get_metrics(
        self, start_time: float | None = None, end_time: float | None = None, limit: int | None = 100
    ) -> list[RequestMetrics]:
        """Records in the window, newest first (ties: most recently recorded first)."""
        _check_window(start_time, end_time, limit)
        return _parsed(self._backend.select(start_time, end_time, True, limit), redact_url(self.url))

    def get_summary(self, start_time: float | None = None, end_time: float | None = None) -> MetricsSummary:
        """Totals over the window (see :class:`MetricsSummary` for the definitions).

        ``learned_adjustments`` are the ones in force now (they have their own window).
        """
        _check_window(start_time, end_time)
        summary = summarize(_parsed(self._backend.select(start_time, end_time, False, None), redact_url(self.url)))
        return replace(summary, learned_adjustments=self.learned_summary())

    # -- retrieval feedback (engine/feedback.py) --------------------------------------

    def record_feedback(self, event: Mapping[str, Any]) -> None:
        """Append one feedback event (an ``output`` cut or a ``retrieval``), stamped now."""
        if not isinstance(event, Mapping) or event.get("event") not in ("output", "retrieval"):
            raise ValidationError("MetricsStore.record_feedback needs an output or retrieval event", {"event": event})
        self._feedback.append({**event, "timestamp": time.time()})

    def feedback_events(self, limit: int = MAX_EVENTS) -> list[dict[str, Any]]:
        """The newest ``limit`` (at most :data:`MAX_EVENTS`) feedback events, newest first (in recording order)."""
        _check_window(None, None, limit)
        return list(self._refreshed()[0][:limit])

    def feedback_snapshot(self) -> Snapshot:
        """What the newest :data:`MAX_EVENTS` events teach; recomputed only when events were added."""
        events, state = self._refreshed()
        if state is None:
            state = snapshot(events)
            with self._feedback_lock:
                if self._feedback_view[0] is events:
                    self._feedback_view = (events, state)
        return state

    def learned_adjustments(self) -> dict[str, LearnedAdjustment]:
        """Per tool, its retrieval rate over its window and what its next outputs keep more of."""
        return self.feedback_snapshot().adjustments

    def _refreshed(self) -> tuple[tuple[dict[str, Any], ...], Snapshot | None]:
        """The newest events, reading only those recorded (by any process) since the last read."""
        with self._feedback_lock:
            position, added = self._feedback.since(self._feedback_position, MAX_EVENTS)
            if added:
                self._feedback_position = position
                events = (*added, *self._feedback_view[0])[:MAX_EVENTS]
                self._feedback_view = (events, None)
            return self._feedback_view

    def learned_summary(self) -> dict[str, dict[str, Any]]:
        """:meth:`learned_adjustments` of the tools whose outputs were retrieved, as plain dicts."""
        return {tool: a.to_dict() for tool, a in self.learned_adjustments().items() if a.retrievals}

    def flush(self) -> None:
        """Write buffered records now (PostgreSQL batches them); file stores write at once."""
        self._backend.flush()

    def close(self) -> None:
        """Write what is buffered and release the database, if any."""
        self._backend.close()
