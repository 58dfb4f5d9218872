"""What one compression saved, typed, in the one shape every consumer reads; and running totals of many.

The engine builds a :class:`Savings` for every call (``CompressResult.savings``):
request totals, what ran, the refs that hold dropped content, and the real
per-message, per-tool and per-transform-family numbers. Integrations attach
it to responses and traces, metrics rows store its breakdowns, and reports
read them; nobody parses transform strings (:func:`describe_transform` is the
one place that reads the compressors' ``name:before->after`` wording). In audit
and simulate modes the model gets the original, so the savings claim nothing
and name no refs; ``potential_tokens_saved`` says what optimize would save.
:class:`SavingsTotals` adds calls up (and round-trips through a plain dict, so
totals can live in a run's metadata); :class:`SavingsTracker` does the same
for many threads at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .cache_control import CacheUsage

if TYPE_CHECKING:
    from .compress import CompressResult

__all__ = [
    "MessageReport",
    "PartSavings",
    "Savings",
    "SavingsTotals",
    "SavingsTracker",
    "describe_transform",
    "merge_parts",
]

_ITEMS = re.compile(r"(\d+)->(\d+)\s*$")
UNNAMED_TOOL = "(unnamed tool)"


def describe_transform(transform: str) -> tuple[str, int | None, int | None]:
    """``"smart_crusher:412->15"`` -> ``("smart_crusher", 412, 15)``; items are None when not counted."""
    family, _, detail = transform.partition(":")
    match = _ITEMS.search(detail)
    if match is None:
        return family, None, None
    return family, int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class MessageReport:
    """What happened to one text part of one message (tokens are the part's text alone)."""

    index: int
    kind: str
    tool_name: str | None
    tokens_before: int
    tokens_after: int
    transform: str | None
    reason: str | None

    @property
    def family(self) -> str | None:
        """The transform family (``smart_crusher``, ``log``, ...), None when the part was left alone."""
        return None if self.transform is None else describe_transform(self.transform)[0]

    @property
    def items(self) -> tuple[int | None, int | None]:
        """Items (records, lines, ...) before and after, when the transform counts them."""
        if self.transform is None:
            return None, None
        _, before, after = describe_transform(self.transform)
        return before, after


@dataclass(frozen=True)
class PartSavings:
    """The compressed parts of one group in one or more calls: one tool's results, or one transform family.

    ``items_before``/``items_after`` sum the counts of the transforms that report
    them (JSON records, log lines, ...); ``families`` names the transforms that ran.
    """

    name: str
    parts: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    items_before: int = 0
    items_after: int = 0
    families: tuple[str, ...] = ()

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    def plus(self, other: PartSavings) -> PartSavings:
        """Both groups' numbers added up (same name)."""
        return PartSavings(
            self.name,
            self.parts + other.parts,
            self.tokens_before + other.tokens_before,
            self.tokens_after + other.tokens_after,
            self.items_before + other.items_before,
            self.items_after + other.items_after,
            tuple(sorted({*self.families, *other.families})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "parts": self.parts,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "items_before": self.items_before,
            "items_after": self.items_after,
            "families": list(self.families),
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> PartSavings:
        return cls(
            str(name),
            int(data.get("parts", 0)),
            int(data.get("tokens_before", 0)),
            int(data.get("tokens_after", 0)),
            int(data.get("items_before", 0)),
            int(data.get("items_after", 0)),
            tuple(str(f) for f in data.get("families", ())),
        )


def _part(name: str, report: MessageReport) -> PartSavings:
    before, after = report.items
    family = report.family
    return PartSavings(
        name,
        1,
        report.tokens_before,
        report.tokens_after,
        before or 0,
        after or 0,
        (family,) if family else (),
    )


def _grouped(parts: Iterable[PartSavings]) -> tuple[PartSavings, ...]:
    groups: dict[str, PartSavings] = {}
    for part in parts:
        groups[part.name] = groups[part.name].plus(part) if part.name in groups else part
    return tuple(groups[name] for name in sorted(groups))


def merge_parts(*groups: Iterable[PartSavings]) -> tuple[PartSavings, ...]:
    """Groups of the same name added up, sorted by name."""
    return _grouped(part for group in groups for part in group)


def _parts_dict(parts: Iterable[PartSavings]) -> dict[str, dict[str, Any]]:
    return {part.name: part.to_dict() for part in parts}


@dataclass(frozen=True)
class Savings:
    """One call's honest account: totals, what ran, refs, and per-message / per-tool / per-family numbers.

    ``tools`` counts tool results by tool name and ``families`` compressed parts
    by transform family, each with the tokens of those parts alone; history
    fitting (dropped or shortened turns) shows in the totals and ``transforms``.
    """

    mode: str
    tokens_before: int
    tokens_after: int
    potential_tokens_saved: int = 0
    transforms: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    compression_ms: float = 0.0
    tokens_estimated: bool = False
    warnings: tuple[str, ...] = ()
    messages: tuple[MessageReport, ...] = ()
    tools: tuple[PartSavings, ...] = ()
    families: tuple[PartSavings, ...] = ()
    messages_before: int = 0
    messages_after: int = 0
    warmup_ms: float = 0.0

    @classmethod
    def of(cls, result: CompressResult) -> Savings:
        """The savings of one engine result; audit and simulate sent the original, so they claim none."""
        reports = tuple(result.message_reports)
        changed = [r for r in reports if r.transform is not None]
        tool_parts = [r for r in changed if r.kind == "tool"]
        sent_original = result.mode.value != "optimize"
        return cls(
            mode=result.mode.value,
            tokens_before=result.tokens_before,
            tokens_after=result.tokens_before if sent_original else result.tokens_after,
            potential_tokens_saved=result.potential_tokens_saved,
            transforms=tuple(result.transforms_applied),
            refs=() if sent_original else tuple(result.refs),
            compression_ms=result.compression_ms,
            tokens_estimated=result.tokens_estimated,
            warnings=tuple(result.warnings),
            messages=reports,
            tools=() if sent_original else _grouped(_part(r.tool_name or UNNAMED_TOOL, r) for r in tool_parts),
            families=() if sent_original else _grouped(_part(r.family or "", r) for r in changed),
            messages_before=result.messages_before,
            messages_after=len(result.messages),
            warmup_ms=result.warmup_ms,
        )

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    @property
    def savings_percent(self) -> float:
        if self.tokens_before <= 0:
            return 0.0
        return round(100.0 * self.tokens_saved / self.tokens_before, 2)

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(part.name for part in self.tools)

    def with_timing(self, compression_ms: float) -> Savings:
        """The same savings timed over a wider step (e.g. an integration's message conversion)."""
        return replace(self, compression_ms=compression_ms)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (what responses, traces and run metadata carry)."""
        data: dict[str, Any] = {
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "savings_percent": self.savings_percent,
            "transforms": list(self.transforms),
            "compression_ms": round(self.compression_ms, 3),
            "refs": list(self.refs),
            "mode": self.mode,
            "potential_tokens_saved": self.potential_tokens_saved,
            "tools": _parts_dict(self.tools),
            "families": _parts_dict(self.families),
            "messages_before": self.messages_before,
            "messages_after": self.messages_after,
        }
        if self.tokens_estimated:
            data["tokens_estimated"] = True
        if self.warmup_ms:  # one-time setup this call paid for, not in compression_ms
            data["warmup_ms"] = round(self.warmup_ms, 3)
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Savings:
        """Savings back from :meth:`to_dict` output (per-message reports are not carried)."""
        return cls(
            mode=str(data.get("mode", "optimize")),
            tokens_before=int(data.get("tokens_before", 0)),
            tokens_after=int(data.get("tokens_after", 0)),
            potential_tokens_saved=int(data.get("potential_tokens_saved", 0)),
            transforms=tuple(str(t) for t in data.get("transforms", ())),
            refs=tuple(str(r) for r in data.get("refs", ())),
            compression_ms=float(data.get("compression_ms", 0.0)),
            tokens_estimated=bool(data.get("tokens_estimated", False)),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
            tools=tuple(PartSavings.from_dict(k, v) for k, v in sorted(dict(data.get("tools") or {}).items())),
            families=tuple(PartSavings.from_dict(k, v) for k, v in sorted(dict(data.get("families") or {}).items())),
            messages_before=int(data.get("messages_before", 0)),
            messages_after=int(data.get("messages_after", 0)),
            warmup_ms=float(data.get("warmup_ms", 0.0)),
        )


@dataclass
class SavingsTotals:
    """Sums of many calls' savings; ``tokens_saved`` and ``savings_percent`` are derived, never negative.

    ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` add up the
    provider's prompt-cache figures of the answered calls, where it reported them.
    """

    calls: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    potential_tokens_saved: int = 0
    compression_ms: float = 0.0
    transforms: dict[str, int] = field(default_factory=dict)
    tools: tuple[PartSavings, ...] = ()
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SavingsTotals:
        """Totals back from :meth:`to_dict` output (derived keys are recomputed)."""
        data = data or {}
        return cls(
            calls=int(data.get("calls", 0)),
            tokens_before=int(data.get("tokens_before", 0)),
            tokens_after=int(data.get("tokens_after", 0)),
            potential_tokens_saved=int(data.get("potential_tokens_saved", 0)),
            compression_ms=float(data.get("compression_ms", 0.0)),
            transforms={str(k): int(v) for k, v in dict(data.get("transforms") or {}).items()},
            tools=tuple(PartSavings.from_dict(k, v) for k, v in sorted(dict(data.get("tools") or {}).items())),
            cache_read_input_tokens=int(data.get("cache_read_input_tokens", 0)),
            cache_creation_input_tokens=int(data.get("cache_creation_input_tokens", 0)),
        )

    def add(self, savings: Savings) -> None:
        """Count one call."""
        self.calls += 1
        self.tokens_before += savings.tokens_before
        self.tokens_after += savings.tokens_after
        self.potential_tokens_saved += savings.potential_tokens_saved
        self.compression_ms += savings.compression_ms
        for transform in savings.transforms:
            family = describe_transform(transform)[0]
            self.transforms[family] = self.transforms.get(family, 0) + 1
        self.tools = merge_parts(self.tools, savings.tools)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready totals (``compression_ms`` is the sum over the calls)."""
        saved = max(0, self.tokens_before - self.tokens_after)
        return {
            "calls": self.calls,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": saved,
            "savings_percent": round(100.0 * saved / self.tokens_before, 2) if self.tokens_before else 0.0,
            "potential_tokens_saved": self.potential_tokens_saved,
            "compression_ms": round(self.compression_ms, 3),
            "transforms": dict(sorted(self.transforms.items())),
            "tools": _parts_dict(self.tools),
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
        }


class SavingsTracker:
    """Thread-safe running totals of one component (what its ``get_savings_summary()`` returns)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = SavingsTotals()

    def record(self, savings: Savings) -> None:
        """Count one call."""
        with self._lock:
            self._totals.add(savings)

    def record_cache(self, usage: CacheUsage) -> None:
        """Add the prompt-cache tokens a provider reported for one answered call."""
        with self._lock:
            self._totals.cache_read_input_tokens += usage.cache_read_input_tokens
            self._totals.cache_creation_input_tokens += usage.cache_creation_input_tokens

    def summary(self) -> dict[str, Any]:
        """Totals so far, as plain JSON-ready values."""
        with self._lock:
            return self._totals.to_dict()
