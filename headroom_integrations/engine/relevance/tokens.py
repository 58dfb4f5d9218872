"""Tokenisation for lexical scoring of prose, code, logs and JSON.

Items are cut into *parts*, splitting compound tokens the way code is
written (``getUserName`` -> get, user, name; ``ORD_123`` -> ord, 123), with
C-speed regex calls and no per-character Python loop. A query also keeps its
compound tokens *whole* (``ord_123``, ``user@example.com``): those are
searched for in items verbatim, so naming one exactly matches it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["QueryTerms", "query_terms", "text_parts"]

# Camel/Pascal humps, acronyms, digit runs, and letter runs of any script.
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[^\W\d_A-Z]+|[A-Z]+|\d+")
# Alphanumeric runs joined by the separators identifiers use (abc-123, a.b@c.io, x/y.py).
_WHOLE = re.compile(r"[^\W_](?:[\w.@/:+-]*[^\W_])?")

# Query words too common to say anything about relevance (questions are full
# of them); items keep them so their lengths stay true.
_STOPWORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being "
    "below between both but by can could did do does doing down during each few for from further "
    "had has have having he her here hers herself him himself his how i if in into is it its itself "
    "just me more most my myself no nor not now of off on once only or other our ours ourselves out "
    "over own same she should so some such than that the their theirs them themselves then there "
    "these they this those through to too under until up very was we were what when where which "
    "while who whom why will with would you your yours yourself yourselves".split()
)


def text_parts(text: str) -> list[str]:
    """Lower-cased fine tokens of ``text`` (compound tokens split into their parts)."""
    return " ".join(_PART.findall(text)).lower().split()


@dataclass(frozen=True)
class QueryTerms:
    """A query's distinct content parts and its compound tokens kept whole (lower-cased)."""

    parts: tuple[str, ...]
    wholes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.parts or self.wholes)


@lru_cache(maxsize=64)  # agents ask the same question of every tool output
def query_terms(query: str) -> QueryTerms:
    """Distinct query terms in first-seen order: content parts plus compound wholes."""
    parts = [p for p in dict.fromkeys(text_parts(query)) if p not in _STOPWORDS]
    wholes = [whole.lower() for whole in dict.fromkeys(_WHOLE.findall(query)) if text_parts(whole) != [whole.lower()]]
    return QueryTerms(tuple(parts), tuple(dict.fromkeys(wholes)))
