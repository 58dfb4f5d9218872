"""Tokenisation for lexical scoring of prose, code, logs and JSON.

Two views of the same text: *parts* split compound tokens the way code is
written (``getUserName`` -> get, user, name; ``ORD_123`` -> ord, 123), and
*wholes* keep a compound token intact (``ord_123``, ``user@example.com``) so
a query naming it exactly can be matched exactly. Both views are built with
C-speed regex calls; no per-character Python loop.
"""

from __future__ import annotations

import re

__all__ = ["QueryTerms", "query_terms", "text_parts"]

# Camel/Pascal humps, acronyms, digit runs, and letter runs of any script.
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[^\W\d_A-Z]+|[A-Z]+|\d+")
# Alphanumeric runs joined by the separators identifiers use.
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


class QueryTerms:
    """The distinct terms of a query, each tagged with the token view it is counted in."""

    __slots__ = ("parts", "wholes")

    def __init__(self, parts: tuple[str, ...], wholes: tuple[str, ...]) -> None:
        self.parts = parts
        self.wholes = wholes

    def __bool__(self) -> bool:
        return bool(self.parts or self.wholes)


def query_terms(query: str) -> QueryTerms:
    """Distinct query terms in first-seen order: content parts plus compound wholes."""
    parts = [p for p in dict.fromkeys(text_parts(query)) if p not in _STOPWORDS]
    wholes = [
        whole.lower()
        for whole in dict.fromkeys(_WHOLE.findall(query))
        if text_parts(whole) != [whole.lower()]
    ]
    return QueryTerms(tuple(parts), tuple(dict.fromkeys(wholes)))
