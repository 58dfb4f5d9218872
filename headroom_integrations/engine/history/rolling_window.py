"""Oldest-first dropping of whole units until the history fits a token budget.

The simple, predictable policy: keep the system message and the last turns,
drop the oldest units first. Units (an assistant tool call with its results)
go whole, and a cut never leaves the history opening on a reply whose
question is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import strict_arguments
from ..config import RollingWindowConfig
from ..models import DEFAULT_MODEL, resolve_model
from ..tokens.tokenizer import get_tokenizer
from ._budget import check_positive, resolve_budget
from ._units import Unit, assemble, build_units, is_valid_messages, protected_positions
from .pipeline import TransformResult

__all__ = ["RollingWindow", "WindowResult"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowResult:
    """The fitted messages, what was dropped, and whether the budget was met."""

    messages: list[Any]
    tokens_before: int
    tokens_after: int
    max_tokens: int
    dropped_indices: tuple[int, ...]
    source_indices: list[int | None]
    warnings: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return self.tokens_after <= self.max_tokens


def _drop_dangling_reply(units: Sequence[Unit], kept: list[bool], protected: set[int]) -> None:
    """After a cut, drop leading replies until the window opens on a user turn."""
    for unit in units:
        if unit.is_system or not kept[unit.position]:
            continue
        if unit.starts_turn or unit.position in protected:
            return
        kept[unit.position] = False


@strict_arguments
class RollingWindow:
    """Drops the oldest units first to fit ``max_tokens``; never raises for bad messages."""

    name = "rolling_window"

    def __init__(self, config: RollingWindowConfig | None = None) -> None:
        self.config = config or RollingWindowConfig()

    def apply(
        self, messages: Sequence[Mapping[str, Any]], *, max_tokens: int | None = None, model: str = DEFAULT_MODEL
    ) -> WindowResult:
        """Fit ``messages`` into ``max_tokens`` input tokens (reserve output space yourself).

        ``max_tokens`` None: ``config.max_tokens``, else the model's context
        limit less ``config.output_buffer_tokens``.
        """
        self.config.validate()
        if max_tokens is None:
            max_tokens = resolve_budget(self.config.max_tokens, None, model, self.config.output_buffer_tokens)
        budget = check_positive("max_tokens", max_tokens)
        if not is_valid_messages(messages):
            logger.warning("rolling window skipped: messages are not a list of role dicts")
            passed = list(messages) if isinstance(messages, Sequence) and not isinstance(messages, str) else []
            reason = ("messages are not a list of role dicts; left unchanged",)
            return WindowResult(passed, 0, 0, budget, (), list(range(len(passed))), reason)
        original = list(messages)
        tokenizer = get_tokenizer(model)
        before = int(tokenizer.count_messages(original))
        if not self.config.enabled or before <= budget:
            return WindowResult(original, before, before, budget, (), list(range(len(original))))
        units = build_units(original, tokenizer)
        protected = protected_positions(
            units, keep_system=self.config.keep_system, keep_last_turns=self.config.keep_last_turns
        )
        kept = [True] * len(units)
        estimate = before  # per-unit costs add up exactly: framing is per message
        for unit in units:
            if estimate <= budget:
                break
            if unit.position not in protected:
                kept[unit.position] = False
                estimate -= unit.tokens
        _drop_dangling_reply(units, kept, protected)
        out, sources = assemble(original, units, kept, {})
        after = int(tokenizer.count_messages(out))
        warnings: tuple[str, ...] = ()
        if after > budget:
            warnings = (
                f"budget of {budget} tokens cannot be met: the kept system message and last "
                f"{self.config.keep_last_turns} turns need {after}",
            )
            logger.warning("rolling window: %s", warnings[0])
        dropped = tuple(i for u in units if not kept[u.position] for i in u.indices)
        return WindowResult(out, before, after, budget, dropped, sources, warnings)

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult:
        """Pipeline step: fit ``ctx['token_budget']``, else ``config.max_tokens``, else the limit less the buffer."""
        model = resolve_model(ctx.get("model"))
        explicit = ctx.get("token_budget")
        if explicit is None and ctx.get("model_limit") is None:
            explicit = self.config.max_tokens
        budget = resolve_budget(explicit, ctx.get("model_limit"), model, self.config.output_buffer_tokens)
        result = self.apply(messages, max_tokens=budget, model=model)
        applied = [f"rolling_window:dropped={len(result.dropped_indices)}"] if result.dropped_indices else []
        return TransformResult(
            messages=result.messages,
            tokens_before=result.tokens_before,
            tokens_after=result.tokens_after,
            transforms_applied=applied,
            warnings=list(result.warnings),
            source_indices=result.source_indices,
        )
