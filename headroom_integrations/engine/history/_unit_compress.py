"""Compress one history unit: tool outputs through the content router, long prose by sentences.

Used by the context manager before it drops anything: a smaller unit that
keeps its relevant part (with a marker and a ref to the rest) beats a dropped one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..compressors.base import CompressionContext, CompressorOutput
from ..errors import StorageError

if TYPE_CHECKING:
    from ..compressors.router import ContentRouter
from ..messages import TextSlot, iter_text_slots, replace_texts
from ._tokens import message_tokens
from ._units import Unit

__all__ = ["CompressedUnit", "UnitCompressor"]

logger = logging.getLogger(__name__)

_PROSE_KINDS = ("user", "assistant")


@dataclass(frozen=True)
class CompressedUnit:
    """A unit's messages after compression, with their cost and the refs of what was cut."""

    messages: list[Any]
    tokens: int
    refs: tuple[str, ...]
    transforms: tuple[str, ...]


class UnitCompressor:
    """Compresses units of one conversation with one :class:`CompressionContext`."""

    def __init__(self, messages: Sequence[Mapping[str, Any]], ctx: CompressionContext) -> None:
        self._messages = messages
        self._ctx = ctx
        self._router: ContentRouter | None = None

    def _route(self, slot: TextSlot) -> CompressorOutput:
        if self._router is None:
            from ..compressors.router import ContentRouter

            self._router = ContentRouter(self._ctx.config)
        return self._router.compress(slot.text, self._ctx, hint=slot.tool_name)

    def _prose(self, slot: TextSlot, max_tokens: int | None) -> CompressorOutput:
        """Sentence selection: within ``max_tokens`` when given, else the configured target ratio."""
        from ..compressors.text import TextCompressor, select_sentences

        if self._ctx.count(slot.text) < self._ctx.config.content.min_tokens_to_compress:
            return CompressorOutput.unchanged(slot.text, "prose below min_tokens_to_compress")
        if max_tokens is not None and max_tokens > 0:
            return select_sentences(slot.text, self._ctx.query, max_tokens, self._ctx)
        return TextCompressor().compress(slot.text, self._ctx)

    def compress(self, unit: Unit, fit: int | None = None) -> CompressedUnit | None:
        """The unit compressed, or None when nothing could be saved.

        With ``fit``, a unit whose only prose is one text is cut to fit ``fit``
        tokens (tool outputs are left to the router, which has no budget).
        """
        members = [self._messages[i] for i in unit.indices]
        slots = list(iter_text_slots(members))
        prose = [s for s in slots if s.kind in _PROSE_KINDS]
        prose_budget = None
        if fit is not None and len(prose) == 1:
            prose_budget = fit - (unit.tokens - self._ctx.count(prose[0].text))
        edits: dict[tuple[int, tuple[Any, ...]], str] = {}
        refs: list[str] = []
        transforms: list[str] = []
        for slot in slots:
            if slot.kind != "tool" and slot.kind not in _PROSE_KINDS:
                continue
            stashed = len(self._ctx.stashed)
            try:
                output = self._route(slot) if slot.kind == "tool" else self._prose(slot, prose_budget)
            except StorageError:  # the store is down (logged once there): this text stays whole
                continue
            except Exception as exc:  # a compressor bug must not break the fitting
                logger.warning("unit compression failed on a %s text: %r", slot.kind, exc, exc_info=True)
                continue
            if output.modified and output.text != slot.text:
                edits[(slot.index, slot.path)] = output.text
                refs.extend(r for r in (*output.refs, *self._ctx.stashed[stashed:]) if r not in refs)
                transforms.append(output.transform or "compressed")
        if not edits:
            return None
        new = replace_texts(members, edits)
        tokens = sum(message_tokens(self._ctx.tokenizer, m) for m in new)
        if tokens >= unit.tokens:
            return None
        return CompressedUnit(new, tokens, tuple(refs), tuple(transforms))
