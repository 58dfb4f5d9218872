"""What one compression saved, and running totals of many, in the shape every integration reports.

Per call: :func:`call_summary` turns an engine :class:`CompressResult` into a
plain dict (tokens before/after/saved, transforms, refs, timing). In audit and
simulate modes the model gets the original, so the summary claims no savings
and names no refs; ``potential_tokens_saved`` says what optimize would save.
Across calls: :class:`SavingsTotals` adds summaries up (and round-trips
through a plain dict, so totals can live in a run's metadata) and
:class:`SavingsTracker` does the same for many threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .compress import CompressResult

__all__ = ["SavingsTotals", "SavingsTracker", "call_summary", "transform_family"]


def call_summary(result: CompressResult, *, sent_original: bool) -> dict[str, Any]:
    """The per-call savings dict; ``sent_original``: the model got the original (audit, simulate)."""
    summary = {
        **result.summary(),
        "mode": result.mode.value,
        "potential_tokens_saved": result.potential_tokens_saved,
    }
    if sent_original:
        summary.update(tokens_after=result.tokens_before, tokens_saved=0, savings_percent=0.0, refs=[])
    return summary


def transform_family(transform: str) -> str:
    """``"smart_crusher:412->15"`` -> ``"smart_crusher"`` (totals count transforms by family)."""
    return transform.split(":", 1)[0]


@dataclass
class SavingsTotals:
    """Sums of call summaries; ``tokens_saved`` and ``savings_percent`` are derived, never negative."""

    calls: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    potential_tokens_saved: int = 0
    compression_ms: float = 0.0
    transforms: dict[str, int] = field(default_factory=dict)

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
        )

    def add(self, summary: Mapping[str, Any]) -> None:
        """Count one call from its summary (see :func:`call_summary`)."""
        self.calls += 1
        self.tokens_before += int(summary["tokens_before"])
        self.tokens_after += int(summary["tokens_after"])
        self.potential_tokens_saved += int(summary.get("potential_tokens_saved", 0))
        self.compression_ms += float(summary.get("compression_ms", 0.0))
        for transform in summary.get("transforms", ()):
            family = transform_family(str(transform))
            self.transforms[family] = self.transforms.get(family, 0) + 1

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
        }


class SavingsTracker:
    """Thread-safe running totals of one component (what its ``get_savings_summary()`` returns)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = SavingsTotals()

    def record_call(self, summary: Mapping[str, Any]) -> None:
        """Count one call from its per-call summary."""
        with self._lock:
            self._totals.add(summary)

    def summary(self) -> dict[str, Any]:
        """Totals so far, as plain JSON-ready values."""
        with self._lock:
            return self._totals.to_dict()
