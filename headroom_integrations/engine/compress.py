"""``compress()``: the one entry point every integration calls.

It takes OpenAI-format messages, compresses tool results (and, when
configured, user/system text) through the content router, optionally fits the
history into a token budget, and reports exactly what changed and what it
saved. It never raises for bad *content*: anything it cannot handle is passed
through unchanged with a reason.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._lru import LRUCache
from .ccr.markers import has_headroom_marker
from .ccr.store import RETRIEVE_TOOL_NAME
from .compressors.base import MAX_INPUT_CHARS, CompressionContext, CompressorOutput
from .config import HeadroomConfig, HeadroomMode
from .errors import ConfigurationError, StorageError, ValidationError
from .messages import TextSlot, iter_text_slots, latest_user_text, replace_texts
from .tokens.tokenizer import get_tokenizer

__all__ = ["CompressResult", "MessageReport", "compress"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageReport:
    """What happened to one text part of one message."""

    index: int
    kind: str
    tool_name: str | None
    tokens_before: int
    tokens_after: int
    transform: str | None
    reason: str | None


@dataclass(frozen=True)
class CompressResult:
    """The compressed conversation plus an honest account of the savings.

    ``source_indices[i]`` is the input index of output message ``i`` (None for
    a note the engine inserted). In audit mode ``messages`` are the originals
    and ``potential_tokens_saved`` says what optimize would have saved.
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

    @property
    def tokens_saved(self) -> int:
        return max(0, self.tokens_before - self.tokens_after)

    @property
    def savings_percent(self) -> float:
        if self.tokens_before <= 0:
            return 0.0
        return round(100.0 * self.tokens_saved / self.tokens_before, 2)

    def summary(self) -> dict[str, Any]:
        """The compact savings dict integrations attach to responses and traces."""
        return {
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "savings_percent": self.savings_percent,
            "transforms": list(self.transforms_applied),
            "compression_ms": round(self.compression_ms, 3),
            "refs": list(self.refs),
        }


@dataclass
class _CachedOutput:
    output: CompressorOutput
    stashed: list[tuple[str, str]] = field(default_factory=list)  # (content, kind)


def _output_chars(key: tuple[str, ...], entry: _CachedOutput) -> int:
    return len(entry.output.text) + sum(len(c) for c, _ in entry.stashed)


