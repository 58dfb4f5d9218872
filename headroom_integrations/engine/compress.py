"""``compress()``: the one front door every integration, the CLI and the SDK clients call.

It takes OpenAI-format messages and runs one policy, in named steps:

1. **validate** the arguments (misconfiguration raises :class:`ConfigurationError`);
2. **plan** what each text part is compressed against: a tool result against
   the user turn that led to it plus its call's arguments (never a later
   question), so the same result compresses to the same bytes on every hop;
3. **compress contents** through the content router, each part once and
   remembered (keyed by content, tool, that query and the config);
4. **fit** the history into ``token_budget`` (cache alignment, importance-scored
   dropping with content compression off, then a strict refit when the last
   turns alone do not fit);
5. **account**: the net-savings rule (never hand back more tokens than came
   in), audit mode, and a typed :class:`~.savings.Savings`.

It never raises for bad *content*: anything it cannot handle is passed through
unchanged with a reason (fail open, in one place).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from ._lru import LRUCache
from .ccr.markers import has_headroom_marker
from .ccr.store import RETRIEVE_TOOL_NAME
from .compressors.base import MAX_INPUT_CHARS, CompressionContext, CompressorOutput
from .compressors.repeats import EarlierOutput, compress_repeat, output_label
from .config import HeadroomConfig, HeadroomMode
from .errors import ConfigurationError, StorageError, ValidationError
from .feedback import Feedback, FeedbackLog, decision_key, feedback_log
from .messages import TextSlot, iter_text_slots, latest_user_text, replace_texts, result_call_id, turn_query
from .models import DEFAULT_MODEL
from .protocols import MetricsSink, ModeLike, Store
from .savings import MessageReport, Savings
from .tokens.tokenizer import Tokenizer, get_tokenizer
from .tool_profiles import ToolProfile, config_for_tool, resolve_tool_profiles
from .warmup import first_use, spent

if TYPE_CHECKING:
    from .compressors.router import ContentRouter
    from .history.pipeline import TransformResult
    from .metrics import RecordKind

__all__ = ["QUERY_SCOPES", "CompressResult", "MessageReport", "QueryScope", "compress"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompressResult:
    """The compressed conversation plus an honest account of the savings.

    ``source_indices[i]`` is the input index of output message ``i`` (None for
    a note the engine inserted). In audit mode ``messages`` are the originals
    and ``potential_tokens_saved`` says what optimize would have saved.
    ``compression_ms`` is the time spent compressing; ``warmup_ms`` the one-time
    setup this call paid for (imports, encoding data, compressors; see :mod:`~.warmup`).
    """

    messages: list[Any]
    source_indices: list[int | None]
    tokens_before: int
    tokens_after: int
    transforms_applied: list[str]
    refs: list[str]
    compression_ms: float
    reasons: dict[int, str]
    mode: HeadroomMode
    model: str
    request_id: str
    tokens_estimated: bool = False
    potential_tokens_saved: int = 0
    message_reports: tuple[MessageReport, ...] = ()
    warnings: tuple[str, ...] = ()
    query: str = ""
    messages_before: int = 0
    warmup_ms: float = 0.0

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    @property
    def compression_ratio(self) -> float:
        """Tokens after / tokens before (1.0 for an empty conversation), as Headroom documents it."""
        return self.tokens_after / self.tokens_before if self.tokens_before > 0 else 1.0

    @property
    def savings_percent(self) -> float:
        if self.tokens_before <= 0:
            return 0.0
        return round(100.0 * self.tokens_saved / self.tokens_before, 2)

    @property
    def savings(self) -> Savings:
        """The typed account every consumer reads (audit and simulate claim no savings)."""
        return Savings.of(self)

    def summary(self) -> dict[str, Any]:
        """``savings`` as a plain JSON-ready dict (what responses and traces carry)."""
        return self.savings.to_dict()


_Stashed = tuple[str, str, "dict[str, Any] | None"]  # (content, kind, metadata)


@dataclass
class _CachedOutput:
    output: CompressorOutput
    stashed: list[_Stashed] = field(default_factory=list)


def _output_chars(key: tuple[str, ...], entry: _CachedOutput) -> int:
    return len(entry.output.text) + sum(len(c) for c, _, _ in entry.stashed)


# Compressor outputs by (config, query, tool, text). An agent re-sends the same tool
# results on every hop; compressing each once keeps later hops nearly free and keeps
# their bytes identical, which provider prompt caches need.
_CACHE_CHARS = 64_000_000
_CACHE: LRUCache[tuple[str, ...], _CachedOutput] = LRUCache(_CACHE_CHARS, _output_chars, _CACHE_CHARS // 4)


class _RecordingContext(CompressionContext):
    """A context that also remembers what was stashed, so cache hits can re-stash it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stashed_contents: list[_Stashed] = []

    def stash(self, content: str, kind: str = "text", path: str | None = None, *, first_line: int = 1) -> str:
        self.stashed_contents.append((content, kind, self.stash_metadata(path, first_line)))
        return super().stash(content, kind, path, first_line=first_line)


