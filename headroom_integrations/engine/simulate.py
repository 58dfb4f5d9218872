"""``simulate()``: what compression *would* do, with no side effects.

It runs the same plan as :func:`compress` (so its numbers are the numbers
optimize mode would report) but writes nothing to any store, and adds the
diagnostics a user needs to decide: where the tokens are, what kind of waste
they hold, and how cache-friendly the system prompt is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .compress import CompressResult, compress
from .compressors.detect import detect_content_type
from .config import HeadroomConfig
from .history import CacheAligner, WasteSignals, detect_waste, dynamic_spans
from .messages import iter_text_slots
from .metrics import cost_saved_text
from .models import DEFAULT_MODEL
from .tokens.tokenizer import Tokenizer, get_tokenizer

__all__ = ["SimulationResult", "simulate"]

# The waste signal that names what each transform family removes; families not listed drop
# repeated or low-relevance lines, counted as repetition.
_FAMILY_SIGNAL = {"smart_crusher": "json_bloat", "tabular": "json_bloat", "html": "html_noise"}


@dataclass(frozen=True)
class SimulationResult:
    """The plan for one request: savings, where tokens sit, waste and cache alignment.

    ``block_breakdown`` maps ``"role:kind"`` (e.g. ``"tool:json"``,
    ``"user:text"``) to ``{"messages": n, "tokens": t}``.
    ``cache_alignment_score`` is the share of the system prompt that precedes
    its first dynamic value (1.0: the whole prompt can be cached as it is).
    ``stable_prefix_hash`` is None when there is no system prompt to cache.
    Each waste signal is at least what the plan's transforms of its kind remove.
    """

    tokens_before: int
    tokens_after: int
    transforms: list[str]
    estimated_savings: str
    messages_optimized: int
    block_breakdown: dict[str, dict[str, int]]
    waste_signals: WasteSignals
    stable_prefix_hash: str | None
    cache_alignment_score: float
    refs: list[str]
    reasons: dict[int, str]

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    @property
    def savings_percent(self) -> float:
        """Share of the input tokens compression would remove, in percent."""
        return round(100.0 * self.tokens_saved / self.tokens_before, 2) if self.tokens_before > 0 else 0.0

    @property
    def transforms_applied(self) -> list[str]:
        """Headroom's name for ``transforms``."""
        return list(self.transforms)


def _breakdown(messages: Sequence[Mapping[str, Any]], tokenizer: Tokenizer) -> dict[str, dict[str, int]]:
    blocks: dict[str, dict[str, int]] = {}
    for slot in iter_text_slots(messages):
        kind = "text"
        if slot.kind == "tool":
            kind = detect_content_type(slot.text, hint=slot.tool_name).type.value
        entry = blocks.setdefault(f"{slot.kind}:{kind}", {"messages": 0, "tokens": 0})
        entry["messages"] += 1
        entry["tokens"] += int(tokenizer.count_text(slot.text))
    return dict(sorted(blocks.items()))


def _agreeing_waste(detected: WasteSignals, planned: CompressResult) -> WasteSignals:
    """``detected`` raised so every signal covers the tokens the plan removes through it."""
    removed: dict[str, int] = {}
    for report in planned.message_reports:
        if report.family:
            signal = _FAMILY_SIGNAL.get(report.family, "repetition")
            removed[signal] = removed.get(signal, 0) + report.tokens_before - report.tokens_after
    raised = {name: max(getattr(detected, name), tokens) for name, tokens in removed.items()}
    return replace(detected, **raised)


def _alignment_score(messages: Sequence[Mapping[str, Any]]) -> float:
    first = messages[0] if messages else None
    if not isinstance(first, Mapping) or first.get("role") not in ("system", "developer"):
        return 1.0
    text = "\n".join(slot.text for slot in iter_text_slots([first]))
    spans = dynamic_spans(text)
    if not text or not spans:
        return 1.0
    return round(min(start for start, _ in spans) / len(text), 4)


def simulate(
    messages: Sequence[Mapping[str, Any]],
    model: str = DEFAULT_MODEL,
    *,
    query: str | None = None,
    token_budget: int | None = None,
    config: HeadroomConfig | None = None,
    tool_profiles: Mapping[str, Any] | None = None,
    retrieve_tool: bool = True,
) -> SimulationResult:
    """Plan the compression of ``messages`` for ``model`` without writing anything (profiles and
    ``retrieve_tool`` as in compress)."""
    config = config or HeadroomConfig()
    planned = compress(
        messages,
        model,
        query=query,
        token_budget=token_budget,
        config=config,
        mode="simulate",
        tool_profiles=tool_profiles,
        retrieve_tool=retrieve_tool,
    )
    tokenizer = get_tokenizer(model)
    saved = planned.tokens_saved
    estimate = (
        f"{planned.savings_percent:.1f}% ({saved:,} of {planned.tokens_before:,} input tokens) per call, "
        f"{cost_saved_text(saved, model)}" + (" (token counts are estimates)" if planned.tokens_estimated else "")
    )
    changed = {
        source
        for out, source in zip(planned.messages, planned.source_indices, strict=True)
        if source is not None and out is not messages[source]
    }
    prefix = CacheAligner(config.cache_aligner).align(messages, model=model).metrics
    dropped = len(messages) - len({s for s in planned.source_indices if s is not None})
    return SimulationResult(
        tokens_before=planned.tokens_before,
        tokens_after=planned.tokens_after,
        transforms=list(planned.transforms_applied),
        estimated_savings=estimate,
        messages_optimized=len(changed) + dropped,
        block_breakdown=_breakdown(messages, tokenizer),
        waste_signals=_agreeing_waste(detect_waste(messages, tokenizer), planned),
        stable_prefix_hash=prefix.stable_prefix_hash if prefix.stable_prefix_bytes else None,
        cache_alignment_score=_alignment_score(messages),
        refs=list(planned.refs),
        reasons=dict(planned.reasons),
    )
