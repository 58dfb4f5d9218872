"""Lexical and semantic relevance together, paying for embeddings only where they can matter.

``score = alpha * embedding + (1 - alpha) * bm25``: ``alpha`` is the weight
of the *embedding* score. BM25 runs over every item; only its top
``hybrid_embed_top_k`` items are embedded (the rest keep their BM25 share,
so they can never overtake an embedded item with a better BM25 score). When
the query names exact identifiers that single out a few items, the
identifiers decide and no embedding is computed at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from ..arguments import strict_arguments
from ..config import RelevanceScorerConfig
from .base import coerce_items, coerce_query, scorer_config
from .bm25 import BM25Scorer, LexicalEvidence, lift_by_identifiers
from .embedding import EmbeddingScorer

__all__ = ["HybridScorer"]

logger = logging.getLogger(__name__)

# Identifiers "decide" when the items holding one are at most this share of all items.
_DECISIVE_SHARE = 0.25


@strict_arguments
class HybridScorer:
    """BM25 blended with embedding similarity; identifiers shift the blend toward BM25.

    ``alpha`` (default ``config.hybrid_alpha``) is the embedding weight: 0
    is pure BM25, 1 pure embeddings. With ``adaptive`` (default
    ``config.adaptive_alpha``) a query whose identifiers appear in a few
    items (at most a quarter) is scored by BM25 alone, and one whose
    identifiers appear more widely uses half of ``alpha``. Either way items
    holding a query identifier rank above the rest. If embedding fails at run
    time the BM25 scores are returned and the reason is logged.
    """

    name = "hybrid"

    def __init__(
        self,
        alpha: float | None = None,
        adaptive: bool | None = None,
        config: RelevanceScorerConfig | None = None,
    ) -> None:
        config = scorer_config(config)
        self.config = replace(  # validated again, so a bad alpha raises ConfigurationError
            config,
            hybrid_alpha=config.hybrid_alpha if alpha is None else alpha,
            adaptive_alpha=config.adaptive_alpha if adaptive is None else adaptive,
        )
        self.alpha = self.config.hybrid_alpha
        self.adaptive = self.config.adaptive_alpha
        self.bm25 = BM25Scorer(self.config)
        self.embedding = EmbeddingScorer(config=self.config)

    def effective_alpha(self, evidence: LexicalEvidence) -> float:
        """The embedding weight used for these items and query (see the class docstring)."""
        hits = evidence.identifier_hits
        if not self.adaptive or hits == 0:
            return self.alpha
        if hits <= _DECISIVE_SHARE * len(evidence.base):
            return 0.0
        return self.alpha / 2.0

    def score_items(self, items: Sequence[str], query: str) -> list[float]:
        """One score in [0, 1] per item, in order."""
        texts = coerce_items(items, self.name)
        query = coerce_query(query, self.name)
        evidence = self.bm25.evidence(texts, query)
        alpha = self.effective_alpha(evidence)
        if not texts or not query.strip() or alpha == 0.0:
            return evidence.scores()
        top_k = self.config.hybrid_embed_top_k
        candidates = sorted(range(len(texts)), key=lambda i: (-evidence.base[i], i))[:top_k]
        try:
            semantic = self.embedding.similarities(query, texts, candidates)
        except Exception as exc:  # fail open: lexical scores are still meaningful
            logger.warning("hybrid: embedding failed, using BM25 scores only: %s", exc)
            return evidence.scores()
        blended = [(1.0 - alpha) * b + alpha * s for b, s in zip(evidence.base, semantic, strict=True)]
        return lift_by_identifiers(blended, evidence.coverage)
