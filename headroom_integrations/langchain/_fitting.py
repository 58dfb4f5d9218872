"""A conversation as the model should see it: tool results compressed, history fitted to a budget.

Two steps, each the engine's: tool results are compressed once against their
own turn (see :mod:`._tool_results`), then ``engine.compress`` fits the history
into the token budget with content compression switched off (those results are
already compressed; compressing them again against a newer question would
change their bytes every turn). The fitting keeps the system message, the last
turns and tool call/result pairs together, and stashes what it drops.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.messages import BaseMessage

from ..engine.compress import CompressResult
from ..engine.config import HeadroomConfig
from ..engine.options import EngineOptions
from ..engine.savings import call_summary
from ._convert import compress_messages
from ._tool_results import compress_tool_results

__all__ = ["Fitted", "build_view", "fit_history"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fitted:
    """The messages to send, their source positions, and the account of the step."""

    messages: list[BaseMessage]
    source_indices: list[int | None]
    summary: dict[str, Any] | None


def _unchanged(messages: Sequence[BaseMessage]) -> Fitted:
    return Fitted(list(messages), list(range(len(messages))), None)


def _fit_config(config: HeadroomConfig, *, strict: bool) -> HeadroomConfig:
    """The fitting config: content compression off, ``strict`` also lets the last turns go.

    Tool results are compressed once, on their own; compressing them again against a newer
    question would change their bytes every turn. ``strict`` is for when the last turns cannot fit.
    """
    fitting = config.with_changes(content=replace(config.content, enabled=False))
    if not strict:
        return fitting
    return fitting.with_changes(intelligent_context=replace(config.intelligent_context, keep_last_turns=0))


def _budget(options: EngineOptions, token_budget: int | None, model: str) -> int:
    """``token_budget``, or the model's context window less the configured output buffer."""
    if token_budget is not None:
        return token_budget
    limit = options.config.context_limit(model)
    return max(1, limit - options.config.intelligent_context.output_buffer_tokens)


def fit_history(
    messages: Sequence[BaseMessage], options: EngineOptions, model: str, token_budget: int | None
) -> Fitted:
    """``messages`` fitted into ``token_budget`` (the model's window when None); fails open.

    The engine protects the last turns; when they alone cannot fit, the budget
    wins (a request over the model's window fails at the provider) and the
    fitting runs again with only the system message and the final user turn protected.
    """
    budget = _budget(options, token_budget, model)
    try:
        config = _fit_config(options.config, strict=False)
        out = compress_messages(messages, model, token_budget=budget, **options.engine_kwargs(config))
        planned = out.result.tokens_before - out.result.potential_tokens_saved  # what optimize sends
        if planned > budget and options.config.intelligent_context.keep_last_turns > 0:
            config = _fit_config(options.config, strict=True)
            out = compress_messages(messages, model, token_budget=budget, **options.engine_kwargs(config))
    except Exception as exc:  # fail open: the call goes through with the full history
        logger.warning("headroom: history left unfitted: %r", exc)
        return _unchanged(messages)
    result: CompressResult = out.result
    summary = call_summary(result, sent_original=not options.changes_messages)
    if result.warnings:
        summary["warnings"] = list(result.warnings)
    if not options.changes_messages:
        return Fitted(list(messages), list(range(len(messages))), summary)
    return Fitted(out.messages, list(result.source_indices), summary)


def build_view(messages: Sequence[BaseMessage], options: EngineOptions, model: str, token_budget: int | None) -> Fitted:
    """Tool results compressed against their own turns, then the history fitted (one summary for both)."""
    compacted, tool_results = compress_tool_results(messages, options, model)
    tool_summaries = [r.summary for r in tool_results if r.summary is not None]
    fitted = fit_history(compacted, options, model, token_budget)
    if fitted.summary is None:
        return fitted
    summary = dict(fitted.summary)
    tool_saved = sum(int(s["tokens_before"]) - int(s["tokens_after"]) for s in tool_summaries)
    summary["tokens_before"] = int(summary["tokens_before"]) + tool_saved
    saved = max(0, summary["tokens_before"] - int(summary["tokens_after"]))
    summary["tokens_saved"] = saved
    summary["savings_percent"] = round(100.0 * saved / summary["tokens_before"], 2) if saved else 0.0
    summary["potential_tokens_saved"] = int(summary["potential_tokens_saved"]) + sum(
        int(s["potential_tokens_saved"]) for s in tool_summaries
    )
    summary["transforms"] = [t for s in tool_summaries for t in s["transforms"]] + list(summary["transforms"])
    summary["refs"] = list(dict.fromkeys([r for s in tool_summaries for r in s["refs"]] + summary["refs"]))
    summary["compression_ms"] = round(
        float(summary["compression_ms"]) + sum(float(s["compression_ms"]) for s in tool_summaries), 3
    )
    summary["messages_before"] = len(messages)
    summary["messages_after"] = len(fitted.messages)
    return Fitted(fitted.messages, fitted.source_indices, summary)
