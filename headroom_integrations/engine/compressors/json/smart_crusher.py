"""SmartCrusher: shrink JSON tool outputs by dropping items, never by editing them.

Every large collection at any depth - arrays of objects, objects whose
values are similar objects, long arrays of scalars - keeps only the items an
agent needs (see :mod:`._json_select`), copied byte for byte from the input,
in their original order. The whole original collection is stashed in the CCR
store and a marker element names how many items were dropped and the ref
``headroom_retrieve`` takes to get them back (filtered by a query if wanted).
Very long strings outside such items keep their head and tail around an
inline marker. JSON with nothing worth dropping (a handful of records) is
compacted losslessly instead: the whitespace between tokens goes, every
string and number stays byte for byte, and (``omit_empty_fields``) object
fields that are null or empty go too, with the original stashed and a note
naming its ref. Bad input (not JSON, NaN, duplicate keys, absurd nesting or
size) comes back unchanged with a reason; nothing raises into the caller.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...arguments import strict_arguments
from ...ccr.markers import content_ref, has_headroom_marker
from ...config import HeadroomConfig, SmartCrusherConfig
from ...errors import HeadroomError
from ...json_text import NotJSONError, detect_style, parse_strict
from ...relevance import BM25Scorer, RelevanceScorer
from ..base import MAX_INPUT_CHARS, CompressionContext, CompressorOutput
from ._empty_fields import NOTE_KEY, with_note, without_empty_fields
from ._plan import Planner
from ._render import HINT_KEY, OMITTED_KEY, REF_KEY, render

if TYPE_CHECKING:
    from ...ccr.store import CompressionStore
    from ...history.pipeline import TransformResult
    from ...tokens.tokenizer import Tokenizer

__all__ = [
    "HINT_KEY",
    "MAX_INPUT_CHARS",
    "OMITTED_KEY",
    "REF_KEY",
    "ArrayReport",
    "CrushResult",
    "SmartCrusher",
]

logger = logging.getLogger(__name__)

# A JSON string (kept as is) or whitespace between tokens (dropped by compaction).
_STRING_OR_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|\s+')


@dataclass(frozen=True)
class ArrayReport:
    """One reduced collection: where it is, how many items it had and kept, and its ref."""

    path: str
    original_count: int
    kept_count: int
    ref: str


@dataclass(frozen=True)
class CrushResult:
    """What :meth:`SmartCrusher.crush` did.

    ``compressed`` is valid JSON (or the original when ``was_modified`` is
    False, with ``reason`` saying why). ``markers`` describe every cut
    (path, kind, omitted count, ref); ``refs`` lists the stashed originals.
    """

    compressed: str
    was_modified: bool
    reason: str | None
    strategy: str
    tokens_before: int
    tokens_after: int
    arrays: tuple[ArrayReport, ...] = ()
    markers: tuple[dict[str, Any], ...] = ()
    refs: tuple[str, ...] = ()

    @property
    def transform(self) -> str | None:
        """``smart_crusher:<items before>-><items after>`` (chars for string-only cuts)."""
        if not self.was_modified:
            return None
        if self.arrays:
            before = sum(a.original_count for a in self.arrays)
            after = sum(a.kept_count for a in self.arrays)
            return f"smart_crusher:{before}->{after}"
        if self.strategy in ("compact", "empty_fields"):
            return f"smart_crusher:{self.strategy}"
        return f"smart_crusher:strings:{len(self.markers)}"


@strict_arguments
class SmartCrusher:
    """Reduces JSON tool outputs item-wise; see the module docstring.

    ``crush`` uses this instance's ``config``; ``compress`` (the
    :class:`~.compressors.base.Compressor` protocol) uses
    ``ctx.config.smart_crusher`` so a pipeline's single config governs it.
    ``scorer`` ranks items against the query (default: BM25 with the
    relevance config in force).
    """

    name = "smart_crusher"

    def __init__(self, config: SmartCrusherConfig | None = None, *, scorer: RelevanceScorer | None = None) -> None:
        self.config = config if config is not None else SmartCrusherConfig()
        self._wrapping_config: HeadroomConfig | None = None
        self._scorer = scorer
        self._tokenizer: Tokenizer | None = None

    @property
    def _headroom_config(self) -> HeadroomConfig:
        """A HeadroomConfig around ``config`` for direct use (``compress`` brings its own)."""
        if self._wrapping_config is None or self._wrapping_config.smart_crusher is not self.config:
            self._wrapping_config = HeadroomConfig(smart_crusher=self.config)
        return self._wrapping_config

    # -- public API -------------------------------------------------------------------

    def crush(
        self,
        data: Any,
        query: str = "",
        *,
        store: CompressionStore | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> CrushResult:
        """Crush ``data`` (a JSON string, UTF-8 bytes, or an already-parsed value).

        Dropped originals go to ``store`` (the process-wide default store when
        None), so :func:`retrieve` finds every ref in the output.
        """
        self.config.validate()
        if store is None:
            from ...ccr.store import get_default_store

            store = get_default_store()
        ctx = CompressionContext(
            query=query if isinstance(query, str) else "",
            config=self._headroom_config,
            tokenizer=tokenizer or self._default_tokenizer(),
            store=store,
        )
        return self._run(data, ctx, self.config)

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        """Compressor protocol: crush ``text`` with the context's config, query and store."""
        result = self._run(text, ctx, ctx.config.smart_crusher)
        if not result.was_modified:
            return CompressorOutput.unchanged(result.compressed, result.reason or "unchanged")
        return CompressorOutput(text=result.compressed, modified=True, transform=result.transform, refs=result.refs)

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult:
        """Pipeline step (Headroom's ``TransformPipeline([SmartCrusher(), ...])``): crush JSON tool outputs.

        ``ctx`` may carry ``model``, ``query`` (default: the latest user
        message) and ``store`` (default: the process store); other messages
        and non-JSON tool outputs are left as they are.
        """
        from ...history.pipeline import TransformResult
        from ...messages import iter_text_slots, latest_user_text, replace_texts
        from ...tokens.tokenizer import get_tokenizer

        self.config.validate()
        model = str(ctx.get("model") or "gpt-4o")
        original = list(messages)
        tokenizer = get_tokenizer(model)
        store = ctx.get("store")
        if store is None:
            from ...ccr.store import get_default_store

            store = get_default_store()
        query = ctx.get("query")
        context = CompressionContext(
            query=latest_user_text(original) if query is None else str(query),
            config=self._headroom_config,
            tokenizer=tokenizer,
            store=store,
        )
        edits: dict[tuple[int, tuple[Any, ...]], str] = {}
        applied: list[str] = []
        refs: list[str] = []
        for slot in iter_text_slots(original):
            if slot.kind != "tool":
                continue
            result = self._run(slot.text, context, self.config)
            if result.was_modified:
                edits[(slot.index, slot.path)] = result.compressed
                applied.append(result.transform or self.name)
                refs.extend(r for r in result.refs if r not in refs)
        out = replace_texts(original, edits) if edits else original
        return TransformResult(
            messages=out,
            tokens_before=int(tokenizer.count_messages(original)),
            tokens_after=int(tokenizer.count_messages(out)),
            transforms_applied=applied,
            refs=refs,
            source_indices=list(range(len(out))),
        )

    # -- implementation ---------------------------------------------------------------

    def _default_tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            from ...tokens.tokenizer import get_tokenizer

            self._tokenizer = get_tokenizer()
        return self._tokenizer

    def _scorer_for(self, ctx: CompressionContext) -> RelevanceScorer:
        return self._scorer if self._scorer is not None else BM25Scorer(ctx.config.relevance)

    def _run(self, data: Any, ctx: CompressionContext, config: SmartCrusherConfig) -> CrushResult:
        text, reason = _as_text(data)
        if len(text) > MAX_INPUT_CHARS:
            return _unchanged(text, f"input too large ({len(text)} chars > {MAX_INPUT_CHARS})", 0)
        tokens_before = 0
        try:
            tokens_before = ctx.count(text)
            if reason is not None:
                return _unchanged(text, reason, tokens_before)
            return self._crush_text(text, ctx, config, tokens_before)
        except RecursionError:
            return _unchanged(text, "nesting too deep", tokens_before)
        except Exception as exc:  # fail open: a crusher bug must not break the user's call
            logger.exception("smart_crusher failed; passing the input through")
            return _unchanged(text, f"internal error ({type(exc).__name__})", tokens_before)

    def _crush_text(
        self, text: str, ctx: CompressionContext, config: SmartCrusherConfig, tokens_before: int
    ) -> CrushResult:
        if not config.enabled:
            return _unchanged(text, "disabled", tokens_before)
        if tokens_before < config.min_tokens_to_crush:
            return _unchanged(text, "below min tokens", tokens_before)
        try:
            value = parse_strict(text)
        except NotJSONError as exc:
            return _unchanged(text, exc.reason, tokens_before)
        planner = Planner(config, ctx.query or "", self._scorer_for(ctx), ctx.config.ccr.min_items_to_cache)
        plan = planner.plan(value)
        if plan is None:
            return _compacted(text, ctx, config, tokens_before, "no arrays to crush")
        start = len(text) - len(text.lstrip(" \t\n\r"))
        style = detect_style(text)
        inject = ctx.config.ccr.inject_retrieval_marker

        planned: dict[str, tuple[str, str]] = {}  # original -> (kind, ref)

        def planned_ref(content: str, kind: str) -> str:
            if content not in planned:
                planned[content] = (kind, content_ref(content))
            return planned[content][1]

        rendered = render(text, start, plan, style, planned_ref, inject, ctx.retrieve_tool)
        tokens_after = ctx.count(rendered.text)
        if tokens_after > tokens_before * (1.0 - config.min_savings_ratio):
            return _compacted(text, ctx, config, tokens_before, "no net savings")
        try:
            paths = {m["ref"]: m["path"] for m in rendered.markers}
            stored = {content: ctx.stash(content, kind, paths.get(ref)) for content, (kind, ref) in planned.items()}
        except HeadroomError as exc:
            # Nothing may be dropped that cannot be retrieved.
            return _unchanged(text, f"could not stash the original ({exc.message})", tokens_before)
        if any(stored[content] != ref for content, (_kind, ref) in planned.items()):
            # A store with its own ref scheme: render again naming its refs.
            rendered = render(text, start, plan, style, lambda c, _k: stored[c], inject, ctx.retrieve_tool)
            tokens_after = ctx.count(rendered.text)
        json.loads(rendered.text)  # the output must parse; anything else is a bug caught by _run
        return CrushResult(
            compressed=rendered.text,
            was_modified=True,
            reason=None,
            strategy="+".join(dict.fromkeys(rendered.kinds)),
            tokens_before=int(tokens_before),
            tokens_after=int(tokens_after),
            arrays=tuple(ArrayReport(*report) for report in rendered.reports),
            markers=tuple(rendered.markers),
            refs=tuple(dict.fromkeys(m["ref"] for m in rendered.markers)),
        )


