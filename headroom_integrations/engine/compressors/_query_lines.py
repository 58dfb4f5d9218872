"""Which lines of a tool output the query points at.

Line compressors (logs, search results) keep the lines a user's question is
about even when the line is otherwise unremarkable: every line holding an
exact identifier from the query (an id, path, sha, quoted string), and the
few lines ranking highest for the query's words.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..relevance import BM25Scorer, RelevanceScorer, extract_identifiers
from .base import CompressionContext

__all__ = ["query_line_hits"]

# Lexical scoring of more lines than this costs more time than it is worth.
_MAX_SCORED_LINES = 20_000
# Keep at most this many lines for word relevance, scoring at least this share of the best one.
_TOP_LINES = 8
_RELATIVE_FLOOR = 0.6
_ABSOLUTE_FLOOR = 0.3
# An identifier matching more lines than this is not specific (e.g. a hostname on every line).
_MAX_IDENTIFIER_LINES = 50
_MIN_IDENTIFIER_CHARS = 3
# At most this many lines are kept for identifiers, the most specific identifiers first
# (a query that is itself a long log names hundreds of ids).
_MAX_IDENTIFIER_HITS = 40


def query_line_hits(
    lines: Sequence[str],
    ctx: CompressionContext,
    scorer: RelevanceScorer | None = None,
    candidates: Sequence[int] | None = None,
) -> set[int]:
    """Indices of ``lines`` to keep for ``ctx.query``.

    ``candidates`` limits word relevance to those indices (lines already kept
    for other reasons need no ranking); identifier matches are searched in all.
    """
    query = ctx.query or ""
    if not query.strip() or not lines:
        return set()
    hits = _identifier_hits(lines, query)
    pool = list(range(len(lines))) if candidates is None else [i for i in candidates if i not in hits]
    if not pool or len(pool) > _MAX_SCORED_LINES:
        return hits
    scorer = scorer if scorer is not None else BM25Scorer(ctx.config.relevance)
    scores = scorer.score_items([lines[i] for i in pool], query)
    best = max(scores, default=0.0)
    if best < _ABSOLUTE_FLOOR:
        return hits
    ranked = sorted(range(len(pool)), key=lambda k: (-scores[k], pool[k]))
    for k in ranked[:_TOP_LINES]:
        if scores[k] >= max(_ABSOLUTE_FLOOR, best * _RELATIVE_FLOOR):
            hits.add(pool[k])
    return hits


def _identifier_hits(lines: Sequence[str], query: str) -> set[int]:
    """Lines holding an exact query identifier, most specific identifiers first, within a budget."""
    lowered = [line.lower() for line in lines]
    found_by: list[list[int]] = []
    for identifier in extract_identifiers(query):
        needle = identifier.lower()
        if len(needle) < _MIN_IDENTIFIER_CHARS:
            continue
        found = [i for i, low in enumerate(lowered) if needle in low]
        if 0 < len(found) <= _MAX_IDENTIFIER_LINES:
            found_by.append(found)
    hits: set[int] = set()
    for found in sorted(found_by, key=len):  # stable: ties keep the query's order
        if len(hits | set(found)) > _MAX_IDENTIFIER_HITS:
            break
        hits.update(found)
    return hits
