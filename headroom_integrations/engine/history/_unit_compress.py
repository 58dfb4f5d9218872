"""Compress one history unit: tool outputs through the content router, long prose by sentences.

Used by the context manager before it drops anything: a smaller unit that
keeps its relevant part (with a marker and a ref to the rest) beats a dropped one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ccr.markers import content_ref, has_headroom_marker
from ..compressors.base import CompressionContext, CompressorOutput
from ..errors import StorageError

if TYPE_CHECKING:
    from ..compressors.router import ContentRouter
from ..messages import TextSlot, iter_text_slots, replace_texts
from ._tokens import message_tokens
from ._units import Unit

__all__ = ["PROSE_KINDS", "CompressedUnit", "UnitCompressor"]

logger = logging.getLogger(__name__)

# Values a later turn acts on: codes and ids with letters and digits, long numbers, dates
# (not the tails of escapes such as JSON's \u6771, which name nothing).
_VALUE = re.compile(
    r"(?<![\w\\-])(?:(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{3,}|\d{5,}|\d{4}-\d\d-\d\d)(?![\w-])"
)
# At most this many values name a digested tool output, or the history note.
_DIGEST_VALUES = 40


def lost_values(dropped: Sequence[Mapping[str, Any]], kept: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The ids, codes and dates the ``dropped`` messages name that no ``kept`` message does, in order,
    each with where it stood (the tool whose output named it, or ``replies``).

    Tool outputs and the assistant's words only: what a later turn acts on (a user's own values
    stay in the user turns the fitting keeps first).
    """
    seen = "\n".join(slot.text for slot in iter_text_slots(kept))
    found: dict[str, str] = {}
    for slot in iter_text_slots(dropped):
        if slot.kind in ("tool", "assistant"):
            where = (slot.tool_name or "a tool") if slot.kind == "tool" else "replies"
            for value in _VALUE.findall(slot.text):
                if value not in found and value not in seen:
                    found[value] = where
    return [(where, value) for value, where in found.items()][:_DIGEST_VALUES]


# The text kinds cut by sentence selection (system text only when the caller asks for it).
PROSE_KINDS = ("user", "assistant")


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

    def digest(self, unit: Unit, room: int) -> CompressedUnit | None:
        """The unit with each tool output replaced by the values it names (ids, codes, dates)
        and a marker whose ref returns it whole: what a later turn may act on, at a few tokens.

        For a tool step that would otherwise be dropped. None when no output names a value
        or the digest needs more than ``room`` tokens; nothing is stashed then.
        """
        members = [self._messages[i] for i in unit.indices]
        edits: dict[tuple[int, tuple[Any, ...]], str] = {}
        originals: list[str] = []
        for slot in iter_text_slots(members):
            values = list(dict.fromkeys(_VALUE.findall(slot.text)))[:_DIGEST_VALUES] if slot.kind == "tool" else []
            if not values:
                continue
            lines = slot.text.count("\n") + 1
            note = f"(a tool output naming {', '.join(values)})"
            edits[(slot.index, slot.path)] = self._ctx.marker(lines, "lines", content_ref(slot.text), note)
            originals.append(slot.text)
        if not edits:
            return None
        new = replace_texts(members, edits)
        tokens = sum(message_tokens(self._ctx.tokenizer, m) for m in new)
        if tokens >= unit.tokens or tokens > room:
            return None
        refs = [self._ctx.stash(text, "text") for text in originals]
        if refs != [content_ref(text) for text in originals]:  # a store that names refs its own way
            renamed = dict(zip((content_ref(t) for t in originals), refs, strict=True))
            edits = {key: _rename(text, renamed) for key, text in edits.items()}
            new = replace_texts(members, edits)
        return CompressedUnit(new, tokens, tuple(dict.fromkeys(refs)), ("digest",))

    def compress(
        self, unit: Unit, fit: int | None = None, prose_kinds: tuple[str, ...] = PROSE_KINDS
    ) -> CompressedUnit | None:
        """The unit compressed, or None when nothing could be saved.

        With ``fit``, a unit whose only prose is one text is cut to fit ``fit``
        tokens (tool outputs are left to the router, which has no budget).
        """
        members = [self._messages[i] for i in unit.indices]
        slots = list(iter_text_slots(members))
        prose = [s for s in slots if s.kind in prose_kinds]
        prose_budget = None
        if fit is not None and len(prose) == 1:
            prose_budget = fit - (unit.tokens - self._ctx.count(prose[0].text))
        edits: dict[tuple[int, tuple[Any, ...]], str] = {}
        refs: list[str] = []
        transforms: list[str] = []
        for slot in slots:
            if (slot.kind != "tool" and slot.kind not in prose_kinds) or has_headroom_marker(slot.text):
                continue  # compressing Headroom output again would cut what the first pass kept
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


def _rename(text: str, refs: Mapping[str, str]) -> str:
    for old, new in refs.items():
        text = text.replace(old, new)
    return text
