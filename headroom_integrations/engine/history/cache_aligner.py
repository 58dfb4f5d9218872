"""Keep the system prompt's prefix byte-identical across calls so prompt caches hit.

Providers cache the longest identical prefix of a request. A system prompt that
embeds today's date, a timestamp or a request id changes on every call and
defeats the cache for everything after it. :class:`CacheAligner` moves such
values into a clearly labelled tail at the end of the system message (nothing
is lost: the model still reads them) and normalises whitespace outside fenced
code, then reports the stable prefix's size and hash.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..arguments import strict_arguments
from ..compressors.text import split_sentences
from ..config import CacheAlignerConfig
from ..messages import iter_text_slots, replace_texts
from ..models import DEFAULT_MODEL, resolve_model
from ..tokens.tokenizer import get_tokenizer
from ._dynamic import DYNAMIC_OPENER_AFTER_STOP, dynamic_spans, is_dynamic_line
from .pipeline import TransformResult, unchanged_result

__all__ = ["AlignResult", "CacheAligner", "CachePrefixMetrics"]

logger = logging.getLogger(__name__)

_SYSTEM_ROLES = ("system", "developer")
_FENCES = ("```", "~~~")
# Left after a sentence is moved out: list markers, labels and punctuation carry nothing.
_RESIDUE_CHARS = " \t-*#:;,.()[]\u2022"


@dataclass(frozen=True)
class CachePrefixMetrics:
    """The stable prefix (system prompt without its dynamic tail) and whether it moved.

    ``prefix_changed`` compares with the previous :meth:`CacheAligner.align`
    call of the same instance (False on the first call).
    """

    stable_prefix_bytes: int
    stable_prefix_tokens: int
    stable_prefix_hash: str
    prefix_changed: bool
    previous_hash: str | None
    dynamic_values_moved: int


@dataclass(frozen=True)
class AlignResult:
    """Aligned messages plus the prefix metrics; ``moved`` lists what went to the tail."""

    messages: list[Any]
    metrics: CachePrefixMetrics
    moved: tuple[str, ...] = ()


@functools.lru_cache(maxsize=64)
def _compiled(*groups: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """The configured extra patterns, compiled once per distinct list (keyed by value)."""
    return tuple(re.compile(p) for group in groups for p in group)


def _split_tail(text: str, separator: str) -> tuple[str, list[str]]:
    """Separate a tail written by an earlier alignment, so aligning twice changes nothing."""
    opening = separator.lstrip("\n")
    if text.startswith(opening):
        head, tail = "", text[len(opening) :]
    elif separator in text:
        head, tail = text.rsplit(separator, 1)
    else:
        return text, []
    return head, [line for line in tail.split("\n") if line.strip()]


def _sentences(line: str) -> list[str]:
    """Sentences of ``line``, also cut before a dynamic opener ("... Team A. Current date: ...").

    The prose splitter keeps "A. Current" together (an initial before a name);
    here a following "Current date:" always starts a sentence of its own.
    """
    out: list[str] = []
    for sentence in split_sentences(line):
        start = 0
        for match in DYNAMIC_OPENER_AFTER_STOP.finditer(sentence):
            out.append(sentence[start : match.end()])
            start = match.end()
        out.append(sentence[start:])
    return [s for s in out if s]


def _is_fence(line: str) -> bool:
    return line.lstrip().startswith(_FENCES)


def _move_dynamic(line: str, moved: list[str], patterns: Sequence[re.Pattern[str]]) -> str | None:
    """The line without its dynamic sentences (None when nothing useful is left)."""
    if is_dynamic_line(line):
        moved.append(line.strip())
        return None
    if not dynamic_spans(line, patterns):
        return line
    kept: list[str] = []
    for sentence in _sentences(line):
        if dynamic_spans(sentence, patterns):
            moved.append(sentence.strip())
        else:
            kept.append(sentence)
    rest = "".join(kept).rstrip()
    return rest if rest.strip(_RESIDUE_CHARS) else None


def _normalise(lines: list[str], strip: bool, collapse: bool) -> str:
    """Strip trailing spaces and/or collapse blank-line runs, outside fenced code."""
    out: list[str] = []
    in_fence = False
    for line in lines:
        if _is_fence(line):
            in_fence = not in_fence
            out.append(line.rstrip() if strip else line)
            continue
        if in_fence:
            out.append(line)
            continue
        line = line.rstrip() if strip else line
        if collapse and not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


@strict_arguments
class CacheAligner:
    """Moves dynamic values to a tail of the system message and reports the stable prefix.

    Deterministic and idempotent: aligning an aligned conversation changes
    nothing. One instance remembers the previous prefix hash (thread-safe) to
    report ``prefix_changed``.
    """

    name = "cache_aligner"

    def __init__(self, config: CacheAlignerConfig | None = None) -> None:
        self.config = config or CacheAlignerConfig()
        self._lock = threading.Lock()
        self._last_hash: str | None = None

    def _split(self, text: str, patterns: Sequence[re.Pattern[str]]) -> tuple[str, list[str], list[str]]:
        """One system text as (stable part, newly moved lines, lines of an earlier tail)."""
        config = self.config
        head, tail = _split_tail(text, config.dynamic_tail_separator)
        moved: list[str] = []
        lines: list[str] = []
        in_fence = False
        for line in head.split("\n"):
            if _is_fence(line):
                in_fence = not in_fence
            elif not in_fence and config.extract_dates:
                kept = _move_dynamic(line, moved, patterns)
                if kept is None:
                    continue
                line = kept
            lines.append(line)
        if config.normalize_whitespace or config.collapse_blank_lines:
            stable = _normalise(lines, config.normalize_whitespace, config.collapse_blank_lines)
        else:
            stable = "\n".join(lines)
        return stable, moved, tail

    def _join(self, stable: str, tail: list[str]) -> str:
        if not tail:
            return stable
        separator = self.config.dynamic_tail_separator
        body = "\n".join(tail)
        return f"{stable}{separator}{body}" if stable else f"{separator.lstrip(chr(10))}{body}"

    def align(self, messages: Sequence[Mapping[str, Any]], *, model: str = DEFAULT_MODEL) -> AlignResult:
        """Align the leading system message; other messages are returned as they are.

        When the system content is a list of text blocks, every block is
        cleaned and the last one carries the tail, so the prefix stays contiguous.
        """
        self.config.validate()
        patterns = _compiled(tuple(self.config.date_patterns), tuple(self.config.dynamic_patterns))
        out: list[Any] = list(messages)
        first = out[0] if out else None
        if not (self.config.enabled and isinstance(first, Mapping) and first.get("role") in _SYSTEM_ROLES):
            return AlignResult(out, self._metrics("", model, 0))
        slots = list(iter_text_slots(out[:1]))
        parts = [self._split(slot.text, patterns) for slot in slots]
        moved = tuple(line for _, slot_moved, _ in parts for line in slot_moved)
        tail = [*moved, *(line for _, _, earlier in parts for line in earlier)]
        edits: dict[tuple[int, tuple[Any, ...]], str] = {}
        for position, (slot, (stable, _, _)) in enumerate(zip(slots, parts, strict=True)):
            new_text = self._join(stable, tail) if position == len(slots) - 1 else stable
            if new_text != slot.text:
                edits[(slot.index, slot.path)] = new_text
        if edits:
            out = replace_texts(out, edits)
        stable_prefix = "\n".join(stable for stable, _, _ in parts)
        return AlignResult(out, self._metrics(stable_prefix, model, len(moved)), moved)

    def _metrics(self, stable: str, model: str, moved: int) -> CachePrefixMetrics:
        data = stable.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            previous, self._last_hash = self._last_hash, digest
        return CachePrefixMetrics(
            stable_prefix_bytes=len(data),
            stable_prefix_tokens=int(get_tokenizer(model).count_text(stable)) if stable else 0,
            stable_prefix_hash=digest,
            prefix_changed=previous is not None and previous != digest,
            previous_hash=previous,
            dynamic_values_moved=moved,
        )

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult:
        """Pipeline step: align the system prompt (no-op when nothing changes)."""
        model = resolve_model(ctx.get("model"))
        result = self.align(messages, model=model)
        changed = result.messages != list(messages)
        step = replace(unchanged_result(result.messages, model), cache_metrics=result.metrics)
        if not changed:
            return step
        before = int(get_tokenizer(model).count_messages(list(messages)))
        return replace(
            step,
            tokens_before=before,
            transforms_applied=[f"cache_align:moved={len(result.moved)}"],
        )
