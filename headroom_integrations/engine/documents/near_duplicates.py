"""Near-duplicate documents: the same passage retrieved twice (other source, other whitespace, small edits).

Two documents are near duplicates when the Jaccard similarity of their word
3-gram sets reaches a threshold. The comparison is symmetric on purpose: a
short chunk that is merely *contained* in a longer one still says less than
it, and a longer document that contains a short one says more, so neither is
a duplicate of the other unless they are nearly the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["near_duplicates"]

_WORD = re.compile(r"\w+")
_SHINGLE = 3


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < _SHINGLE:
        return frozenset([tuple(words)])
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def _jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def near_duplicates(texts: Sequence[str], order: Sequence[int], threshold: float) -> set[int]:
    """Indices (into ``texts``) that nearly repeat a text coming earlier in ``order``.

    ``order`` is the preference order (most relevant first): of a group of
    near duplicates the first is kept and the others are returned.
    """
    shingles = {i: _shingles(texts[i]) for i in order}
    kept: list[int] = []
    repeats: set[int] = set()
    for index in order:
        mine = shingles[index]
        if any(_size_allows(mine, shingles[k], threshold) and _jaccard(mine, shingles[k]) >= threshold for k in kept):
            repeats.add(index)
        else:
            kept.append(index)
    return repeats


def _size_allows(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]], threshold: float) -> bool:
    """Cheap bound: Jaccard can reach ``threshold`` only if the sizes are close enough."""
    small, large = sorted((len(a), len(b)))
    return large == 0 or small / large >= threshold