def _config_key(config: HeadroomConfig) -> str:
    return hashlib.sha256(repr(config).encode()).hexdigest()[:16]


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# One router per config (by value): building one loads compressors and their scorers.
_ROUTERS: LRUCache[str, ContentRouter] = LRUCache(32)


def _router(config: HeadroomConfig) -> ContentRouter:
    key = _config_key(config)
    router = _ROUTERS.get(key)
    if router is None:
        with first_use():
            from .compressors.router import ContentRouter

            router = ContentRouter(config)
        _ROUTERS.put(key, router)
    return router


def _should_compress(slot: TextSlot, config: HeadroomConfig) -> bool:
    if slot.kind == "tool":
        return slot.tool_name != RETRIEVE_TOOL_NAME
    if slot.kind == "user":
        return config.content.compress_user_messages
    if slot.kind == "system":
        return config.content.compress_system_messages
    return False


def _compress_slot(
    slot: TextSlot,
    router: ContentRouter,
    ctx: _RecordingContext,
    cache_key: tuple[str, ...],
) -> tuple[CompressorOutput, list[str]]:
    """Compress one text part, through the cache; returns the output and its refs.

    ``ctx`` is the part's own context: what it records being stashed is what a cache hit re-stashes.
    """
    cached = _CACHE.get(cache_key)
    if cached is not None:
        if ctx.store is not None:
            for content, kind, metadata in cached.stashed:
                ctx.store.put(content, kind=kind, metadata=metadata)
        return cached.output, list(cached.output.refs)
    output = router.compress(slot.text, ctx, hint=slot.tool_name)
    refs = list(dict.fromkeys([*output.refs, *ctx.stashed]))
    if refs != list(output.refs):
        output = CompressorOutput(output.text, output.modified, output.transform, tuple(refs), output.reason)
    if not ctx.store_failed:  # an output kept whole for a down store must not outlive the outage
        _CACHE.put(cache_key, _CachedOutput(output, ctx.stashed_contents))
    return output, refs


QueryScope = Literal["turn", "latest"]
QUERY_SCOPES: tuple[QueryScope, ...] = ("turn", "latest")


@dataclass(frozen=True)
class _Plan:
    """A validated call: the inputs, the run mode, and what each compressible text part is compressed against."""

    original: list[Any]
    model: str
    config: HeadroomConfig
    mode: HeadroomMode
    tokenizer: Tokenizer
    tokens_before: int
    query: str
    slots: list[tuple[TextSlot, str]]  # (part, its query)
    skipped: list[MessageReport]
    token_budget: int | None
    store: Store | None
    profiles: dict[str, ToolProfile]
    feedback: Feedback
    retrieve_tool: bool = True  # the model can call headroom_retrieve: markers name it
    # Per tool part: what retrievals taught, as a profile (decided at its first compression), and that decision.
    learned: dict[tuple[int, tuple[Any, ...]], _Learned] = field(default_factory=dict)
    earlier: list[Any] = field(default_factory=list)  # read for repeats only: never compressed or returned


@dataclass(frozen=True)
class _Learned:
    key: str
    overrides: dict[str, Any]
    first: bool


@dataclass
class _Outcome:
    messages: list[Any]
    source_indices: list[int | None]
    reports: list[MessageReport] = field(default_factory=list)
    transforms: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    floor_tokens: int | None = None  # set when the budget could not be met
    # Tool outputs compressed for the first time: (tool, decision, refs).
    sent: list[tuple[str | None, _Learned, list[str]]] = field(default_factory=list)


def _default_store(config: HeadroomConfig) -> Any:
    """The store of ``config.store_url`` (the process default store when that is None)."""
    from .ccr.store import store_for_url

    return store_for_url(config.store_url, config.ccr)


