"""Fit a conversation into a token budget by keeping what matters, not just what is recent.

:class:`IntelligentContextManager` scores every history unit (recency,
relevance to the query, errors, forward references, density), compresses
low-value units first, then drops the lowest-value ones until the budget
fits. The budget is a hard limit: the output is at most ``max(budget,
floor)`` tokens, where the floor is the system message(s) and the final user
message (after the compression the config allows them) plus the note. The
last turns are protected only while they fit; when they do not, they are
compressed (tool results first), then dropped like any other unit (a tool
call and its results always go together). Everything dropped is stashed as
JSON in the store and named by ONE short note, so ``retrieve(ref, query)``
brings it back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..arguments import strict_arguments
from ..ccr.markers import content_ref, omission_marker
from ..compressors.base import CompressionContext
from ..config import HeadroomConfig, IntelligentContextConfig, ScoringWeights
from ..errors import StorageError
from ..messages import latest_user_text
from ..models import resolve_model
from ..relevance import BM25Scorer, RelevanceScorer
from ..tokens.tokenizer import Tokenizer, get_tokenizer
from ._budget import resolve_budget
from ._context import compression_context
from ._scoring import score_units
from ._tokens import message_tokens
from ._unit_compress import PROSE_KINDS, CompressedUnit, UnitCompressor, lost_values
from ._units import (
    Unit,
    assemble,
    build_units,
    floor_positions,
    is_valid_messages,
    join_split_turns,
    place_note,
    protected_positions,
)
from .pipeline import TransformResult, unchanged_result

__all__ = ["IntelligentContextManager", "budget_warning"]

logger = logging.getLogger(__name__)

# High-value units that do not fit whole are tried compressed; this bounds the attempts per call.
_MAX_FIT_ATTEMPTS = 16
# A droppable tool step that would take more than this share of the room left is kept as its
# digest (the ids and values it names, and the ref of the whole): on tau-bench at system + 25%
# this keeps 77/107 evidence groups instead of 71/107 (benchmarks/bench_history.py).
_DIGEST_SHARE = 0.25
# Headroom for the note's exact token count (its ref is only known once the removed set is).
_NOTE_SLACK = 4
# Share of the budget held back for the values the history note lists (tau-bench, system + 25%: 70/107 evidence
# groups kept without it, 93/107 with it; locomo unchanged).
_VALUES_SHARE = 0.08
# A digest may use this share of it: a digest keeps its own values, so the note need not list them.
_DIGEST_LEND = 0.5


# Position-only ranking (use_importance_scoring=False, and the rolling-window fallback): oldest first.
_BY_AGE = ScoringWeights(
    recency=1.0,
    semantic_similarity=0.0,
    toin_importance=0.0,
    error_indicator=0.0,
    forward_reference=0.0,
    token_density=0.0,
)


@dataclass(frozen=True)
class _Policy:
    """How one call fits: which weights rank units, what is protected, what the note is called."""

    enabled: bool
    weights: ScoringWeights
    decay_rate: float
    keep_system: bool
    keep_last_turns: int
    output_buffer_tokens: int
    compress_first: bool
    label: str


@dataclass
class _Plan:
    """One fitting in progress: which units stay, which are replaced by compressed copies."""

    units: list[Unit]
    scores: dict[int, float]
    protected: set[int]
    total: int
    floor: set[int] = field(default_factory=set)
    costs: dict[int, int] = field(default_factory=dict)
    kept: list[bool] = field(default_factory=list)
    compressed: dict[int, CompressedUnit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.costs = {u.position: u.tokens for u in self.units}
        self.kept = [True] * len(self.units)

    def keep(self, position: int, keep: bool) -> None:
        if self.kept[position] != keep:
            self.kept[position] = keep
            self.total += self.costs[position] if keep else -self.costs[position]

    def compress(
        self, unit: Unit, compressor: UnitCompressor, fit: int | None = None, prose_kinds: tuple[str, ...] = PROSE_KINDS
    ) -> None:
        """Replace ``unit`` by its compressed form when that saves tokens (once per unit)."""
        if unit.position in self.compressed:
            return
        result = compressor.compress(unit, fit, prose_kinds)
        if result is None:
            return
        if self.kept[unit.position]:
            self.total += result.tokens - self.costs[unit.position]
        self.costs[unit.position] = result.tokens
        self.compressed[unit.position] = result

    def digest(self, unit: Unit, compressor: UnitCompressor, room: int) -> bool:
        """Keep a dropped tool step as its digest when that fits ``room``; whether it did."""
        result = compressor.digest(unit, room)
        if result is None:
            return False
        self.costs[unit.position] = result.tokens
        self.compressed[unit.position] = result
        self.keep(unit.position, True)
        return True

    def kept_compressions(self) -> list[CompressedUnit]:
        """Compressions that made it into the output (a compressed unit may be dropped later)."""
        return [c for p, c in sorted(self.compressed.items()) if self.kept[p]]

    def candidates(self) -> list[Unit]:
        """Droppable units, lowest value first (ties: older first)."""
        free = [u for u in self.units if u.position not in self.protected]
        return sorted(free, key=lambda u: (self.scores.get(u.position, 0.0), u.position))


@strict_arguments
class IntelligentContextManager:
    """Importance-scored history management under a token budget; never raises for bad messages."""

    name = "intelligent_context"

    def __init__(
        self,
        config: IntelligentContextConfig | None = None,
        *,
        scorer: RelevanceScorer | None = None,
        store: Any = None,
        headroom_config: HeadroomConfig | None = None,
    ) -> None:
        self.config = config or IntelligentContextConfig()
        self.scorer: RelevanceScorer = scorer or BM25Scorer()
        self.store = store
        self.headroom_config = headroom_config or HeadroomConfig(intelligent_context=self.config)

    def apply(
        self,
        messages: Sequence[Mapping[str, Any]],
        tokenizer: Tokenizer | None = None,
        *,
        model_limit: int | None = None,
        query: str | None = None,
        token_budget: int | None = None,
        model: str | None = None,
        context: CompressionContext | None = None,
    ) -> TransformResult:
        """Fit ``messages`` into ``token_budget`` (or ``model_limit`` less ``output_buffer_tokens``).

        ``tokenizer`` (Headroom's documented second argument) counts the tokens;
        by default the one of ``model`` (gpt-4o). ``query`` defaults to the
        latest user message. ``context`` (optional) supplies the store and
        content settings; a context whose store is None writes nothing but
        reports the same refs (simulate mode). With ``enabled=False`` the
        HeadroomConfig's ``rolling_window`` settings drop the oldest units
        instead (still stashed and named by one note), unless that is disabled too.
        """
        self.config.validate()
        model = model or (tokenizer.model if tokenizer is not None else "gpt-4o")
        tokenizer = tokenizer or get_tokenizer(model)
        policy = self._policy()
        budget = resolve_budget(token_budget, model_limit, model, policy.output_buffer_tokens)
        if not is_valid_messages(messages):
            logger.warning("intelligent context skipped: messages are not a list of role dicts")
            passed = list(messages) if isinstance(messages, Sequence) and not isinstance(messages, str) else []
            return TransformResult(
                passed,
                0,
                0,
                warnings=["messages are not a list of role dicts; left unchanged"],
                source_indices=list(range(len(passed))),
            )
        original = list(messages)
        try:
            return self._apply(original, budget, query, model, tokenizer, context, policy)
        except StorageError as exc:  # what cannot be stored is not dropped; the store logged the outage
            return unchanged_result(original, model, [f"history kept whole: the store is unavailable ({exc.message})"])
        except Exception as exc:  # fail open: the user's call must go through
            logger.warning("intelligent context failed open: %r", exc, exc_info=True)
            return unchanged_result(original, model, [f"intelligent context failed open: {type(exc).__name__}: {exc}"])

    def _policy(self) -> _Policy:
        """The settings in force: importance scoring, or the rolling-window fallback."""
        config = self.config
        if config.enabled:
            weights = config.scoring_weights.normalized() if config.use_importance_scoring else _BY_AGE
            return _Policy(
                True,
                weights,
                config.recency_decay_rate,
                config.keep_system,
                config.keep_last_turns,
                config.output_buffer_tokens,
                config.compress_before_drop,
                "intelligent_context",
            )
        window = self.headroom_config.rolling_window
        window.validate()
        return _Policy(
            window.enabled,
            _BY_AGE,
            config.recency_decay_rate,
            window.keep_system,
            window.keep_last_turns,
            window.output_buffer_tokens,
            False,
            "rolling_window",
        )

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult:
        """Pipeline step: ``ctx`` may carry token_budget, model_limit, query, model and context."""
        return self.apply(
            messages,
            model_limit=ctx.get("model_limit"),
            query=ctx.get("query"),
            token_budget=ctx.get("token_budget"),
            model=resolve_model(ctx.get("model")),
            context=ctx.get("context"),
        )

    def _apply(
        self,
        original: list[Any],
        budget: int,
        query: str | None,
        model: str,
        tokenizer: Tokenizer,
        context: CompressionContext | None,
        policy: _Policy,
    ) -> TransformResult:
        before = int(tokenizer.count_messages(original))
        if not policy.enabled or before <= budget:
            return unchanged_result(original, model)
        query = latest_user_text(original) if query is None else query
        ctx = compression_context(query, model, store=self.store, context=context, config=self.headroom_config)
        units = build_units(original, tokenizer)
        scores, _ = score_units(units, query, policy.weights, self.scorer, policy.decay_rate)
        protected = protected_positions(units, keep_system=policy.keep_system, keep_last_turns=policy.keep_last_turns)
        floor = floor_positions(units, keep_system=policy.keep_system)
        plan = _Plan(units, scores, protected, total=before, floor=floor)
        compressor = UnitCompressor(original, ctx)
        if policy.compress_first:
            self._compress_low_value(plan, compressor, budget)
        if plan.total > budget:
            reserve = self._note_reserve(tokenizer, plan)
            held = self._values_reserve(tokenizer, plan, original, budget)
            self._drop(plan, compressor, budget, reserve, held, policy.weights is _BY_AGE)
        if plan.total > budget:
            self._compress_protected(plan, compressor, budget)
        if plan.total > budget and plan.protected != floor:
            # The last turns alone are over the budget: only the floor stays protected.
            plan.protected = floor
            reserve = self._note_reserve(tokenizer, plan)
            held = self._values_reserve(tokenizer, plan, original, budget)
            self._drop(plan, compressor, budget, reserve, held, policy.weights is _BY_AGE)
        if plan.total > budget:
            self._compress_floor(plan, compressor, budget - self._note_reserve(tokenizer, plan))
        return self._finish(original, plan, budget, before, ctx, tokenizer, policy)

    @staticmethod
    def _note_reserve(tokenizer: Any, plan: _Plan) -> int:
        sample = {"role": "user", "content": _note_text(len(plan.units), 10**6, "0" * 24, names_tool=True)}
        return message_tokens(tokenizer, sample) + _NOTE_SLACK

    @staticmethod
    def _values_reserve(tokenizer: Any, plan: _Plan, original: list[Any], budget: int) -> int:
        """Room for the values droppable messages name, which the note lists when they go (a share of the budget
        at most)."""
        named = lost_values([original[i] for unit in plan.candidates() for i in unit.indices], [])
        if not named:
            return 0
        listed = int(tokenizer.count_text(_note_text(0, 0, "", named, names_tool=False)))
        return min(listed, int(budget * _VALUES_SHARE))

    def _compress_low_value(self, plan: _Plan, compressor: UnitCompressor, budget: int) -> None:
        """Compress the lower-valued half of the droppable units until the budget fits."""
        candidates = plan.candidates()
        for unit in candidates[: (len(candidates) + 1) // 2]:
            if plan.total <= budget:
                return
            plan.compress(unit, compressor)

    def _drop(
        self,
        plan: _Plan,
        compressor: UnitCompressor,
        budget: int,
        note_tokens: int,
        held: int = 0,
        contiguous: bool = False,
    ) -> None:
        """Keep the highest-valued droppable units that fit; a big valuable one may fit compressed,
        and a tool step that would take much of the room left stays as its digest.

        ``held`` tokens are kept back for the values the note lists; a digest may use them (it
        keeps its values itself, so the note need not list them). ``contiguous`` (ranking by
        age): stop at the first unit that does not fit, so the kept history is one unbroken
        recent stretch opening on a user turn.
        """
        candidates = plan.candidates()
        for unit in candidates:
            plan.keep(unit.position, False)
        room = budget - plan.total - note_tokens - held
        attempts = 0

        def digested(unit: Unit) -> bool:
            nonlocal room, held
            lend = int(held * _DIGEST_LEND)
            if not plan.digest(unit, compressor, room + lend):
                return False
            cost = plan.costs[unit.position]
            spent = min(lend, cost)
            held -= spent
            room -= cost - spent
            return True

        for unit in reversed(candidates):
            cost = plan.costs[unit.position]
            limit = room * _DIGEST_SHARE if unit.is_tool_step else room
            if cost > limit and attempts < _MAX_FIT_ATTEMPTS and unit.position not in plan.compressed:
                attempts += 1
                plan.compress(unit, compressor, fit=room)
                cost = plan.costs[unit.position]
            if unit.is_tool_step and cost > limit and digested(unit):
                continue  # its values stay, its bulk leaves room for more turns
            if cost <= room:
                plan.keep(unit.position, True)
                room -= cost
            elif contiguous:
                break
            elif unit.is_tool_step:
                digested(unit)  # too big even compressed: keep the values it names
        if contiguous:
            for unit in candidates:
                if plan.kept[unit.position] and not unit.starts_turn:
                    plan.keep(unit.position, False)
                elif plan.kept[unit.position]:
                    break

    def _compress_protected(self, plan: _Plan, compressor: UnitCompressor, budget: int) -> None:
        """Compress the protected last turns (tool steps first, oldest first) until the budget fits."""
        final_user = max((u.position for u in plan.units if u.starts_turn), default=-1)
        turns = [u for u in plan.units if u.position in plan.protected and not u.is_system]
        for unit in sorted(turns, key=lambda u: (not u.is_tool_step, u.position)):
            if plan.total <= budget:
                return
            if unit.position != final_user:
                plan.compress(unit, compressor)

    def _compress_floor(self, plan: _Plan, compressor: UnitCompressor, budget: int) -> None:
        """The floor alone is over ``budget`` (the note's share taken out already): cut its prose
        where ``config.content`` allows it."""
        content = self.headroom_config.content
        allowed = {"system": content.compress_system_messages, "user": content.compress_user_messages}
        for unit in plan.units:
            if plan.total <= budget:
                return
            kind = "system" if unit.is_system else "user"
            if unit.position in plan.protected and plan.kept[unit.position] and allowed[kind]:
                room = budget - (plan.total - plan.costs[unit.position])
                plan.compress(unit, compressor, fit=max(1, room), prose_kinds=(kind,))

    def _finish(
        self,
        original: list[Any],
        plan: _Plan,
        budget: int,
        before: int,
        ctx: CompressionContext,
        tokenizer: Tokenizer,
        policy: _Policy,
    ) -> TransformResult:
        named: int | None = None  # how many of the dropped messages' values the note lists (None: all it may)
        while True:
            dropped = [original[i] for u in plan.units if not plan.kept[u.position] for i in u.indices]
            note = None
            replacements = {p: c.messages for p, c in plan.compressed.items()}
            out, sources = assemble(original, plan.units, plan.kept, replacements)
            values: list[tuple[str, str]] = []
            if dropped:
                payload = json.dumps(dropped, ensure_ascii=False, sort_keys=True, default=str)
                dropped_tokens = sum(u.tokens for u in plan.units if not plan.kept[u.position])
                values = lost_values(dropped, out)[:named]
                note = _note_text(
                    len(dropped), dropped_tokens, content_ref(payload), values, names_tool=ctx.retrieve_tool
                )
                cut = _cut_position(plan, replacements)
                out, sources = place_note(out, sources, cut, note, self.config.note_role)
                out, sources = join_split_turns(out, sources)
            after = int(tokenizer.count_messages(out))
            if after <= budget:
                break
            if values:  # the values the note lists go before any more history does
                named = len(values) // 2
                continue
            named = None
            kept_free = [u for u in plan.candidates() if plan.kept[u.position]]
            if kept_free:
                plan.keep(kept_free[0].position, False)  # the estimate was short: drop the next lowest
            elif plan.protected != plan.floor:
                plan.protected = set(plan.floor)  # the last turns do not fit either: they may go too
            else:
                break
        kept = plan.kept_compressions()
        transforms = [t for c in kept for t in c.transforms]
        refs = list(dict.fromkeys(r for c in kept for r in c.refs))
        if dropped:
            refs.append(ctx.stash(payload, kind="json"))
            transforms.append(f"{policy.label}:dropped={len(dropped)}")
        warnings = []
        floor_tokens = None
        if after > budget:  # everything but the floor was dropped: ``after`` is the floor's size
            floor_tokens = after
            warnings.append(budget_warning(budget, after, after))
            # Debug only: compress() refits and reports the final numbers once.
            logger.debug("intelligent context: %s", warnings[0])
        return TransformResult(
            messages=out,
            tokens_before=before,
            tokens_after=after,
            transforms_applied=transforms,
            markers=[note] if note else [],
            warnings=warnings,
            refs=refs,
            source_indices=sources,
            floor_tokens=floor_tokens,
        )


def budget_warning(budget: int, returned: int, floor: int) -> str:
    """What a caller is told when ``budget`` cannot be met: the final numbers, nothing intermediate."""
    return (
        f"budget of {budget} tokens cannot be met: {returned} tokens returned ({returned - budget} over); "
        f"the floor no budget removes (the system message(s), the final user message with the tool result "
        f"that ends its turn, and the note) needs {floor} tokens after compression"
    )


def _cut_position(plan: _Plan, replacements: Mapping[int, Sequence[Any]]) -> int:
    """Where in the output the first dropped unit stood (every unit before it is kept)."""
    cut = 0
    for unit in plan.units:
        if not plan.kept[unit.position]:
            break
        cut += len(replacements.get(unit.position) or unit.indices)
    return cut


def _note_text(count: int, tokens: int, ref: str, values: Sequence[tuple[str, str]] = (), *, names_tool: bool) -> str:
    """The one note standing for removed history (``names_tool``: the model can call headroom_retrieve).

    ``values`` are (where, value): ids, codes and dates only the removed messages named, so the
    model sees they exist and where they came from, and can ask for them by ref.
    """
    groups: dict[str, list[str]] = {}
    for where, value in values:
        groups.setdefault(where, []).append(value)
    naming = "; they name " + "; ".join(f"{where}: {', '.join(v)}" for where, v in groups.items()) if values else ""
    note = f"({tokens} tokens, to fit the context budget{naming})"
    return omission_marker(count, "messages", ref, note, names_tool=names_tool)