# Compressor outputs by (config, query, tool, text). An agent re-sends the same tool
# results on every hop; compressing each once keeps later hops nearly free and keeps
# their bytes identical, which provider prompt caches need.
_CACHE_CHARS = 64_000_000
_CACHE: LRUCache[tuple[str, ...], _CachedOutput] = LRUCache(_CACHE_CHARS, _output_chars, _CACHE_CHARS // 4)


class _RecordingContext(CompressionContext):
    """A context that also remembers what was stashed, so cache hits can re-stash it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stashed_contents: list[tuple[str, str]] = []

    def stash(self, content: str, kind: str = "text") -> str:
        self.stashed_contents.append((content, kind))
        return super().stash(content, kind)


def _config_key(config: HeadroomConfig) -> str:
    return hashlib.sha256(repr(config).encode()).hexdigest()[:16]


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
    router: Any,
    ctx: CompressionContext,
    cache_key: tuple[str, ...],
) -> tuple[CompressorOutput, list[str]]:
    """Compress one text part, through the cache; returns the output and its refs."""
    cached = _CACHE.get(cache_key)
    if cached is not None:
        if ctx.store is not None:
            for content, kind in cached.stashed:
                ctx.store.put(content, kind=kind)
        return cached.output, list(cached.output.refs)
    rctx = _RecordingContext(query=ctx.query, config=ctx.config, tokenizer=ctx.tokenizer, store=ctx.store)
    output = router.compress(slot.text, rctx, hint=slot.tool_name)
    refs = list(dict.fromkeys([*output.refs, *rctx.stashed]))
    if refs != list(output.refs):
        output = CompressorOutput(output.text, output.modified, output.transform, tuple(refs), output.reason)
    if not rctx.store_failed:  # an output kept whole for a down store must not outlive the outage
        _CACHE.put(cache_key, _CachedOutput(output, rctx.stashed_contents))
    return output, refs


def _default_store() -> Any:
    from .ccr.store import get_default_store

    return get_default_store()


def compress(
    messages: Sequence[Mapping[str, Any]],
    model: str = "gpt-4o",
    *,
    query: str | None = None,
    token_budget: int | None = None,
    config: HeadroomConfig | None = None,
    mode: HeadroomMode | str | None = None,
    store: Any = None,
    metrics_store: Any = None,
    integration: str = "engine",
) -> CompressResult:
    """Compress a conversation for ``model``; never mutates ``messages``.

    Tool results are compressed wherever they stand (including the latest);
    user and system text only when ``config.content`` says so. ``query``
    defaults to the latest user message. With ``token_budget`` the history is
    also aligned for prompt caching and fitted into the budget. Dropped content
    goes to ``store`` (the process default store when None) unless the mode is
    audit or simulate, which write nothing.
    """
    started = time.perf_counter()
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise ValidationError("messages must be a list of message dicts", {"type": type(messages).__name__})
    if token_budget is not None and (
        isinstance(token_budget, bool) or not isinstance(token_budget, int) or token_budget < 1
    ):
        raise ConfigurationError(
            "token_budget must be a positive int",
            {"field": "token_budget", "value": token_budget, "allowed": "[1, inf]"},
        )
    config = config or HeadroomConfig()
    run_mode = HeadroomMode.parse(mode) if mode is not None else config.default_mode
    tokenizer = get_tokenizer(model)
    original = list(messages)
    tokens_before = int(tokenizer.count_messages(original))
    if query is None:
        query = latest_user_text(original)
    writes = run_mode is HeadroomMode.OPTIMIZE and config.ccr.enabled
    if writes and store is None:
        store = _default_store()
    ctx = CompressionContext(query=query, config=config, tokenizer=tokenizer, store=store if writes else None)

    warnings: list[str] = []
    try:
        staged = original
        transforms: list[str] = []
        if token_budget is not None:
            staged, transforms = _align(original, config, model)
        out, reports, more_transforms, refs = _compress_contents(staged, ctx)
        transforms += more_transforms
        source_indices: list[int | None] = list(range(len(out)))
        if token_budget is not None:
            fitted = _fit_budget(out, ctx, model=model, token_budget=token_budget)
            out, source_indices = fitted.messages, fitted.source_indices
            transforms += fitted.transforms_applied
            refs += [r for r in fitted.refs if r not in refs]
            warnings += fitted.warnings
    except Exception as exc:  # fail open: the user's call must go through
        logger.warning("headroom compress failed open: %r", exc, exc_info=True)
        out, source_indices, reports, transforms, refs = original, list(range(len(original))), [], [], []
        warnings.append(f"compression failed open: {type(exc).__name__}: {exc}")

    tokens_after = int(tokenizer.count_messages(out)) if transforms else tokens_before
    if tokens_after >= tokens_before and transforms:
        # Never hand back a bigger conversation than we got.
        warnings.append("no net savings overall; original kept")
        out, source_indices, transforms, refs = original, list(range(len(original))), [], []
        tokens_after = tokens_before
    potential = max(0, tokens_before - tokens_after)
    if run_mode is HeadroomMode.AUDIT:
        out, source_indices, tokens_after = original, list(range(len(original))), tokens_before

    reasons = {r.index: r.reason for r in reports if r.reason and r.transform is None}
    result = CompressResult(
        messages=out,
        source_indices=source_indices,
        tokens_before=tokens_before,
        tokens_after=tokens_after,
        transforms_applied=transforms,
        refs=refs,
        compression_ms=(time.perf_counter() - started) * 1000.0,
        reasons=reasons,
        mode=run_mode,
        model=model,
        request_id=uuid.uuid4().hex,
        tokens_estimated=bool(getattr(tokenizer, "is_estimate", False)),
        potential_tokens_saved=potential,
        message_reports=tuple(reports),
        warnings=tuple(warnings),
        query=query,
    )
    if metrics_store is not None and run_mode is not HeadroomMode.SIMULATE:
        _record(metrics_store, result, reports, integration)
    return result


def _compress_contents(
    messages: list[Any], ctx: CompressionContext
) -> tuple[list[Any], list[MessageReport], list[str], list[str]]:
    """Run the content router over every compressible text part."""
    from .compressors.router import ContentRouter

    router = ContentRouter(ctx.config)
    config_key = _config_key(ctx.config)
    query_key = hashlib.sha256(ctx.query.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    new_texts: dict[tuple[int, tuple[Any, ...]], str] = {}
    reports: list[MessageReport] = []
    transforms: list[str] = []
    refs: list[str] = []
    for slot in iter_text_slots(messages):
        if not _should_compress(slot, ctx.config):
            continue
        if len(slot.text) > MAX_INPUT_CHARS:
            reports.append(
                MessageReport(
                    slot.index, slot.kind, slot.tool_name, 0, 0, None, f"too large to compress ({len(slot.text)} chars)"
                )
            )
            continue
        if has_headroom_marker(slot.text):
            tokens = ctx.count(slot.text)
            reports.append(
                MessageReport(
                    slot.index, slot.kind, slot.tool_name, tokens, tokens, None, "already compressed by Headroom"
                )
            )
            continue
        key = (
            config_key,
            query_key,
            slot.tool_name or "",
            hashlib.sha256(slot.text.encode("utf-8", "surrogatepass")).hexdigest(),
        )
        try:
            output, slot_refs = _compress_slot(slot, router, ctx, key)
        except StorageError:  # a cached output's originals could not be re-stored: keep the text whole
            output, slot_refs = CompressorOutput.unchanged(slot.text, "store unavailable, content kept"), []
        except Exception as exc:  # a compressor bug must not break the call
            logger.warning("compressor failed on message %d: %r", slot.index, exc, exc_info=True)
            output, slot_refs = CompressorOutput.unchanged(slot.text, f"compressor error: {exc!r}"), []
        before = ctx.count(slot.text)
        if output.modified and output.text != slot.text:
            after = ctx.count(output.text)
            if after < before:
                new_texts[(slot.index, slot.path)] = output.text
                transforms.append(output.transform or "compressed")
                refs.extend(r for r in slot_refs if r not in refs)
                reports.append(
                    MessageReport(slot.index, slot.kind, slot.tool_name, before, after, output.transform, None)
                )
                continue
            output = CompressorOutput.unchanged(slot.text, "no net savings")
        reports.append(
            MessageReport(slot.index, slot.kind, slot.tool_name, before, before, None, output.reason or "unchanged")
        )
    return replace_texts(messages, new_texts), reports, transforms, refs


def _align(messages: list[Any], config: HeadroomConfig, model: str) -> tuple[list[Any], list[str]]:
    """Move dynamic values out of the system prompt's prefix so provider caches keep hitting."""
    from .history import CacheAligner

    aligned = CacheAligner(config.cache_aligner).align(messages, model=model)
    moved = aligned.metrics.dynamic_values_moved
    return aligned.messages, ([f"cache_align:{moved}"] if aligned.messages != messages else [])


def _fit_budget(messages: list[Any], ctx: CompressionContext, *, model: str, token_budget: int) -> Any:
    """Importance-scored history management: compress, then drop, low-value units until the budget fits."""
    from .history import IntelligentContextManager
    from .relevance import create_scorer

    manager = IntelligentContextManager(
        ctx.config.intelligent_context,
        scorer=create_scorer(config=ctx.config.relevance),
        store=ctx.store,
        headroom_config=ctx.config,
    )
    return manager.apply(messages, query=ctx.query, token_budget=token_budget, model=model, context=ctx)


def _record(metrics_store: Any, result: CompressResult, reports: list[MessageReport], integration: str) -> None:
    """Record one request's savings; a metrics failure never fails the call."""
    from .metrics import RequestMetrics

    try:
        metrics_store.record(
            RequestMetrics(
                request_id=result.request_id,
                timestamp=time.time(),
                model=result.model,
                mode=result.mode.value,
                tokens_before=result.tokens_before,
                tokens_after=result.tokens_after,
                transforms=tuple(result.transforms_applied),
                refs=tuple(result.refs),
                compression_ms=result.compression_ms,
                tool_names=tuple(sorted({r.tool_name for r in reports if r.tool_name})),
                integration=integration,
            )
        )
    except Exception as exc:
        logger.warning("could not record headroom metrics: %r", exc)
