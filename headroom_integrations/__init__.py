"""headroom_integrations: compress LLM-agent context without losing what matters.

The public engine API lives here; framework integrations live in
``headroom_integrations.langchain`` and ``headroom_integrations.agno``.
Names are loaded on first use so ``import headroom_integrations`` stays fast
and never pulls in LangChain, Agno or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "HeadroomError": "engine.errors",
    "ConfigurationError": "engine.errors",
    "ProviderError": "engine.errors",
    "StorageError": "engine.errors",
    "CompressionError": "engine.errors",
    "TokenizationError": "engine.errors",
    "CacheError": "engine.errors",
    "ValidationError": "engine.errors",
    "TransformError": "engine.errors",
    # configuration
    "HeadroomMode": "engine.config",
    "HeadroomConfig": "engine.config",
    "SmartCrusherConfig": "engine.config",
    "ContentCompressionConfig": "engine.config",
    "CacheAlignerConfig": "engine.config",
    "RollingWindowConfig": "engine.config",
    "IntelligentContextConfig": "engine.config",
    "ScoringWeights": "engine.config",
    "CCRConfig": "engine.config",
    "RelevanceScorerConfig": "engine.config",
    # token counting
    "Tokenizer": "engine.tokens",
    "TokenCount": "engine.tokens",
    "count_tokens_text": "engine.tokens",
    "count_tokens_messages": "engine.tokens",
    # compression entry points
    "compress": "engine.compress",
    "CompressResult": "engine.compress",
    "MessageReport": "engine.compress",
    "simulate": "engine.simulate",
    "SimulationResult": "engine.simulate",
    # JSON
    "SmartCrusher": "engine.compressors.json",
    "CrushResult": "engine.compressors.json",
    "ArrayReport": "engine.compressors.json",
    # reversible compression
    "CompressionStore": "engine.ccr",
    "StoredEntry": "engine.ccr",
    "StoreStats": "engine.ccr",
    "retrieve": "engine.ccr",
    "get_default_store": "engine.ccr",
    "set_default_store": "engine.ccr",
    # content detection and compressors
    "ContentRouter": "engine.compressors.router",
    "ContentType": "engine.compressors.detect",
    "ContentDetection": "engine.compressors.detect",
    "detect_content_type": "engine.compressors.detect",
    "CompressionContext": "engine.compressors.base",
    "CompressorOutput": "engine.compressors.base",
    "LogCompressor": "engine.compressors.logs",
    "SearchCompressor": "engine.compressors.search",
    "CodeCompressor": "engine.compressors.code",
    "DiffCompressor": "engine.compressors.diff",
    "HtmlCompressor": "engine.compressors.html",
    "TextCompressor": "engine.compressors.text",
    "TabularCompressor": "engine.compressors.tabular",
    "select_sentences": "engine.compressors.text",
    # relevance
    "RelevanceScorer": "engine.relevance",
    "BM25Scorer": "engine.relevance",
    "EmbeddingScorer": "engine.relevance",
    "HybridScorer": "engine.relevance",
    "create_scorer": "engine.relevance",
    "embedding_available": "engine.relevance",
    "extract_identifiers": "engine.relevance",
    # history under a token budget
    "CacheAligner": "engine.history",
    "CachePrefixMetrics": "engine.history",
    "AlignResult": "engine.history",
    "RollingWindow": "engine.history",
    "WindowResult": "engine.history",
    "IntelligentContextManager": "engine.history",
    "Transform": "engine.history",
    "TransformPipeline": "engine.history",
    "TransformResult": "engine.history",
    "MessageChange": "engine.history",
    "WasteSignals": "engine.history",
    "detect_waste": "engine.history",
    "select_documents": "engine.documents",
    "DocumentSelection": "engine.documents",
    "SelectedDocument": "engine.documents",
    # metrics
    "MetricsStore": "engine.metrics",
    "RequestMetrics": "engine.metrics",
    "MetricsSummary": "engine.metrics",
    "GroupTotals": "engine.metrics",
    "summarize": "engine.metrics",
    # savings reports
    "generate_report": "reports",
    # SDK clients and providers
    "HeadroomClient": "client",
    "ToolProfile": "engine.tool_profiles",
    "Provider": "providers",
    "OpenAIProvider": "providers",
    "AnthropicProvider": "providers",
    "GoogleProvider": "providers",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


if TYPE_CHECKING:  # let type checkers and IDEs see the real objects
    from .client import HeadroomClient
    from .engine.ccr.store import (
        CompressionStore,
        StoredEntry,
        StoreStats,
        get_default_store,
        retrieve,
        set_default_store,
    )
    from .engine.compress import CompressResult, MessageReport, compress
    from .engine.compressors.base import CompressionContext, CompressorOutput
    from .engine.compressors.code import CodeCompressor
    from .engine.compressors.detect import ContentDetection, ContentType, detect_content_type
    from .engine.compressors.diff import DiffCompressor
    from .engine.compressors.html import HtmlCompressor
    from .engine.compressors.json.smart_crusher import ArrayReport, CrushResult, SmartCrusher
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
    from .engine.documents import DocumentSelection, SelectedDocument, select_documents
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
        IntelligentContextManager,
        MessageChange,
        RollingWindow,
        Transform,
        TransformPipeline,
        TransformResult,
        WasteSignals,
        WindowResult,
        detect_waste,
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
    from .engine.tokens.tokenizer import TokenCount, Tokenizer, count_tokens_messages, count_tokens_text
    from .engine.tool_profiles import ToolProfile
    from .providers import AnthropicProvider, GoogleProvider, OpenAIProvider, Provider
    from .reports import generate_report
