"""Prose: extractive sentence selection, verbatim, in the original order.

Sentences are ranked by relevance to the query (BM25 with exact-identifier
lift) plus a small prior for what tends to carry facts: the document's first
sentence (always kept), paragraph openers, numbers, quoted text and names.
The best are kept until ``content.text_target_ratio`` of the tokens is spent,
counting the markers that replace the gaps; nothing is reworded and no word
is added except the markers. :func:`select_sentences` is the same selection
under an explicit token budget, for the history manager and the retriever.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..arguments import strict_arguments
from ..ccr.markers import REF_LENGTH
from ..relevance import BM25Scorer, RelevanceScorer
from ._elide import Plan, finish, never_raises, plain_marker, preview, runs_from_mask
from .base import CompressionContext, CompressorOutput

__all__ = ["TextCompressor", "select_sentences", "split_sentences"]

NAME = "text"
_UNIT = "sentences"

# A sentence ends at . ! ? (or …) plus closing quotes/brackets, then whitespace.
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(\s+)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE_START_BLOCK = re.compile(r"\s*(?:[-*+\u2022]\s|\d+[.)]\s|#{1,6}\s|>\s|\|)")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig figs no nos vol pp inc ltd co corp dept est approx "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k".split()
)
_NUMBER = re.compile(r"\d")
_QUOTED = re.compile(r"\"[^\"\n]{3,}\"|\u201c[^\u201d\n]{3,}\u201d")
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]+(?:[-'][A-Za-z]+)?")

# Prior weights: relevance dominates; these only break ties and guide query-less selection.
_RELEVANCE_WEIGHT = 0.75
_PARAGRAPH_OPENER = 0.45
_HAS_NUMBER = 0.2
_HAS_QUOTE = 0.15
_HAS_NAMES = 0.2
# Share of a sentence's relevance lent to the next / previous sentence of its paragraph.
_NEXT_SHARE = 0.6
_PREVIOUS_SHARE = 0.3
_MAX_FITTING_ROUNDS = 6


@strict_arguments
class TextCompressor:
    """Content compressor for prose (``name="text"``); ``scorer`` defaults to BM25."""

    name = NAME

    def __init__(self, *, scorer: RelevanceScorer | None = None) -> None:
        self.scorer = scorer

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        return _select(text, ctx.query, None, ctx, scorer=self.scorer)


def select_sentences(
    text: str, query: str, max_tokens: int, ctx: CompressionContext, *, scorer: RelevanceScorer | None = None
) -> CompressorOutput:
    """The most relevant sentences of ``text`` fitting ``max_tokens`` (markers included), in order.

    Returns ``text`` unchanged when it already fits. The first sentence is
    always kept, so a budget below it (plus one marker) cannot be met.
    Dropped runs are stashed through ``ctx`` like every other cut, so the
    markers resolve.
    """
    return _select(text, query, max(0, max_tokens), ctx, scorer=scorer)


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing whitespace, so ``''.join(split_sentences(t)) == t``."""
    cuts: set[int] = set()
    for m in _PARAGRAPH.finditer(text):
        cuts.add(m.end())
    for m in _END.finditer(text):
        end = m.end()
        if end < len(text) and _opens_sentence(text, end) and not _abbreviation(text, m.start()):
            cuts.add(end)
    for m in re.finditer(r"\n", text):
        end = m.end()
        if _LINE_START_BLOCK.match(text, end) or _short_line_before(text, m.start()):
            cuts.add(end)
    bounds = sorted(c for c in cuts if 0 < c < len(text))
    out: list[str] = []
    start = 0
    for cut in bounds:
        if text[start:cut].strip():
            out.append(text[start:cut])
            start = cut
    if start < len(text):
        if out and not text[start:].strip():
            out[-1] += text[start:]
        else:
            out.append(text[start:])
    return out


def _opens_sentence(text: str, i: int) -> bool:
    ch = text[i]
    return ch.isupper() or ch.isdigit() or ch in "\"'\u201c\u2018([*-#"