def compress(
    messages: Sequence[Mapping[str, Any]],
    model: str = DEFAULT_MODEL,
    *,
    query: str | None = None,
    query_scope: QueryScope = "turn",
    queries: Mapping[int, str] | None = None,
    token_budget: int | None = None,
    config: HeadroomConfig | None = None,
    mode: ModeLike | None = None,
    store: Store | None = None,
    metrics_store: MetricsSink | None = None,
    integration: str = "engine",
    tool_profiles: Mapping[str, Any] | None = None,
    retrieve_tool: bool = True,
    earlier: Sequence[Mapping[str, Any]] = (),
    record_kind: RecordKind = "model_call",
) -> CompressResult:
    """Compress a conversation for ``model``; never mutates ``messages``.

    Tool results are compressed wherever they stand (including the latest);
    user and system text only when ``config.content`` says so. Each part is
    compressed against its own turn (``query_scope="turn"``, the default, which
    keeps earlier results byte-stable as the conversation grows);
    ``query_scope="latest"`` uses the latest user message for every part
    (one-shot use), and an explicit ``query`` is used for every part;
    ``queries`` sets the query of single messages by index (for callers that
    compress tool results apart from their conversation, each against its own turn). With
    ``token_budget`` the history is also aligned for prompt caching and fitted
    into the budget. Dropped content goes to ``store`` (the process default
    store of ``config.store_url`` when None, by default the process default
    store) unless the mode is audit or simulate, which write nothing.
    ``tool_profiles`` maps tool names to :class:`~.tool_profiles.ToolProfile` (or
    its dict form): results of a tool whose profile says ``skip_compression``
    pass through untouched, others are compressed with the profile's crusher overrides.
    ``retrieve_tool`` says whether the model can call ``headroom_retrieve``: when it
    cannot, every marker (in tool outputs and the note for fitted-away history) names the ref only.
    ``earlier`` are the messages before ``messages`` in the conversation, as the
    model saw them (for callers that compress tool outputs before they join it):
    an output that repeats one of their tool outputs becomes a pointer to it
    (message numbers count from the first of them); they are neither compressed nor returned.
    ``record_kind`` is the kind of the metrics row (``"tool_result"`` for tool outputs
    compressed before they join a conversation; see :mod:`~.metrics`).
    """
    started, warm_before = time.perf_counter(), spent()
    if record_kind != "model_call":
        _check_record_kind(record_kind)
    plan = _validate_and_plan(
        messages,
        model,
        query,
        query_scope,
        queries or {},
        token_budget,
        config,
        mode,
        store,
        tool_profiles,
        feedback_log(metrics_store),
    )
    if not retrieve_tool:
        plan = replace(plan, retrieve_tool=False)
    if earlier:
        if not isinstance(earlier, Sequence) or isinstance(earlier, (str, bytes)):
            raise ValidationError("earlier must be a list of message dicts", {"type": type(earlier).__name__})
        plan = replace(plan, earlier=list(earlier))
    try:
        outcome = _compress_contents(plan)
        if plan.token_budget is not None:
            outcome = _fit(plan, outcome)
    except Exception as exc:  # fail open, in one place: the user's call must go through
        logger.warning("headroom compress failed open: %s", type(exc).__name__, exc_info=True)
        outcome = _Outcome(plan.original, list(range(len(plan.original))))
        outcome.warnings.append(f"compression failed open: {type(exc).__name__}")
    result = _account(plan, outcome, started, spent() - warm_before)
    if metrics_store is not None and plan.mode is not HeadroomMode.SIMULATE:
        _record(metrics_store, result, integration, record_kind)
    if plan.mode is HeadroomMode.OPTIMIZE and plan.config.ccr.feedback_enabled and result.transforms_applied:
        for tool, learned, refs in outcome.sent:
            plan.feedback.sent(tool, learned.key, refs, learned.overrides)
    return result


