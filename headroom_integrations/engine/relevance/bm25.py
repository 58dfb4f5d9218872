"""BM25 over the items being scored, with exact-identifier lift.

The items are the corpus: a term's weight (IDF) comes from how many of the
given items hold it, so "error" in a log where every line says error weighs
nothing while the one request id weighs a lot. On top of that, an item that
contains an exact identifier from the query (an id, sha, e-mail, URL, quoted
string...) always outranks items that only share ordinary words: length
normalisation must never bury the one record the user named.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from .._lru import LRUCache
from ..arguments import strict_arguments
from ..config import RelevanceScorerConfig
from ._part_counts import PartCounts
from .base import coerce_items, coerce_query, scorer_config, squash
from .identifiers import extract_identifiers, identifier_pattern
from .tokens import query_terms

__all__ = ["BM25Scorer", "LexicalEvidence", "lift_by_identifiers"]

# Scores of items holding a query identifier start here; all other items stay below it.
IDENTIFIER_FLOOR = 0.5
_MAX_TOKENISED_CHARS = 1_000_000


def _texts_chars(texts: tuple[str, ...], _counts: PartCounts) -> int:
    return sum(map(len, texts))


# The same items are often scored again (a tool output filtered by several queries, a
# document set re-ranked): their part counts are kept, bounded by the characters held.
_COUNTS_CACHE_CHARS = 4_000_000
_COUNTS_CACHE: LRUCache[tuple[str, ...], PartCounts] = LRUCache(
    _COUNTS_CACHE_CHARS, _texts_chars, _COUNTS_CACHE_CHARS // 4
)


def _part_counts(texts: list[str]) -> PartCounts:
    key = tuple(texts)
    counts = _COUNTS_CACHE.get(key)
    if counts is None:
        counts = PartCounts(key)
        _COUNTS_CACHE.put(key, counts)
    return counts


@lru_cache(maxsize=64)  # agents ask the same question of every tool output
def _query_identifiers(query: str) -> tuple[str, ...]:
    return tuple(extract_identifiers(query))


def _idf(n_docs: int, doc_freq: int) -> float:
    """Okapi IDF kept positive (+1 inside the log) so a term in every item still counts a little."""
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


@dataclass(frozen=True)
class LexicalEvidence:
    """What BM25 knows about a set of items before identifiers lift the winners.

    ``base`` is the normalised BM25 score per item; ``coverage`` the
    IDF-weighted share of the query's (discriminating) identifiers each item
    contains, all zeros when the query has none or none is found.
    """

    base: list[float]
    coverage: list[float]

    @property
    def identifier_hits(self) -> int:
        """How many items contain at least one query identifier."""
        return sum(1 for c in self.coverage if c > 0)

    def scores(self) -> list[float]:
        """Final scores: ``base`` lifted by identifier coverage."""
        return lift_by_identifiers(self.base, self.coverage)


def lift_by_identifiers(base: Sequence[float], coverage: Sequence[float]) -> list[float]:
    """Put items containing a query identifier above all others, keeping order within each group.

    Matching items land in [IDENTIFIER_FLOOR, 1], ranked by their identifier
    coverage and base score; the rest are scaled below the floor. Without any
    match the base scores are returned unchanged.
    """
    if not any(c > 0 for c in coverage):
        return list(base)
    floor = IDENTIFIER_FLOOR
    return [
        floor + (1.0 - floor) * (0.5 * c + 0.5 * b) if c > 0 else floor * b for b, c in zip(base, coverage, strict=True)
    ]


@strict_arguments
class BM25Scorer:
    """Okapi BM25 with IDF over the scored items, normalised to [0, 1].

    Pure Python and cheap: parts are counted for all items at once at C
    speed (see :mod:`._part_counts`), so 1,000 items of ~50 words take a
    few milliseconds, seen before or not. ``k1`` and ``b`` come from
    :class:`RelevanceScorerConfig`.
    """

    name = "bm25"

    def __init__(self, config: RelevanceScorerConfig | None = None) -> None:
        self.config = scorer_config(config)

    def score_items(self, items: Sequence[str], query: str) -> list[float]:
        """One score in [0, 1] per item; items with a query identifier rank first."""
        return self.evidence(items, query).scores()

    def evidence(self, items: Sequence[str], query: str) -> LexicalEvidence:
        """Normalised BM25 and identifier coverage per item (see :class:`LexicalEvidence`)."""
        texts = coerce_items(items, self.name)
        if max(map(len, texts), default=0) > _MAX_TOKENISED_CHARS:
            texts = [t[:_MAX_TOKENISED_CHARS] for t in texts]
        query = coerce_query(query, self.name)
        zeros = [0.0] * len(texts)
        if not texts or not query.strip():
            return LexicalEvidence(zeros, list(zeros))
        holding = _holders(texts)
        return LexicalEvidence(self._bm25(texts, holding, query), _identifier_coverage(texts, holding, query))

    def _bm25(self, texts: list[str], holding: Callable[[str], list[int]], query: str) -> list[float]:
        terms = query_terms(query)
        if not terms:
            return [0.0] * len(texts)
        counts = _part_counts(texts)
        n_docs = len(texts)
        total_length = sum(counts.lengths)
        if total_length == 0:
            return [0.0] * n_docs
        avg_length = total_length / n_docs
        columns = [counts.counts(part) for part in terms.parts]
        columns += [_whole_counts(texts, holding(whole), whole) for whole in terms.wholes]
        idfs = [_idf(n_docs, n_docs - column.count(0)) for column in columns]
        reference = sum(idfs)
        k1, b = self.config.bm25_k1, self.config.bm25_b

        def score(length: int, row: tuple[int, ...]) -> float:
            if not any(row):
                return 0.0
            norm = k1 * (1.0 - b + b * length / avg_length)
            raw = sum(idf * tf * (k1 + 1.0) / (tf + norm) for idf, tf in zip(idfs, row, strict=True) if tf)
            return squash(raw / reference)

        # Records of one collection often share their length and term counts: score each such pair once.
        scores: dict[tuple[int, tuple[int, ...]], float] = {}
        keys = zip(counts.lengths, zip(*columns, strict=True), strict=True)
        return [scores[key] if key in scores else scores.setdefault(key, score(*key)) for key in keys]


def _holders(texts: list[str]) -> Callable[[str], list[int]]:
    """Indices of the texts whose lower case contains a (lower-case) needle; each needle is looked for once."""
    lowered = [t.lower() for t in texts]

    @cache
    def holding(needle: str) -> list[int]:
        return [i for i, low in enumerate(lowered) if needle in low]

    return holding


def _whole_counts(texts: list[str], candidates: list[int], whole: str) -> list[int]:
    """Occurrences of a compound term (``abc-123``, ``getusername``) as a whole token in each item.

    ``candidates`` are the items containing it in any case; the others hold none.
    """
    pattern = identifier_pattern(whole)
    counts = [0] * len(texts)
    for i in candidates:
        counts[i] = len(pattern.findall(texts[i]))
    return counts


def _identifier_coverage(texts: list[str], holding: Callable[[str], list[int]], query: str) -> list[float]:
    """IDF-weighted share of the query's identifiers found verbatim (case-insensitive) in each item.

    Identifiers found in no item are ignored (they cannot discriminate), and
    so are identifiers found in every one of several items.
    """
    identifiers = _query_identifiers(query)
    n_docs = len(texts)
    if not identifiers:
        return [0.0] * n_docs
    weights: list[float] = []
    hits: list[list[int]] = []
    for identifier in identifiers:
        pattern = identifier_pattern(identifier)
        found = [i for i in holding(identifier.lower()) if pattern.search(texts[i])]
        if not found or (n_docs > 1 and len(found) == n_docs):
            continue
        weights.append(_idf(n_docs, len(found)))
        hits.append(found)
    coverage = [0.0] * n_docs
    total = sum(weights)
    for weight, found in zip(weights, hits, strict=True):
        for i in found:
            coverage[i] += weight / total
    return [min(1.0, c) for c in coverage]
