"""The content router: send each tool output to the compressor for its shape.

A tool output is detected (:func:`detect_content_type`), split into pieces
when it mixes shapes (wrapper tags, a JSON body after a header, a JSON blob
inside a log), and each piece goes to its compressor; wrapper lines and small
pieces stay verbatim. The router is the last line of defence: a compressor
that raises is logged and skipped (the original passes through), and a
result that does not save ``content.min_savings_ratio`` of the tokens is
dropped in favour of the original.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from ..arguments import strict_arguments
from ..config import HeadroomConfig
from ..errors import ConfigurationError, StorageError
from ..relevance import RelevanceScorer
from ..warmup import first_use
from ._segments import Segment, split_segments
from .base import CompressionContext, Compressor, CompressorOutput
from .coding import looks_like_coding_output
from .detect import ContentDetection, ContentType, detect_content_type

__all__ = ["ContentRouter", "PassThrough"]

logger = logging.getLogger(__name__)

NAME = "router"
# Below this detection confidence a shape-specific compressor is not trusted;
# the line-based log compressor, which never cuts a unique line, takes over.
_MIN_CONFIDENCE = 0.5
_BOM = "\ufeff"
# A numbered listing (``cat -n``, ``sed -n 'a,bp'``, ``grep -n``) up to this size is an
# excerpt an agent asked for by line number to edit it next: it passes through whole.
_EXCERPT_MAX_TOKENS = 2_000


# The content types a built-in compressor handles (binary and empty pass through).
_COMPRESSED_TYPES = (
    ContentType.JSON,
    ContentType.LOG,
    ContentType.SEARCH,
    ContentType.CODE,
    ContentType.DIFF,
    ContentType.HTML,
    ContentType.TABULAR,
    ContentType.PROSE,
)


def _builtin(content_type: ContentType, config: HeadroomConfig, scorer: RelevanceScorer | None) -> Compressor:
    """The built-in compressor of ``content_type``, its module imported only now."""
    if content_type is ContentType.JSON:
        from .json.smart_crusher import SmartCrusher

        return SmartCrusher(config.smart_crusher, scorer=scorer)
    if content_type is ContentType.LOG:
        from .logs import LogCompressor

        return LogCompressor(scorer=scorer)
    if content_type is ContentType.SEARCH:
        from .search import SearchCompressor

        return SearchCompressor(scorer=scorer)
    if content_type is ContentType.CODE:
        from .code import CodeCompressor

        return CodeCompressor()
    if content_type is ContentType.DIFF:
        from .diff import DiffCompressor

        return DiffCompressor()
    if content_type is ContentType.HTML:
        from .html import HtmlCompressor

        return HtmlCompressor()
    if content_type is ContentType.TABULAR:
        from .tabular import TabularCompressor

        return TabularCompressor()
    from .text import TextCompressor

    return TextCompressor()


class PassThrough:
    """The compressor for content nothing should touch (binary, empty): returns it unchanged."""

    name = "unchanged"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        return CompressorOutput.unchanged(text, self.reason)


@strict_arguments
class ContentRouter:
    """Routes tool outputs to content compressors (``name="router"``).

    ``config`` configures the JSON crusher built here; :meth:`compress`
    follows ``ctx.config`` so one pipeline config governs every call.
    ``scorer`` ranks lines and items against the query (default: BM25).
    ``compressors`` replaces the compressor of some content types (e.g. a
    custom one for ``ContentType.HTML``).
    """

    name = NAME

    def __init__(
        self,
        config: HeadroomConfig | None = None,
        *,
        scorer: RelevanceScorer | None = None,
        compressors: Mapping[ContentType, Compressor] | None = None,
    ) -> None:
        self.config = config if config is not None else HeadroomConfig()
        self._scorer = scorer
        # Built (and their modules imported) on first use: a process that only sees logs
        # never pays for the JSON crusher or the HTML parser.
        self._by_type: dict[ContentType, Compressor] = {}
        self._coding: Compressor | None = None
        for content_type, compressor in (compressors or {}).items():
            if not isinstance(content_type, ContentType) or not callable(getattr(compressor, "compress", None)):
                raise ConfigurationError(
                    "ContentRouter compressors maps ContentType to objects with a compress() method",
                    {
                        "field": "ContentRouter.compressors",
                        "value": repr(content_type),
                        "allowed": [t.value for t in _COMPRESSED_TYPES],
                    },
                )
            self._by_type[content_type] = compressor

    def route(self, text: str, hint: str | None = None) -> Compressor:
        """The compressor :meth:`compress` would use for ``text`` as a whole."""
        return self._for(detect_content_type(text, hint))

    def _for(self, detection: ContentDetection, tokens: int | None = None) -> Compressor:
        if detection.type in (ContentType.BINARY, ContentType.EMPTY):
            return PassThrough(f"{detection.type.value} content")
        if detection.numbered and tokens is not None and tokens <= _EXCERPT_MAX_TOKENS:
            return PassThrough(f"{NAME}: numbered excerpt of {tokens} tokens kept whole")
        if detection.confidence < _MIN_CONFIDENCE and detection.type is not ContentType.JSON:
            return self._compressor(ContentType.LOG)
        return self._compressor(detection.type)

    def _compressor(self, content_type: ContentType) -> Compressor:
        compressor = self._by_type.get(content_type)
        if compressor is None:
            with first_use():
                compressor = self._by_type[content_type] = _builtin(content_type, self.config, self._scorer)
        return compressor

    def compress(self, text: str, ctx: CompressionContext, hint: str | None = None) -> CompressorOutput:
        """Compress one tool output; never raises and never returns more tokens than it got."""
        try:
            if isinstance(text, str) and text.startswith(_BOM):  # a BOM must not hide the content's shape
                out = self._compress(text[1:], ctx, hint)
                return (
                    dataclasses.replace(out, text=_BOM + out.text)
                    if out.modified
                    else dataclasses.replace(out, text=text)
                )
            return self._compress(text, ctx, hint)
        except StorageError as exc:
            return _store_unavailable(text, NAME, exc)
        except Exception as exc:  # noqa: BLE001 - fail open: the caller's LLM call must go on
            logger.warning("content router failed open: %s: %s", type(exc).__name__, exc, exc_info=True)
            return CompressorOutput.unchanged(text, f"{NAME}: failed open ({type(exc).__name__})")

    def _compress(self, text: str, ctx: CompressionContext, hint: str | None) -> CompressorOutput:
        cfg = ctx.config.content
        if not isinstance(text, str):
            return CompressorOutput.unchanged(text, f"{NAME}: not text ({type(text).__name__})")
        if not cfg.enabled:
            return CompressorOutput.unchanged(text, f"{NAME}: content compression disabled")
        detection = detect_content_type(text, hint)
        if detection.type in (ContentType.BINARY, ContentType.EMPTY):
            return CompressorOutput.unchanged(text, f"{NAME}: {detection.type.value} content")
        before = ctx.count(text)
        if before < cfg.min_tokens_to_compress:
            return CompressorOutput.unchanged(
                text, f"{NAME}: {before} tokens, below min_tokens_to_compress {cfg.min_tokens_to_compress}"
            )
        segments = [Segment(text)] if detection.type is ContentType.JSON else split_segments(text)
        if len(segments) == 1:
            out = self._run_for(text, detection, before, ctx)
        else:
            out = self._piecewise(segments, ctx, hint)
        if not out.modified:
            return out
        after = ctx.count(out.text)
        if after > before * (1.0 - cfg.min_savings_ratio):
            return CompressorOutput.unchanged(text, "no net savings")
        return out

    def _piecewise(self, segments: list[Segment], ctx: CompressionContext, hint: str | None) -> CompressorOutput:
        """Compress each piece with its own compressor; frames and small pieces stay verbatim."""
        parts: list[str] = []
        transforms: list[str] = []
        refs: list[str] = []
        reasons: list[str] = []
        for seg in segments:
            tokens = ctx.count(seg.text) if not seg.frame else 0
            if seg.frame or not seg.text.strip() or tokens < ctx.config.content.min_tokens_to_compress:
                parts.append(seg.text)
                continue
            detection = ContentDetection(ContentType.JSON, 1.0) if seg.json else detect_content_type(seg.text, hint)
            out = self._run_for(seg.text, detection, tokens, ctx)
            parts.append(out.text if out.modified else seg.text)
            if out.modified:
                transforms.append(out.transform or "compressed")
                refs.extend(r for r in out.refs if r not in refs)
            elif out.reason:
                reasons.append(out.reason)
        if not transforms:
            return CompressorOutput.unchanged("".join(parts), "; ".join(reasons) or f"{NAME}: nothing to compress")
        return CompressorOutput(
            text="".join(parts),
            modified=True,
            transform=transforms[0] if len(transforms) == 1 else f"{NAME}[{','.join(transforms)}]",
            refs=tuple(refs),
        )

    def _run_for(
        self, text: str, detection: ContentDetection, tokens: int, ctx: CompressionContext
    ) -> CompressorOutput:
        """The compressor for ``detection``; a test run, traceback or ``ls -R`` tries the coding one first."""
        compressor = self._for(detection, tokens)
        if not isinstance(compressor, PassThrough) and detection.type is not ContentType.JSON:
            if looks_like_coding_output(text):
                if self._coding is None:
                    from .coding import CodingOutputCompressor

                    self._coding = CodingOutputCompressor(scorer=self._scorer)
                out = self._run(self._coding, text, ctx)
                if out.modified:
                    return out
        return self._run(compressor, text, ctx)

    @staticmethod
    def _run(compressor: Compressor, text: str, ctx: CompressionContext) -> CompressorOutput:
        """One compressor call, failing open on any exception."""
        try:
            out = compressor.compress(text, ctx)
        except StorageError as exc:
            return _store_unavailable(text, compressor.name, exc)
        except Exception as exc:  # noqa: BLE001 - fail open: one compressor's bug must not break the call
            logger.warning("%s compressor failed open: %s: %s", compressor.name, type(exc).__name__, exc)
            return CompressorOutput.unchanged(text, f"{compressor.name}: failed open ({type(exc).__name__})")
        if not isinstance(out, CompressorOutput) or not isinstance(out.text, str):
            logger.warning("%s compressor returned %r; passing the input through", compressor.name, type(out))
            return CompressorOutput.unchanged(text, f"{compressor.name}: invalid output")
        return out


def _store_unavailable(text: str, name: str, exc: StorageError) -> CompressorOutput:
    """The input, whole: what could not be stored is not dropped (the store logged the outage once)."""
    logger.debug("%s kept its input: the store is unavailable (%s)", name, exc.message)
    return CompressorOutput.unchanged(text, f"{name}: store unavailable, content kept")