def _validate_and_plan(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    query: str | None,
    query_scope: str,
    queries: Mapping[int, str],
    token_budget: int | None,
    config: HeadroomConfig | None,
    mode: ModeLike | None,
    store: Store | None,
    tool_profiles: Mapping[str, Any] | None,
    log: FeedbackLog | None,
) -> _Plan:
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise ValidationError("messages must be a list of message dicts", {"type": type(messages).__name__})
    if token_budget is not None and (
        isinstance(token_budget, bool) or not isinstance(token_budget, int) or token_budget < 1
    ):
        raise ConfigurationError(
            "token_budget must be a positive int",
            {"field": "token_budget", "value": token_budget, "allowed": "[1, inf]"},
        )
    if query_scope not in QUERY_SCOPES:
        raise ConfigurationError(
            "query_scope must be 'turn' or 'latest'",
            {"field": "query_scope", "value": query_scope, "allowed": list(QUERY_SCOPES)},
        )
    config = config or HeadroomConfig()
    config.validate()
    profiles = resolve_tool_profiles(tool_profiles)
    run_mode = HeadroomMode.parse(mode) if mode is not None else config.default_mode
    tokenizer = get_tokenizer(model)
    original = list(messages)
    latest = latest_user_text(original) if query is None else query
    writes = run_mode is HeadroomMode.OPTIMIZE and config.ccr.enabled
    if writes and store is None:
        store = _default_store(config)
    slots: list[tuple[TextSlot, str]] = []
    skipped: list[MessageReport] = []
    # With both switches off the loop costs nothing: the store is not even read.
    looped = config.smart_crusher.use_feedback_hints or config.ccr.feedback_enabled
    log = log if looped else None
    feedback = Feedback.read(log)
    learned: dict[tuple[int, tuple[Any, ...]], _Learned] = {}
    for slot in iter_text_slots(original):
        if not _should_compress(slot, config):
            continue
        reason = _left_alone(slot, tokenizer)
        tool_config = config_for_tool(profiles, slot.tool_name, config) if slot.kind == "tool" else config
        if reason is None and tool_config is None:
            tokens = int(tokenizer.count_text(slot.text))
            reason = MessageReport(
                slot.index, slot.kind, slot.tool_name, tokens, tokens, None, "tool profile: skip_compression"
            )
        if reason is not None:
            skipped.append(reason)
            continue
        if log is not None and slot.kind == "tool" and tool_config is not None:
            message = original[slot.index]
            call_id = result_call_id(message, slot.path) if isinstance(message, Mapping) else None
            key = decision_key(slot.tool_name, call_id, slot.text)
            crusher = tool_config.smart_crusher
            overrides, first = feedback.decide(key, slot.tool_name, crusher, crusher.use_feedback_hints)
            learned[(slot.index, slot.path)] = _Learned(key, overrides, first)
        if slot.index in queries:
            slots.append((slot, queries[slot.index]))
        elif query is not None or query_scope == "latest":
            slots.append((slot, latest))
        else:
            slots.append((slot, turn_query(original, slot.index, slot.path)))
    return _Plan(
        original=original,
        model=model,
        config=config,
        mode=run_mode,
        tokenizer=tokenizer,
        tokens_before=int(tokenizer.count_messages(original)),
        query=latest,
        slots=slots,
        skipped=skipped,
        token_budget=token_budget,
        store=store if writes else None,
        profiles=profiles,
        feedback=feedback,
        learned=learned,
    )


def _left_alone(slot: TextSlot, tokenizer: Tokenizer) -> MessageReport | None:
    """Why a part is not compressed at all (too large, or Headroom's own output), else None."""
    if len(slot.text) > MAX_INPUT_CHARS:
        return MessageReport(
            slot.index, slot.kind, slot.tool_name, 0, 0, None, f"too large to compress ({len(slot.text)} chars)"
        )
    if has_headroom_marker(slot.text):
        tokens = int(tokenizer.count_text(slot.text))
        return MessageReport(
            slot.index, slot.kind, slot.tool_name, tokens, tokens, None, "already compressed by Headroom"
        )
    return None


