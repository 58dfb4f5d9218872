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
    # content detection and compressors
    "ContentRouter": "compressors.router",
    "ContentType": "compressors.detect",
    "ContentDetection": "compressors.detect",
    "detect_content_type": "compressors.detect",
    "CompressionContext": "compressors.base",
    "CompressorOutput": "compressors.base",
    "LogCompressor": "compressors.logs",
    "SearchCompressor": "compressors.search",
    "CodeCompressor": "compressors.code",
    "DiffCompressor": "compressors.diff",
    "HtmlCompressor": "compressors.html",
    "TextCompressor": "compressors.text",
    "TabularCompressor": "compressors.tabular",
    "select_sentences": "compressors.text",
    # relevance
    "RelevanceScorer": "relevance",
    "BM25Scorer": "relevance",
    "EmbeddingScorer": "relevance",
    "HybridScorer": "relevance",
    "create_scorer": "relevance",
    "embedding_available": "relevance",
    "extract_identifiers": "relevance",
    # history under a token budget
    "CacheAligner": "history",
    "CachePrefixMetrics": "history",
    "AlignResult": "history",
    "RollingWindow": "history",
    "WindowResult": "history",
    "IntelligentContextManager": "history",
    "Transform": "history",
    "TransformPipeline": "history",
    "TransformResult": "history",
    "MessageChange": "history",
    "WasteSignals": "history",
    "detect_waste": "history",
    "select_documents": "history",
    "DocumentSelection": "history",
    "SelectedDocument": "history",
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
    from .engine.compressors.base import CompressionContext, CompressorOutput
    from .engine.compressors.code import CodeCompressor
    from .engine.compressors.detect import ContentDetection, ContentType, detect_content_type
    from .engine.compressors.diff import DiffCompressor
    from .engine.compressors.html import HtmlCompressor
    from .engine.compressors.logs import LogCompressor
    from .engine.compressors.router import ContentRouter
    from .engine.compressors.search import SearchCompressor
    from .engine.compressors.tabular import TabularCompressor
    from .engine.compressors.text import TextCompressor, select_sentences
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
    from .engine.history import (
        AlignResult,
        CacheAligner,
        CachePrefixMetrics,
        DocumentSelection,
        IntelligentContextManager,
        MessageChange,
        RollingWindow,
        SelectedDocument,
        Transform,
        TransformPipeline,
        TransformResult,
        WasteSignals,
        WindowResult,
        detect_waste,
        select_documents,
    )
    from .engine.metrics import GroupTotals, MetricsStore, MetricsSummary, RequestMetrics, summarize
    from .engine.relevance import (
        BM25Scorer,
        EmbeddingScorer,
        HybridScorer,
        RelevanceScorer,
        create_scorer,
        embedding_available,
        extract_identifiers,
    )
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
