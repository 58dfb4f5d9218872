"""What Headroom saved, written where Agno users look, plus running totals.

Two scopes, kept apart because they count different things:

* ``model``: :class:`HeadroomAgnoModel` counts every provider call (each hop
  of the tool loop re-sends the conversation, and each is billed), so its
  numbers are input tokens before/after per call, summed.
* ``tool_results``: the compression manager and the tool hook compress each
  tool result once, so theirs are tool-result tokens before/after.

Per run they land in ``run_output.metrics.additional_metrics`` as flat
numbers (``headroom_tokens_saved``, ``headroom_tool_results_tokens_saved``,
...; Agno sums these into session metrics) and in ``run_output.metadata``
under ``"headroom"`` / ``"headroom_tool_results"`` with transforms and refs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.compress import CompressResult

__all__ = ["SavingsTotals", "SavingsTracker", "add_to_run_metrics", "attach_to_run", "call_summary"]

# scope -> metadata key; the additional_metrics keys are this key plus "_" plus the count's name.
_SCOPE_KEYS = {"model": "headroom", "tool_results": "headroom_tool_results"}
_COUNTED = ("tokens_before", "tokens_after", "tokens_saved", "potential_tokens_saved")


def call_summary(result: CompressResult, *, sent_original: bool) -> dict[str, Any]:
    """One compression's savings; with ``sent_original`` (audit, simulate) nothing was saved or stored."""
    summary = {
        **result.summary(),
        "mode": result.mode.value,
        "potential_tokens_saved": result.potential_tokens_saved,
    }
    if sent_original:
        summary.update(tokens_after=result.tokens_before, tokens_saved=0, savings_percent=0.0, refs=[])
    return summary


@dataclass
class SavingsTotals:
    """Sums of call summaries (transforms counted by family, e.g. ``smart_crusher``)."""

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
        self.calls += 1
        self.tokens_before += int(summary["tokens_before"])
        self.tokens_after += int(summary["tokens_after"])
        self.potential_tokens_saved += int(summary.get("potential_tokens_saved", 0))
        self.compression_ms += float(summary.get("compression_ms", 0.0))
        for transform in summary.get("transforms", ()):
            family = str(transform).split(":", 1)[0]
            self.transforms[family] = self.transforms.get(family, 0) + 1

    def to_dict(self) -> dict[str, Any]:
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
    """Thread-safe running totals of one Headroom component (its ``get_savings_summary()``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = SavingsTotals()

    def record(self, summary: Mapping[str, Any]) -> None:
        with self._lock:
            self._totals.add(summary)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return self._totals.to_dict()


def add_to_run_metrics(metrics: Any, summary: Mapping[str, Any], scope: str) -> None:
    """Add one summary to ``RunMetrics.additional_metrics`` (flat numbers Agno sums per session)."""
    if metrics is None:
        return
    prefix = _SCOPE_KEYS[scope] + "_"
    extra = dict(getattr(metrics, "additional_metrics", None) or {})
    extra[prefix + "calls"] = int(extra.get(prefix + "calls", 0)) + 1
    for name in _COUNTED:
        extra[prefix + name] = int(extra.get(prefix + name, 0)) + int(summary.get(name, 0))
    metrics.additional_metrics = extra


def attach_to_run(run_output: Any, summary: Mapping[str, Any], scope: str) -> None:
    """Add one summary to a run output's metrics and its ``metadata`` totals.

    ``metadata`` is replaced by a new dict, never edited in place: Agno may
    share it with the run context or the agent's own metadata.
    """
    add_to_run_metrics(getattr(run_output, "metrics", None), summary, scope)
    key = _SCOPE_KEYS[scope]
    metadata = dict(getattr(run_output, "metadata", None) or {})
    found = metadata.get(key)
    previous: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    totals = SavingsTotals.from_dict(previous)
    totals.add(summary)
    metadata[key] = {
        **totals.to_dict(),
        "refs": list(dict.fromkeys([*previous.get("refs", ()), *summary.get("refs", ())])),
    }
    run_output.metadata = metadata