def _compress_contents(plan: _Plan) -> _Outcome:
    """Each planned part through the content router, against its own query; the cache keeps it byte-stable."""
    staged: list[Any] = plan.original
    transforms: list[str] = []
    if plan.token_budget is not None:
        staged, transforms = _align(plan.original, plan.config, plan.model)
        if staged is not plan.original:
            # Alignment moves text out of the system prompt; its parts are read again from the aligned copy.
            plan = replace(plan, slots=_replan(plan, staged))
    new_texts: dict[tuple[int, tuple[Any, ...]], str] = {}
    outcome = _Outcome(staged, list(range(len(staged))), list(plan.skipped), transforms)
    # Repeats: a tool output is measured against the tool outputs before it as the model sees them
    # (compressed), never against later ones, so the decision is byte-stable and loses nothing visible.
    offset = len(plan.earlier)
    sent: dict[tuple[int, tuple[Any, ...]], str] = {}
    labels: dict[tuple[int, tuple[Any, ...]], str] = {}
    for start, messages in ((0, plan.earlier), (offset, staged)):
        for s in iter_text_slots(messages):
            if s.kind == "tool":
                sent[(start + s.index, s.path)] = s.text
                labels[(start + s.index, s.path)] = output_label(messages[s.index], s, start + s.index)
    for slot, query in plan.slots:
        # A tool's profile may override the crusher settings for its results (skips were planned out),
        # and so may what retrievals taught about the tool, as decided when the result was first compressed.
        config = (
            config_for_tool(plan.profiles, slot.tool_name, plan.config) if slot.kind == "tool" else None
        ) or plan.config
        learned = plan.learned.get((slot.index, slot.path))
        if learned is not None:
            config = ToolProfile(smart_crusher=learned.overrides).apply(config)
        router = _router(config)
        ctx = _RecordingContext(
            query=query,
            config=config,
            tokenizer=plan.tokenizer,
            store=plan.store,
            retrieve_tool=plan.retrieve_tool,
            tool_name=slot.tool_name,
        )
        key = (
            _config_key(config),
            _text_key(query)[:16],
            slot.tool_name or "",
            str(plan.retrieve_tool),
            _text_key(slot.text),
        )
        position = (offset + slot.index, slot.path)
        earlier: list[EarlierOutput] = (
            [(key[0], text, labels[key]) for key, text in sent.items() if key[0] < position[0]]
            if slot.kind == "tool"
            else []
        )
        try:
            repeat = compress_repeat(slot.text, earlier, ctx) if earlier else None
            output, slot_refs = (repeat, list(repeat.refs)) if repeat else _compress_slot(slot, router, ctx, key)
        except StorageError:  # a cached output's originals could not be re-stored: keep the text whole
            output, slot_refs = CompressorOutput.unchanged(slot.text, "store unavailable, content kept"), []
        except Exception as exc:  # a compressor bug must not break the call
            logger.warning("compressor failed on message %d: %s", slot.index, type(exc).__name__, exc_info=True)
            output, slot_refs = CompressorOutput.unchanged(slot.text, f"compressor error: {type(exc).__name__}"), []
        before = ctx.count(slot.text)
        if output.modified and output.text != slot.text:
            after = ctx.count(output.text)
            if after < before:
                new_texts[(slot.index, slot.path)] = output.text
                if position in sent:
                    sent[position] = output.text
                outcome.transforms.append(output.transform or "compressed")
                outcome.refs.extend(r for r in slot_refs if r not in outcome.refs)
                if learned is not None and learned.first:
                    outcome.sent.append((slot.tool_name, learned, slot_refs))
                outcome.reports.append(
                    MessageReport(slot.index, slot.kind, slot.tool_name, before, after, output.transform, None)
                )
                continue
            output = CompressorOutput.unchanged(slot.text, "no net savings")
        outcome.reports.append(
            MessageReport(slot.index, slot.kind, slot.tool_name, before, before, None, output.reason or "unchanged")
        )
    outcome.messages = replace_texts(staged, new_texts)
    return outcome


def _replan(plan: _Plan, staged: list[Any]) -> list[tuple[TextSlot, str]]:
    queries = {(slot.index, slot.path): query for slot, query in plan.slots}
    return [
        (slot, queries[(slot.index, slot.path)])
        for slot in iter_text_slots(staged)
        if (slot.index, slot.path) in queries
    ]


def _align(messages: list[Any], config: HeadroomConfig, model: str) -> tuple[list[Any], list[str]]:
    """Move dynamic values out of the system prompt's prefix so provider caches keep hitting."""
    from .history import CacheAligner

    aligned = CacheAligner(config.cache_aligner).align(messages, model=model)
    if aligned.messages == messages:
        return messages, []
    return aligned.messages, [f"cache_align:{aligned.metrics.dynamic_values_moved}"]


def _fit_config(config: HeadroomConfig, *, strict: bool) -> HeadroomConfig:
    """The fitting config: content compression off (done, per turn, already); ``strict`` lets the last turns go."""
    fitting = config.with_changes(content=replace(config.content, enabled=False))
    if not strict:
        return fitting
    return fitting.with_changes(intelligent_context=replace(config.intelligent_context, keep_last_turns=0))


