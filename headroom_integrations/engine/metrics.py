"""Savings metrics: one record per request, stored durably, summarised honestly.

Every optimised request produces a :class:`RequestMetrics` (tokens before and
after, what ran, which refs hold dropped content). A :class:`MetricsStore`
appends them to SQLite (``sqlite:///path``), JSON Lines (``jsonl:///path``),
PostgreSQL (``postgresql://...``, written in batches) or memory
(``memory://``); any number of threads and processes may write one store at
once. :meth:`MetricsStore.get_summary` adds them up; both file
backends give identical summaries for the same records because the summary is
computed by one function (:func:`summarize`) with order-independent sums.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import ValidationError
from .models import PRICES_AS_OF, price_for
from .storage.base import MetricsBackend, redact_url
from .storage.jsonl import JsonlMetrics
from .storage.sqlite import StoreHandle, parse_store_url, sqlite_metrics

__all__ = ["GroupTotals", "MetricsStore", "MetricsSummary", "RequestMetrics", "summarize"]

_SCHEMES = ("sqlite", "jsonl", "memory", "postgresql", "postgres")

logger = logging.getLogger(__name__)

_TUPLE_FIELDS = ("transforms", "refs", "tool_names")


def _bad(name: str, value: Any, allowed: str) -> ValidationError:
    return ValidationError(
        f"RequestMetrics.{name} must be {allowed}", {"field": f"RequestMetrics.{name}", "value": value}
    )


@dataclass(frozen=True)
class RequestMetrics:
    """What one request cost before and after compression, and what did it.

    ``transforms`` use the ``name:detail`` style of the compressors
    (``smart_crusher:412->15``); reports group by the part before ``:``.
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

    def __post_init__(self) -> None:
        if isinstance(self.mode, enum.Enum):
            object.__setattr__(self, "mode", self.mode.value)
        for name in ("request_id", "model", "mode", "integration"):
            if not isinstance(getattr(self, name), str):
                raise _bad(name, getattr(self, name), "a str")
        if self.provider is not None and not isinstance(self.provider, str):
            raise _bad("provider", self.provider, "a str or None")
        for name in ("tokens_before", "tokens_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _bad(name, value, "a non-negative int")
        for name in ("timestamp", "compression_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise _bad(name, value, "a finite number")
            object.__setattr__(self, name, float(value))
        if self.compression_ms < 0:
            raise _bad("compression_ms", self.compression_ms, "a non-negative number")
        for name in _TUPLE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise _bad(name, value, "a sequence of str")
            value = tuple(value)
            if not all(isinstance(v, str) for v in value):
                raise _bad(name, value, "a sequence of str")
            object.__setattr__(self, name, value)

    @property
    def tokens_saved(self) -> int:
        """``tokens_before - tokens_after`` (negative if a request grew: reported, not hidden)."""
        return self.tokens_before - self.tokens_after

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; includes ``tokens_saved`` for readers of the raw store."""
        data = asdict(self)
        for name in _TUPLE_FIELDS:
            data[name] = list(data[name])
        data["tokens_saved"] = self.tokens_saved
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestMetrics:
        """Rebuild from :meth:`to_dict` output; derived and unknown keys are ignored."""
        if not isinstance(data, Mapping):
            raise ValidationError("RequestMetrics.from_dict needs a mapping", {"type": type(data).__name__})
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ValidationError(f"RequestMetrics.from_dict: {exc}", {"keys": sorted(data)}) from None


@dataclass(frozen=True)
class GroupTotals:
    """Totals of the requests in one group (a model, a transform, a tool, ...)."""

    requests: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    tokens_saved: int = 0
    cost_saved_usd: float = 0.0


@dataclass(frozen=True)
class MetricsSummary:
    """Totals over a time window.

    ``avg_compression_ratio`` is the mean over requests (with tokens_before >
    0) of ``tokens_after / tokens_before``: 1.0 means unchanged, 0.25 means
    compressed to a quarter; 1.0 when there is no such request.
    ``savings_ratio`` is ``total_tokens_saved / total_tokens_before``
    (token-weighted). Cost saved is an estimate at list *input* prices as of
    ``prices_as_of``. A request counts once in every transform and tool
    group it names, so those groups may add up to more than the total.
    """

    total_requests: int
    total_tokens_before: int
    total_tokens_after: int
    total_tokens_saved: int
    avg_compression_ratio: float
    savings_ratio: float
    total_cost_saved_usd: float
    prices_as_of: str
    total_compression_ms: float
    by_transform: dict[str, GroupTotals] = field(default_factory=dict)
    by_model: dict[str, GroupTotals] = field(default_factory=dict)
    by_tool: dict[str, GroupTotals] = field(default_factory=dict)
    by_provider: dict[str, GroupTotals] = field(default_factory=dict)
    by_integration: dict[str, GroupTotals] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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

    def cost(self) -> float:
        return math.fsum(
            saved * price_for(model).input_per_million / 1e6 for model, saved in sorted(self.saved_by_model.items())
        )

    def totals(self) -> GroupTotals:
        return GroupTotals(self.requests, self.before, self.after, self.before - self.after, self.cost())


def _grouped(groups: dict[str, _Group]) -> dict[str, GroupTotals]:
    return {key: groups[key].totals() for key in sorted(groups)}


def _transform_name(transform: str) -> str:
    return transform.split(":", 1)[0]


def summarize(records: Iterable[RequestMetrics]) -> MetricsSummary:
    """Add up ``records``; the result does not depend on their order."""
    total = _Group()
    ratios: list[float] = []
    compression_ms: list[float] = []
    groups: dict[str, dict[str, _Group]] = {
        "transform": {},
        "model": {},
        "tool": {},
        "provider": {},
        "integration": {},
    }
    for record in records:
        total.add(record)
        compression_ms.append(record.compression_ms)
        if record.tokens_before > 0:
            ratios.append(record.tokens_after / record.tokens_before)
        keys = {
            "transform": sorted({_transform_name(t) for t in record.transforms}),
            "model": [record.model],
            "tool": sorted(set(record.tool_names)),
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
        by_transform=_grouped(groups["transform"]),
        by_model=_grouped(groups["model"]),
        by_tool=_grouped(groups["tool"]),
        by_provider=_grouped(groups["provider"]),
        by_integration=_grouped(groups["integration"]),
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
        """Totals over the window (see :class:`MetricsSummary` for the definitions)."""
        _check_window(start_time, end_time)
        return summarize(_parsed(self._backend.select(start_time, end_time, False, None), redact_url(self.url)))

    def flush(self) -> None:
        """Write buffered records now (PostgreSQL batches them); file stores write at once."""
        self._backend.flush()

    def close(self) -> None:
        """Write what is buffered and release the database, if any."""
        self._backend.close()