def _as_text(data: Any) -> tuple[str, str | None]:
    """The input as text, or the best printable form plus the reason it cannot be crushed."""
    if isinstance(data, str):
        return data, None
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8"), None
        except UnicodeDecodeError:
            return bytes(data).decode("utf-8", "replace"), "binary data (not UTF-8)"
    try:
        return json.dumps(data, ensure_ascii=False), None
    except (TypeError, ValueError, RecursionError) as exc:
        reason = f"not JSON-serialisable ({type(exc).__name__})"
    try:
        return str(data), reason
    except Exception:  # an object whose __str__ fails still must not raise into the caller
        return f"<unprintable {type(data).__name__}>", reason


def _compacted(
    text: str, ctx: CompressionContext, config: SmartCrusherConfig, tokens_before: int, reason: str
) -> CrushResult:
    """``text`` without whitespace between JSON tokens, when that saves enough; else unchanged.

    Dropping whitespace is lossless (strings and numbers are untouched), so it needs no ref.
    With ``omit_empty_fields`` the empty object fields go too, when that saves
    more than its note costs; the original is stashed first and the note names it.
    """
    compact = _STRING_OR_SPACE.sub(lambda m: m.group(1) or "", text)
    compact_tokens = ctx.count(compact) if compact != text else tokens_before
    enough = tokens_before * (1.0 - config.min_savings_ratio)
    if config.omit_empty_fields:
        pruned = _without_empty_fields(compact, text, ctx, (tokens_before, compact_tokens), enough)
        if pruned is not None:
            return pruned
    if compact == text or compact_tokens > enough:
        return _unchanged(text, reason, tokens_before)
    return CrushResult(
        compressed=compact,
        was_modified=True,
        reason=None,
        strategy="compact",
        tokens_before=int(tokens_before),
        tokens_after=int(compact_tokens),
    )


