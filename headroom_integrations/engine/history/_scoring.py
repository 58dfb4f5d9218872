"""How much each history unit is worth keeping: five signals blended by :class:`ScoringWeights`.

* recency - recent units matter more; the value halves every four units, so
  beyond the last few exchanges the other signals decide;
* relevance - the relevance scorer's score against the query, relative to the best unit;
* error - errors and failures are what an agent most needs to remember;
* forward reference - later turns mention this unit's ids, names or numbers;
* density - lexical diversity: repetitive logs and boilerplate score low.

Every signal is in [0, 1] and the weights sum to 1, so a score is in [0, 1].
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence

from ..config import ScoringWeights
from ..relevance import RelevanceScorer, extract_identifiers
from ..relevance.tokens import text_parts
from ._units import Unit

__all__ = ["UnitSignals", "score_units"]

_ERROR = re.compile(
    r"\b(?:error|errors|exception|traceback|failed|failure|fatal|critical|panic|denied|refused|timed out|timeout"
    r"|not found|invalid|unauthori[sz]ed|forbidden|cannot|could not|segfault)\b|\bE\d{3,4}\b"
    r"|\bstatus(?:_code)?\W{1,3}[45]\d\d\b",
    re.IGNORECASE,
)
# Identifiers shorter than this are too generic to count as a reference.
_MIN_IDENTIFIER = 3
# An identifier mentioned in more than this share of units (a speaker's name) references nothing.
_UBIQUITOUS_SHARE = 0.2
# Enough distinct references for the full signal.
_FULL_REFERENCES = 2
# Below this many words, diversity says little; density ramps up to it.
_DENSITY_WORDS = 12
# Caps the text each signal reads, so one huge tool output cannot stall scoring.
_MAX_SIGNAL_CHARS = 50_000


class UnitSignals:
    """The five signals of every scored unit, by unit position."""

    __slots__ = ("density", "error", "forward_reference", "recency", "relevance")

    def __init__(self) -> None:
        self.recency: dict[int, float] = {}
        self.relevance: dict[int, float] = {}
        self.error: dict[int, float] = {}
        self.forward_reference: dict[int, float] = {}
        self.density: dict[int, float] = {}


def _recency(count: int, decay_rate: float) -> list[float]:
    """Oldest first; the newest is 1.0, each step back multiplies by ``exp(-decay_rate)``."""
    return [math.exp(-decay_rate * (count - 1 - i)) for i in range(count)]


@functools.lru_cache(maxsize=8192)
def _identifiers(text: str) -> frozenset[str]:
    """Lower-cased identifiers of ``text`` (cached: an agent re-sends the same history every hop)."""
    return frozenset(i.lower() for i in extract_identifiers(text) if len(i) >= _MIN_IDENTIFIER)


def _forward_references(texts: Sequence[str]) -> list[float]:
    """Share of each unit's identifiers that a later unit mentions again."""
    ids = [_identifiers(t[:_MAX_SIGNAL_CHARS]) for t in texts]
    spread = Counter(i for s in ids for i in s)
    limit = max(2, int(_UBIQUITOUS_SHARE * len(texts)))
    later: set[str] = set()
    scores = [0.0] * len(texts)
    for position in range(len(texts) - 1, -1, -1):
        own = {i for i in ids[position] if spread[i] <= limit}
        scores[position] = min(1.0, len(own & later) / _FULL_REFERENCES)
        later |= ids[position]
    return scores


def _density(text: str) -> float:
    words = text_parts(text[:_MAX_SIGNAL_CHARS])
    if not words:
        return 0.0
    return (len(set(words)) / len(words)) * min(1.0, len(words) / _DENSITY_WORDS)


def score_units(
    units: Sequence[Unit], query: str, weights: ScoringWeights, scorer: RelevanceScorer, decay_rate: float
) -> tuple[dict[int, float], UnitSignals]:
    """Score every non-system unit; returns scores by position and the signals behind them.

    ``weights`` must be normalised; the TOIN weight has no signal here (always 0).
    """
    scored = [u for u in units if not u.is_system]
    texts = [u.text for u in scored]
    signals = UnitSignals()
    if not scored:
        return {}, signals
    relevance = list(scorer.score_items([t[:_MAX_SIGNAL_CHARS] for t in texts], query)) if query.strip() else []
    best = max(relevance, default=0.0)
    references = _forward_references(texts)
    scores: dict[int, float] = {}
    for i, (unit, recency) in enumerate(zip(scored, _recency(len(scored), decay_rate), strict=True)):
        p = unit.position
        signals.recency[p] = recency
        signals.relevance[p] = relevance[i] / best if best > 0 else 0.0
        signals.error[p] = 1.0 if _ERROR.search(texts[i][:_MAX_SIGNAL_CHARS]) else 0.0
        signals.forward_reference[p] = references[i]
        signals.density[p] = _density(texts[i])
        scores[p] = (
            weights.recency * signals.recency[p]
            + weights.semantic_similarity * signals.relevance[p]
            + weights.error_indicator * signals.error[p]
            + weights.forward_reference * signals.forward_reference[p]
            + weights.token_density * signals.density[p]
        )
    return scores, signals