def _abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an initial ("J. Smith")."""
    head = text[max(0, dot - 12) : dot]
    word = re.search(r"[A-Za-z.]+$", head)
    if word is None:
        return False
    token = word.group(0).lower().strip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _short_line_before(text: str, newline: int) -> bool:
    """A short line that ends without punctuation is a heading or list entry, not a wrapped sentence."""
    start = text.rfind("\n", 0, newline) + 1
    line = text[start:newline].strip()
    return 0 < len(line) <= 60 and line[-1] not in ".,;:!?" and not line[-1].islower()


def _prior(sentences: Sequence[str], openers: Sequence[bool]) -> list[float]:
    out = []
    for sentence, opener in zip(sentences, openers, strict=True):
        names = len(_NAME.findall(sentence))
        out.append(
            _PARAGRAPH_OPENER * opener
            + _HAS_NUMBER * bool(_NUMBER.search(sentence))
            + _HAS_QUOTE * bool(_QUOTED.search(sentence))
            + _HAS_NAMES * min(names, 3) / 3
        )
    return out


def _openers(sentences: Sequence[str]) -> list[bool]:
    """Whether each sentence opens the document or a paragraph (the one before it ends with a blank line)."""
    return [i == 0 or _ends_paragraph(sentences[i - 1]) for i in range(len(sentences))]


def _ends_paragraph(sentence: str) -> bool:
    tail = sentence[len(sentence.rstrip()) :]
    return tail.count("\n") >= 2


@never_raises(NAME)
def _select(
    text: str, query: str, max_tokens: int | None, ctx: CompressionContext, *, scorer: RelevanceScorer | None
) -> CompressorOutput:
    """Choose and splice; ``max_tokens`` None means the compressor's target ratio, else a hard budget."""
    total = ctx.count(text)
    if max_tokens is None:
        budget, min_savings = int(total * ctx.config.content.text_target_ratio), None
    elif total <= max_tokens:
        return CompressorOutput.unchanged(text, f"{NAME}: fits the budget")
    else:
        budget, min_savings = max_tokens, 0.0
    sentences = split_sentences(text)
    if len(sentences) < 3:
        return CompressorOutput.unchanged(text, f"{NAME}: fewer than 3 sentences")
    cost = [ctx.count(s) for s in sentences]
    marker_cost = ctx.count(ctx.marker(99, _UNIT, "0" * REF_LENGTH))
    openers = _openers(sentences)
    if (query or "").strip():
        ranker = scorer or BM25Scorer(ctx.config.relevance)
        relevance: list[float] | None = _smoothed(ranker.score_items(sentences, query), openers)
    else:
        relevance = None
    prior = _prior(sentences, openers)
    score = [
        (_RELEVANCE_WEIGHT * relevance[i] + (1 - _RELEVANCE_WEIGHT) * prior[i]) if relevance else prior[i]
        for i in range(len(sentences))
    ]
    target = budget
    for _ in range(_MAX_FITTING_ROUNDS):
        plan = Plan(sentences, runs_from_mask(_choose(score, cost, marker_cost, target)), plain_marker(_UNIT, ctx))
        overshoot = ctx.count(preview(plan, ctx)) - budget
        if overshoot <= 0:
            break
        target -= overshoot  # token counts of parts do not add up exactly: tighten and choose again
    return finish(NAME, text, plan, ctx, kind="text", min_savings=min_savings)


def _smoothed(relevance: Sequence[float], openers: Sequence[bool]) -> list[float]:
    """Lend part of a sentence's relevance to its paragraph neighbours.

    The sentence that answers often follows the one that matches the query's
    words ("... prompted the population to leave. Most went to Cuba").
    """
    out = list(relevance)
    for i in range(len(relevance)):
        if i > 0 and not openers[i]:
            out[i] = max(out[i], _NEXT_SHARE * relevance[i - 1])
        if i + 1 < len(relevance) and not openers[i + 1]:
            out[i] = max(out[i], _PREVIOUS_SHARE * relevance[i + 1])
    return out


def _choose(score: Sequence[float], cost: Sequence[int], marker_cost: int, budget: int) -> list[bool]:
    """Greedy by score; a sentence joins when kept tokens plus one marker per gap stay within budget."""
    n = len(score)
    keep = [False] * n
    keep[0] = True
    spent = cost[0] + (marker_cost if n > 1 else 0)
    for i in sorted(range(1, n), key=lambda i: (-score[i], i)):
        left_gap = not keep[i - 1]
        right_gap = i + 1 < n and not keep[i + 1]
        delta_markers = 1 if left_gap and right_gap else -1 if not left_gap and not right_gap else 0
        delta = cost[i] + delta_markers * marker_cost
        if spent + delta <= budget:
            keep[i] = True
            spent += delta
    return keep
