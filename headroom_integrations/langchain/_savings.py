"""What one call saved, in the shapes LangChain users read it, and a running total.

Per call: the ``response_metadata["headroom"]`` dict and the flat
``headroom_*`` LangSmith run metadata. Across calls: :class:`SavingsTracker`,
shared by a model and every ``bind_tools`` / ``with_structured_output`` copy of
it, fed by the model (compression) and by the streaming callback handler
(time to first token, output tokens).
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..engine.compress import CompressResult

__all__ = ["SavingsTracker", "call_summary", "run_metadata"]

# The run-metadata keys LangSmith shows, taken from the per-call summary.
_RUN_METADATA_KEYS = ("tokens_before", "tokens_after", "tokens_saved", "savings_percent", "transforms")


def call_summary(result: CompressResult, *, sent_original: bool) -> dict[str, Any]:
    """The per-call savings dict (``response_metadata["headroom"]``).

    ``sent_original`` is True when the model received the original conversation
    (audit and simulate modes): then nothing was saved or stored, ``transforms``
    are the ones optimize mode would apply and ``potential_tokens_saved`` what
    it would save.
    """
    summary = result.summary()
    summary["mode"] = result.mode.value
    summary["potential_tokens_saved"] = result.potential_tokens_saved
    if sent_original:
        summary.update(tokens_after=result.tokens_before, tokens_saved=0, savings_percent=0.0, refs=[])
    return summary


def run_metadata(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Flat ``headroom_*`` metadata for the traced LLM run."""
    return {f"headroom_{key}": summary[key] for key in _RUN_METADATA_KEYS}


def _transform_family(transform: str) -> str:
    """``"smart_crusher:412->15"`` -> ``"smart_crusher"``."""
    return transform.split(":", 1)[0]


class SavingsTracker:
    """Thread-safe running totals of savings and streaming metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls = 0
        self._tokens_before = 0
        self._tokens_after = 0
        self._potential = 0
        self._compression_ms = 0.0
        self._transforms: Counter[str] = Counter()
        self._ttft_ms: list[float] = []
        self._output_tokens = 0
        self._completions = 0

    def record_call(self, summary: Mapping[str, Any]) -> None:
        """Count one model call from its per-call summary."""
        with self._lock:
            self._calls += 1
            self._tokens_before += int(summary["tokens_before"])
            self._tokens_after += int(summary["tokens_after"])
            self._potential += int(summary.get("potential_tokens_saved", 0))
            self._compression_ms += float(summary["compression_ms"])
            self._transforms.update(_transform_family(t) for t in summary["transforms"])

    def record_completion(self, *, output_tokens: int, ttft_ms: float | None) -> None:
        """Count one finished generation (``ttft_ms`` only when it streamed)."""
        with self._lock:
            self._completions += 1
            self._output_tokens += output_tokens
            if ttft_ms is not None:
                self._ttft_ms.append(ttft_ms)

    def summary(self) -> dict[str, Any]:
        """Totals so far, as plain JSON-ready values."""
        with self._lock:
            saved = max(0, self._tokens_before - self._tokens_after)
            ttft = sorted(self._ttft_ms)
            return {
                "calls": self._calls,
                "tokens_before": self._tokens_before,
                "tokens_after": self._tokens_after,
                "tokens_saved": saved,
                "savings_percent": round(100.0 * saved / self._tokens_before, 2)
                if self._tokens_before
                else 0.0,
                "potential_tokens_saved": self._potential,
                "compression_ms_total": round(self._compression_ms, 3),
                "transforms": dict(sorted(self._transforms.items())),
                "completions": self._completions,
                "output_tokens": self._output_tokens,
                "streamed_calls": len(ttft),
                "ttft_ms_avg": round(statistics.fmean(ttft), 3) if ttft else None,
                "ttft_ms_p50": round(statistics.median(ttft), 3) if ttft else None,
            }
