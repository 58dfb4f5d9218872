"""The CompressionContext a history transform writes through (store, query, content settings)."""

from __future__ import annotations

from typing import Any

from ..compressors.base import CompressionContext
from ..config import HeadroomConfig
from ..tokens.tokenizer import get_tokenizer

__all__ = ["compression_context"]


def compression_context(
    query: str,
    model: str,
    *,
    store: Any = None,
    context: CompressionContext | None = None,
    config: HeadroomConfig | None = None,
) -> CompressionContext:
    """A fresh context for ``query``.

    A given ``context`` lends its store, config, tokenizer and ``retrieve_tool`` (its store may be
    None: simulate mode, which computes refs without writing). Otherwise
    ``store`` is used, or the process default store when it is None.
    """
    if context is not None:
        return CompressionContext(
            query=query,
            config=context.config,
            tokenizer=context.tokenizer,
            store=context.store,
            retrieve_tool=context.retrieve_tool,
        )
    if store is None:
        from ..ccr.store import get_default_store

        store = get_default_store()
    return CompressionContext(
        query=query, config=config or HeadroomConfig(), tokenizer=get_tokenizer(model), store=store
    )
