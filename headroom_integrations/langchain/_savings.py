"""What one call saved, in the shapes LangChain users read it, and a running total with streaming metrics.

Per call: the engine's typed :class:`~headroom_integrations.engine.savings.Savings`;
its dict form is ``response_metadata["headroom"]`` and :func:`run_metadata`
flattens it into the ``headroom_*`` LangSmith run metadata. Across calls:
:class:`SavingsTracker`, the engine's running totals plus what the streaming
callback handler measures (time to first token, output tokens), shared by a
model and every ``bind_tools`` / ``with_structured_output`` copy of it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine import savings as engine_savings
from ..engine.savings import Savings

__all__ = ["SavingsTracker", "history_run_metadata", "merged_run_metadata", "run_metadata", "tool_run_metadata"]


def run_metadata(savings: Savings) -> dict[str, Any]:
    """Flat ``headroom_*`` metadata for the traced run (per-tool numbers under ``headroom_tools``)."""
    metadata: dict[str, Any] = {
        "headroom_tokens_before": savings.tokens_before,
        "headroom_tokens_after": savings.tokens_after,
        "headroom_tokens_saved": savings.tokens_saved,
        "headroom_savings_percent": savings.savings_percent,
        "headroom_transforms": list(savings.transforms),
    }
    if savings.tools:
        metadata["headroom_tools"] = {
            part.name: {"tokens_before": part.tokens_before, "tokens_after": part.tokens_after}
            for part in savings.tools
        }
    return metadata


def _totals(before: int, after: int) -> dict[str, Any]:
    saved = max(0, before - after)
    return {
        "headroom_tokens_before": before,
        "headroom_tokens_after": after,
        "headroom_tokens_saved": saved,
        "headroom_savings_percent": round(100.0 * saved / before, 2) if before else 0.0,
    }


def history_run_metadata(savings: Savings, tool_results_saved: int, tool_transforms: Sequence[str]) -> dict[str, Any]:
    """Metadata for a model call after an agent step: what the model receives vs what the raw history would be.

    ``tool_results_saved`` are the tokens the tool results in the history saved when they were produced
    (compressed once, persisted), so ``headroom_tokens_before`` is the raw history's size.
    """
    before = savings.tokens_before + tool_results_saved
    return {
        **run_metadata(savings),
        **_totals(before, savings.tokens_after),
        "headroom_transforms": [*tool_transforms, *savings.transforms],
        "headroom_tool_results_tokens_saved": tool_results_saved,
    }


def merged_run_metadata(outer: Mapping[str, Any] | None, savings: Savings) -> dict[str, Any]:
    """``outer`` run metadata plus one call's savings; an outer Headroom step's raw size is kept as the base."""
    own = run_metadata(savings)
    outer = dict(outer or {})
    if isinstance(outer.get("headroom_tokens_before"), int):
        before = max(int(outer["headroom_tokens_before"]), savings.tokens_before)
        own.update(_totals(before, savings.tokens_after))
        own["headroom_transforms"] = [*outer.get("headroom_transforms", ()), *savings.transforms]
    return {**outer, **own}


def tool_run_metadata(savings: Savings) -> dict[str, Any]:
    """``headroom_*`` metadata for a tool run whose output was compressed: the numbers and where the rest is."""
    return {**run_metadata(savings), "headroom_refs": list(savings.refs)}


class SavingsTracker(engine_savings.SavingsTracker):
    """Thread-safe running totals of savings (``record``) and of streamed completions."""

    def __init__(self) -> None:
        super().__init__()
        self._ttft_ms: list[float] = []
        self._output_tokens = 0
        self._completions = 0

    def record_completion(self, *, output_tokens: int, ttft_ms: float | None) -> None:
        """Count one finished generation (``ttft_ms`` only when it streamed)."""
        with self._lock:
            self._completions += 1
            self._output_tokens += output_tokens
            if ttft_ms is not None:
                self._ttft_ms.append(ttft_ms)

    def summary(self) -> dict[str, Any]:
        """Savings totals plus completions, output tokens and time to first token."""
        with self._lock:
            ttft = sorted(self._ttft_ms)
            return {
                **self._totals.to_dict(),
                "completions": self._completions,
                "output_tokens": self._output_tokens,
                "streamed_calls": len(ttft),
                "ttft_ms_avg": round(statistics.fmean(ttft), 3) if ttft else None,
                "ttft_ms_p50": round(statistics.median(ttft), 3) if ttft else None,
            }
