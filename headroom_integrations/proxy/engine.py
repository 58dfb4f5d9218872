"""The proxy's handle on the engine: one store, one metrics store, one config, every call through ``compress()``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.ccr.store import CompressionStore, retrieve
from ..engine.compress import CompressResult, compress
from ..engine.config import HeadroomConfig
from ..engine.metrics import MetricsStore
from .prometheus import ProxyMetrics
from .settings import ProxySettings

__all__ = ["ProxyEngine"]

logger = logging.getLogger(__name__)


class ProxyEngine:
    """Compresses for every route and keeps the counters; safe to call from many threads at once."""

    def __init__(self, settings: ProxySettings) -> None:
        self.config = settings.config or HeadroomConfig()
        self.store = CompressionStore(self.config.ccr, url=settings.store_url)
        self.metrics_store = MetricsStore(settings.metrics_url or settings.store_url)
        self.counters = ProxyMetrics()

    def retrieve(self, ref: str, query: str | None) -> str:
        """The content behind ``ref``; recorded as retrieval feedback unless ``ccr.feedback_enabled`` is off."""
        sink = self.metrics_store if self.config.ccr.feedback_enabled else None
        return retrieve(ref, query, store=self.store, metrics_store=sink)

    def compress(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str,
        *,
        route: str,
        query: str | None = None,
        token_budget: int | None = None,
        mode: str | None = None,
        config: HeadroomConfig | None = None,
        retrieve_tool: bool = True,
    ) -> CompressResult:
        """``compress()`` with the proxy's stores; counted under ``route``. Raises only for a bad request.

        ``retrieve_tool``: the model can call ``headroom_retrieve`` (markers name it only then).
        """
        result = compress(
            messages,
            model,
            query=query,
            token_budget=token_budget,
            config=config or self.config,
            mode=mode,
            store=self.store,
            metrics_store=self.metrics_store,
            integration=f"proxy:{route}",
            retrieve_tool=retrieve_tool,
        )
        for warning in result.warnings:
            logger.info("proxy %s: %s", route, warning)
        self.counters.observe_compression(route, result.tokens_before, result.tokens_after, result.compression_ms)
        return result

    def close(self) -> None:
        self.store.close()
        self.metrics_store.close()