def _without_empty_fields(
    compact: str, text: str, ctx: CompressionContext, tokens: tuple[int, int], enough: float
) -> CrushResult | None:
    """``compact`` minus its null/empty object fields plus a note with the original's ref, if that pays.

    ``tokens`` are those of ``text`` and of ``compact``: the note must beat both.
    """
    tokens_before, compact_tokens = tokens
    if has_headroom_marker(compact) or f'"{NOTE_KEY}"' in compact:  # Headroom output, or our key is taken
        return None
    pruned, omitted = without_empty_fields(compact)
    if not omitted:
        return None
    ref = content_ref(text)
    noted = with_note(pruned, omitted, ref)
    tokens_after = ctx.count(noted)
    if tokens_after >= compact_tokens or tokens_after > enough:
        return None
    try:
        stored = ctx.stash(text, "json")
    except HeadroomError as exc:  # nothing may be dropped that cannot be retrieved
        logger.info("smart_crusher kept empty fields: could not stash the original (%s)", exc.message)
        return None
    if stored != ref:  # a store with its own ref scheme
        noted = with_note(pruned, omitted, stored)
        tokens_after = ctx.count(noted)
    json.loads(noted)  # the output must parse; anything else is a bug caught by _run
    return CrushResult(
        compressed=noted,
        was_modified=True,
        reason=None,
        strategy="empty_fields",
        tokens_before=int(tokens_before),
        tokens_after=int(tokens_after),
        markers=({"path": "$", "kind": "empty_fields", "omitted": omitted, "ref": stored},),
        refs=(stored,),
    )


def _unchanged(text: str, reason: str, tokens: int) -> CrushResult:
    logger.debug("smart_crusher left input unchanged: %s", reason)
    return CrushResult(
        compressed=text,
        was_modified=False,
        reason=reason,
        strategy="passthrough",
        tokens_before=int(tokens),
        tokens_after=int(tokens),
    )
