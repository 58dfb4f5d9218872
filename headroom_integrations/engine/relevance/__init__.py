"""Relevance scoring: which items (JSON records, lines, messages, documents) matter to a query.

Every scorer follows :class:`RelevanceScorer`: ``score_items(items, query)``
returns one deterministic score in [0, 1] per item. :class:`BM25Scorer` is
pure Python and always available; exact identifiers in the query (ids,
shas, e-mails, URLs, quoted strings) lift the items that contain them.
:class:`EmbeddingScorer` and :class:`HybridScorer` add a local sentence
embedding model (loaded lazily, never downloaded); :func:`create_scorer`
picks the best one available.
"""

from __future__ import annotations

from .base import RelevanceScorer
from .bm25 import BM25Scorer
from .embedding import EmbeddingScorer, embedding_available
from .factory import create_scorer
from .hybrid import HybridScorer
from .identifiers import extract_identifiers

__all__ = [
    "BM25Scorer",
    "EmbeddingScorer",
    "HybridScorer",
    "RelevanceScorer",
    "create_scorer",
    "embedding_available",
    "extract_identifiers",
]
