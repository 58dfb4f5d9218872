"""The relevance-scorer contract and the input hygiene every scorer shares."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from .._text import as_text
from ..config import RelevanceScorerConfig
from ..errors import ConfigurationError

__all__ = ["RelevanceScorer", "coerce_items", "coerce_query", "scorer_config", "squash"]

logger = logging.getLogger(__name__)

# A raw score of 1.0 (every query term present once, in an average-length
# item) maps to 0.9; the curve keeps order and never reaches 1.0 early.
_SPREAD = math.log(10.0)


@runtime_checkable
class RelevanceScorer(Protocol):
    """Scores how relevant each item is to a query.

    ``score_items`` returns one score per item, in item order, each in
    [0, 1]; the same items and query always give the same floats. An empty
    (or whitespace-only) query scores every item 0.0: there is nothing to be
    relevant to. Items are scored *as a set* (lexical scorers compute term
    rarity over them), so an item's score may change with its neighbours.
    ``name`` says which scorer it is (``"bm25"``, ``"embedding"``, ``"hybrid"``).
    """

    name: str

    def score_items(self, items: Sequence[str], query: str) -> list[float]:
        """One score in [0, 1] per item, in order."""
        ...


def scorer_config(config: object) -> RelevanceScorerConfig:
    """``config`` itself, or the defaults for None; anything else is a ConfigurationError."""
    if config is None:
        return RelevanceScorerConfig()
    if not isinstance(config, RelevanceScorerConfig):
        raise ConfigurationError(
            "a relevance scorer's config must be a RelevanceScorerConfig",
            {"field": "config", "value": type(config).__name__, "allowed": "RelevanceScorerConfig"},
        )
    return config


def coerce_items(items: Sequence[str], scorer: str) -> list[str]:
    """Items as strings; a non-string item is converted (and logged), never an error."""
    try:
        texts = list(items)
    except TypeError:
        logger.warning("%s: items are not a sequence (%s); scoring nothing", scorer, type(items).__name__)
        return []
    if not all(isinstance(t, str) for t in texts):
        logger.info("%s: converted non-string items to text before scoring", scorer)
        texts = [as_text(t) for t in texts]
    return texts


def coerce_query(query: str, scorer: str) -> str:
    """The query as a string ('' for None); other types are converted and logged."""
    if isinstance(query, str):
        return query
    if query is not None:
        logger.info("%s: converted a %s query to text", scorer, type(query).__name__)
    return as_text(query)


def squash(raw: float) -> float:
    """Map a non-negative raw relevance (1.0 = full match) into [0, 1), keeping order."""
    return 1.0 - math.exp(-_SPREAD * raw) if raw > 0 else 0.0
