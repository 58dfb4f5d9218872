"""Pick a relevance scorer by name, or the best one this installation can run."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ..config import SCORER_TYPES
from ..errors import ConfigurationError
from .base import RelevanceScorer, scorer_config
from .bm25 import BM25Scorer
from .embedding import EmbeddingScorer, embedding_available
from .hybrid import HybridScorer

__all__ = ["create_scorer"]

logger = logging.getLogger(__name__)

_SCORERS: dict[str, type] = {"bm25": BM25Scorer, "embedding": EmbeddingScorer, "hybrid": HybridScorer}


def create_scorer(scorer_type: str | None = None, **kwargs: Any) -> RelevanceScorer:
    """A scorer of ``scorer_type``: ``"bm25"``, ``"embedding"``, ``"hybrid"`` or ``"auto"``.

    ``None`` means ``config.scorer_type`` when a ``config`` is given, else
    ``"auto"``. ``"auto"`` is hybrid when the embedding model can run here
    and BM25 otherwise (options only the embedding scorers take are then
    dropped). The result's ``name`` says which scorer was built. Other
    keyword arguments go to the scorer's constructor; an unknown type, an
    unknown option or an explicitly requested scorer that cannot run raises
    :class:`ConfigurationError`.
    """
    config = scorer_config(kwargs.get("config"))
    if scorer_type is None:
        scorer_type = config.scorer_type if kwargs.get("config") is not None else "auto"
    if scorer_type not in SCORER_TYPES:
        raise ConfigurationError(
            f"unknown scorer type {scorer_type!r}",
            {"field": "scorer_type", "value": scorer_type, "allowed": list(SCORER_TYPES)},
        )
    if scorer_type == "auto":
        model = kwargs.pop("model", None) or config.embedding_model
        if embedding_available(model):
            scorer_type = "hybrid"
            kwargs["config"] = replace(config, embedding_model=model)
        else:
            logger.info("relevance: embedding model unavailable, using BM25")
            scorer_type = "bm25"
            kwargs = {"config": config}
    try:
        scorer: RelevanceScorer = _SCORERS[scorer_type](**kwargs)
        return scorer
    except TypeError as exc:
        raise ConfigurationError(
            f"invalid option for the {scorer_type} scorer: {exc}",
            {"field": "create_scorer", "value": sorted(kwargs), "allowed": scorer_type},
        ) from None
