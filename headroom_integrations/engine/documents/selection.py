"""Select documents (and the best sentences of the rest) under a token budget.

A retriever returns more text than a prompt can afford. Keeping only the top
documents whole loses the answer whenever it sits in a document ranked just
below the cut. :func:`select_documents` keeps the most relevant documents
whole with part of the budget and spends the rest on the most relevant
sentences of the next documents, so more documents get a say. Cut sentences
stay retrievable through the markers' refs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..ccr.markers import REF_LENGTH
from ..compressors.base import CompressionContext
from ..compressors.text import split_sentences
from ..history._budget import check_positive
from ..history._context import compression_context
from ..models import DEFAULT_MODEL
from ..relevance import BM25Scorer, RelevanceScorer

__all__ = ["DocumentSelection", "SelectedDocument", "select_documents"]

logger = logging.getLogger(__name__)

# Share of the budget spent on whole documents before the rest go in as excerpts.
WHOLE_SHARE = 0.5
_UNIT = "sentences"
# Per picked sentence: joining (and an ellipsis where sentences were skipped) costs up to this.
_JOIN_SLACK = 2


@dataclass(frozen=True)
class SelectedDocument:
    """One kept document: whole (``complete``) or an excerpt whose markers carry ``refs``."""

    index: int
    text: str
    score: float
    complete: bool
    tokens: int
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentSelection:
    """The kept documents, most relevant first, and what the selection cost."""

    documents: list[SelectedDocument]
    tokens_before: int
    tokens_after: int
    token_budget: int
    dropped: tuple[int, ...]

    @property
    def text(self) -> str:
        """The kept documents joined by blank lines."""
        return "\n\n".join(d.text for d in self.documents)

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for d in self.documents for r in d.refs))


def _sentence_scores(sentences: list[list[str]], query: str, scorer: RelevanceScorer) -> list[list[float]]:
    """Scores of every sentence, scored as one set across all documents, grouped by document."""
    flat = [s for doc in sentences for s in doc]
    flat_scores = list(scorer.score_items(flat, query)) if flat else []
    by_doc: list[list[float]] = []
    start = 0
    for doc in sentences:
        by_doc.append(flat_scores[start : start + len(doc)])
        start += len(doc)
    return by_doc


def select_documents(
    documents: Sequence[str],
    query: str,
    token_budget: int,
    *,
    model: str = DEFAULT_MODEL,
    scorer: RelevanceScorer | None = None,
    store: Any = None,
    context: CompressionContext | None = None,
    whole_share: float = WHOLE_SHARE,
) -> DocumentSelection:
    """The most relevant documents and sentences of ``documents`` fitting ``token_budget``.

    Documents are ranked by ``scorer`` (BM25 by default) against ``query``.
    Up to ``whole_share`` of the budget goes to whole documents in rank order;
    the rest goes to the best-scoring sentences of the other documents, each
    such excerpt ending in one marker whose ref returns the whole document.
    Non-string documents are treated as text; full texts of excerpts go to
    ``store`` (the default store when None; a ``context`` whose store is None
    writes nothing).
    """
    budget = check_positive("token_budget", token_budget)
    texts = [d if isinstance(d, str) else str(d) for d in documents]
    query = query if isinstance(query, str) else ""
    ctx = compression_context(query, model, store=store, context=context)
    scorer = scorer or BM25Scorer()
    scores = list(scorer.score_items(texts, query)) if texts else []
    sentences = [split_sentences(t) for t in texts]
    costs = [ctx.count(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: (-scores[i], i))
    rank = {index: position for position, index in enumerate(order)}
    whole: list[int] = []
    room = budget
    whole_room = budget if sum(costs) <= budget else int(budget * whole_share)
    for index in order:
        if costs[index] <= min(room, whole_room):
            whole.append(index)
            room -= costs[index]
            whole_room -= costs[index]
    picked = _pick_sentences(rank, whole, sentences, _sentence_scores(sentences, query, scorer), room, ctx)
    kept = [SelectedDocument(i, texts[i], scores[i], True, costs[i]) for i in whole]
    for index in order:
        if index in picked:
            kept.append(_excerpt(index, texts[index], sentences[index], picked[index], scores[index], ctx))
    kept.sort(key=lambda d: rank[d.index])
    excerpts = [d for d in kept if not d.complete]
    while excerpts and sum(d.tokens for d in kept) > budget:
        kept.remove(excerpts.pop())
    chosen = {d.index for d in kept}
    return DocumentSelection(
        documents=kept,
        tokens_before=sum(costs),
        tokens_after=sum(d.tokens for d in kept),
        token_budget=budget,
        dropped=tuple(i for i in order if i not in chosen),
    )


def _pick_sentences(
    rank: dict[int, int],
    whole: list[int],
    sentences: list[list[str]],
    scores: list[list[float]],
    room: int,
    ctx: CompressionContext,
) -> dict[int, set[int]]:
    """Best sentences of the documents not kept whole, greedily, one marker per excerpt included."""
    marker_cost = ctx.count(" " + _marker(ctx, 999, "0" * REF_LENGTH))
    taken = set(whole)
    ranked = sorted(
        (
            (scores[d][j], rank[d], j, d)
            for d in rank
            if d not in taken
            for j in range(len(sentences[d]))
            if scores[d][j] > 0
        ),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    picked: dict[int, set[int]] = {}
    for _, _, j, doc in ranked:
        cost = ctx.count(sentences[doc][j]) + _JOIN_SLACK + (0 if doc in picked else marker_cost)
        if cost <= room:
            picked.setdefault(doc, set()).add(j)
            room -= cost
    return picked


def _marker(ctx: CompressionContext, omitted: int, ref: str) -> str:
    return ctx.marker(omitted, _UNIT, ref, "of this document")


def _excerpt(
    index: int, text: str, sentences: list[str], picked: set[int], score: float, ctx: CompressionContext
) -> SelectedDocument:
    """The picked sentences in order, then one marker whose ref returns the whole document."""
    if len(picked) == len(sentences):
        return SelectedDocument(index, text, score, True, ctx.count(text))
    ref = ctx.stash(text, kind="text")
    body = ""
    for j in sorted(picked):
        gap = body and j - 1 not in picked
        body = f"{body.rstrip()} \u2026 {sentences[j]}" if gap else body + sentences[j]
    body = body.rstrip()
    excerpt = f"{body} {_marker(ctx, len(sentences) - len(picked), ref)}"
    return SelectedDocument(index, excerpt, score, False, ctx.count(excerpt), (ref,))
