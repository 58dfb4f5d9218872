"""headroom_integrations: compress LLM-agent context without losing what matters.

The public engine API lives here; framework integrations live in
``headroom_integrations.langchain`` and ``headroom_integrations.agno``.
Names are loaded on first use so ``import headroom_integrations`` stays fast
and never pulls in LangChain, Agno or torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> engine module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "HeadroomError": "errors",
    "ConfigurationError": "errors",
    "ProviderError": "errors",
    "StorageError": "errors",
    "CompressionError": "errors",
    "TokenizationError": "errors",
    "CacheError": "errors",
    "ValidationError": "errors",
    "TransformError": "errors",
    # configuration
    "HeadroomMode": "config",
    "HeadroomConfig": "config",
    "SmartCrusherConfig": "config",
    "ContentCompressionConfig": "config",
    "CacheAlignerConfig": "config",
    "RollingWindowConfig": "config",
    "IntelligentContextConfig": "config",
    "ScoringWeights": "config",
    "CCRConfig": "config",
    "RelevanceScorerConfig": "config",
    # token counting
    "Tokenizer": "tokenizer",
    "TokenCount": "tokenizer",
    "count_tokens_text": "tokenizer",
    "count_tokens_messages": "tokenizer",
    # compression entry points
    "compress": "compress",
    "CompressResult": "compress",
    "MessageReport": "compress",
    "simulate": "simulate",
    "SimulationResult": "simulate",
    # JSON
    "SmartCrusher": "smart_crusher",
    "CrushResult": "smart_crusher",
    "ArrayReport": "smart_crusher",
    # reversible compression
    "CompressionStore": "store",
    "StoredEntry": "store",
    "StoreStats": "store",
    "retrieve": "store",
    "get_default_store": "store",
    "set_default_store": "store",
    # metrics
    "MetricsStore": "metrics",
    "RequestMetrics": "metrics",
    "MetricsSummary": "metrics",
    "GroupTotals": "metrics",
    "summarize": "metrics",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'headroom_integrations' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"headroom_integrations.engine.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # let type checkers and IDEs see the real objects
    from .engine.compress import CompressResult, MessageReport, compress
    from .engine.config import (
        CacheAlignerConfig,
        CCRConfig,
        ContentCompressionConfig,
        HeadroomConfig,
        HeadroomMode,
        IntelligentContextConfig,
        RelevanceScorerConfig,
        RollingWindowConfig,
        ScoringWeights,
        SmartCrusherConfig,
    )
    from .engine.errors import (
        CacheError,
        CompressionError,
        ConfigurationError,
        HeadroomError,
        ProviderError,
        StorageError,
        TokenizationError,
        TransformError,
        ValidationError,
    )
    from .engine.metrics import GroupTotals, MetricsStore, MetricsSummary, RequestMetrics, summarize
    from .engine.simulate import SimulationResult, simulate
    from .engine.smart_crusher import ArrayReport, CrushResult, SmartCrusher
    from .engine.store import (
        CompressionStore,
        StoredEntry,
        StoreStats,
        get_default_store,
        retrieve,
        set_default_store,
    )
    from .engine.tokenizer import TokenCount, Tokenizer, count_tokens_messages, count_tokens_text