def _fit(plan: _Plan, outcome: _Outcome) -> _Outcome:
    """Importance-scored history fitting; when the protected last turns alone overflow, the budget wins."""
    assert plan.token_budget is not None
    fitted = _fit_budget(outcome.messages, plan, _fit_config(plan.config, strict=False))
    if fitted.tokens_after > plan.token_budget and plan.config.intelligent_context.keep_last_turns > 0:
        fitted = _fit_budget(outcome.messages, plan, _fit_config(plan.config, strict=True))
    outcome.messages = fitted.messages
    outcome.source_indices = list(fitted.source_indices)
    outcome.transforms += fitted.transforms_applied
    outcome.refs += [r for r in fitted.refs if r not in outcome.refs]
    if fitted.floor_tokens is None:
        outcome.warnings += fitted.warnings
    else:  # a budget miss is reported once, by _account, with the numbers finally returned
        outcome.floor_tokens = fitted.floor_tokens
    return outcome


def _fit_budget(messages: list[Any], plan: _Plan, config: HeadroomConfig) -> TransformResult:
    from .history import IntelligentContextManager
    from .relevance import create_scorer

    assert plan.token_budget is not None
    ctx = CompressionContext(
        query=plan.query, config=config, tokenizer=plan.tokenizer, store=plan.store, retrieve_tool=plan.retrieve_tool
    )
    manager = IntelligentContextManager(
        config.intelligent_context,
        scorer=create_scorer(config=config.relevance),
        store=plan.store,
        headroom_config=config,
    )
    return manager.apply(messages, query=plan.query, token_budget=plan.token_budget, model=plan.model, context=ctx)


def _account(plan: _Plan, outcome: _Outcome, started: float, warmup_ms: float) -> CompressResult:
    """The net-savings rule and audit mode, then the result (warm-up time kept out of ``compression_ms``)."""
    original = plan.original
    out, source_indices, transforms, refs = outcome.messages, outcome.source_indices, outcome.transforms, outcome.refs
    reports, warnings = outcome.reports, outcome.warnings
    tokens_before = plan.tokens_before
    tokens_after = int(plan.tokenizer.count_messages(out)) if transforms else tokens_before
    if tokens_after >= tokens_before and transforms:
        # Never hand back a bigger conversation than we got.
        warnings.append("no net savings overall; original kept")
        out, source_indices, transforms, refs = original, list(range(len(original))), [], []
        reports = [_unchanged(r) for r in reports]
        tokens_after = tokens_before
    if outcome.floor_tokens is not None and plan.token_budget is not None:
        from .history.intelligent_context import budget_warning

        warnings.append(budget_warning(plan.token_budget, tokens_after, outcome.floor_tokens))
        logger.warning("headroom: %s", warnings[-1])
    potential = max(0, tokens_before - tokens_after)
    if plan.mode is HeadroomMode.AUDIT:  # the model gets the original; no ref was stored
        out, source_indices, tokens_after, refs = original, list(range(len(original))), tokens_before, []
    return CompressResult(
        messages=out,
        source_indices=source_indices,
        tokens_before=tokens_before,
        tokens_after=tokens_after,
        transforms_applied=transforms,
        refs=refs,
        compression_ms=max(0.0, (time.perf_counter() - started) * 1000.0 - warmup_ms),
        reasons={r.index: r.reason for r in reports if r.reason and r.transform is None},
        mode=plan.mode,
        model=plan.model,
        request_id=uuid.uuid4().hex,
        tokens_estimated=bool(getattr(plan.tokenizer, "is_estimate", False)),
        potential_tokens_saved=potential,
        message_reports=tuple(reports),
        warnings=tuple(warnings),
        query=plan.query,
        messages_before=len(original),
        warmup_ms=warmup_ms,
    )


def _unchanged(report: MessageReport) -> MessageReport:
    if report.transform is None:
        return report
    return MessageReport(
        report.index,
        report.kind,
        report.tool_name,
        report.tokens_before,
        report.tokens_before,
        None,
        "no net savings overall",
    )


def _check_record_kind(kind: object) -> None:
    from .metrics import RECORD_KINDS

    if kind not in RECORD_KINDS:
        raise ConfigurationError(
            f"record_kind must be one of {list(RECORD_KINDS)}",
            {"field": "record_kind", "value": kind, "allowed": list(RECORD_KINDS)},
        )


def _record(metrics_store: MetricsSink, result: CompressResult, integration: str, kind: RecordKind) -> None:
    """Record one request's savings; a metrics failure never fails the call."""
    from .metrics import RequestMetrics

    try:
        metrics_store.record(RequestMetrics.of(result, integration=integration, kind=kind))
    except Exception as exc:
        logger.warning("could not record headroom metrics: %s", type(exc).__name__)
