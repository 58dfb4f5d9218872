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

# public name -> subpackage that exports it (the engine's names are its own public names)
_EXPORTS: dict[str, str] = {
    "HeadroomError": "engine",
    "ConfigurationError": "engine",
    "ProviderError": "engine",
    "StorageError": "engine",
    "CompressionError": "engine",
    "TokenizationError": "engine",
    "CacheError": "engine",
    "ValidationError": "engine",
    "TransformError": "engine",
    "HeadroomMode": "engine",
    "HeadroomConfig": "engine",
    "SmartCrusherConfig": "engine",
    "ContentCompressionConfig": "engine",
    "CacheAlignerConfig": "engine",
    "RollingWindowConfig": "engine",
    "IntelligentContextConfig": "engine",
    "ScoringWeights": "engine",
    "CCRConfig": "engine",
    "RelevanceScorerConfig": "engine",
    "Tokenizer": "engine",
    "TokenCount": "engine",
    "count_tokens_text": "engine",
    "count_tokens_messages": "engine",
    "compress": "engine",
    "CompressResult": "engine",
    "MessageReport": "engine",
    "simulate": "engine",
    "SimulationResult": "engine",
    "SmartCrusher": "engine",
    "CrushResult": "engine",
    "ArrayReport": "engine",
    "CompressionStore": "engine",
    "StoredEntry": "engine",
    "StoreStats": "engine",
    "retrieve": "engine",
    "get_default_store": "engine",
    "set_default_store": "engine",
    "ContentRouter": "engine",
    "ContentType": "engine",
    "ContentDetection": "engine",
    "detect_content_type": "engine",
    "CompressionContext": "engine",
    "CompressorOutput": "engine",
    "LogCompressor": "engine",
    "SearchCompressor": "engine",
    "CodeCompressor": "engine",
    "DiffCompressor": "engine",
    "HtmlCompressor": "engine",
    "TextCompressor": "engine",
    "TabularCompressor": "engine",
    "select_sentences": "engine",
    "RelevanceScorer": "engine",
    "BM25Scorer": "engine",
    "EmbeddingScorer": "engine",
    "HybridScorer": "engine",
    "create_scorer": "engine",
    "embedding_available": "engine",
    "extract_identifiers": "engine",
    "CacheAligner": "engine",
    "CachePrefixMetrics": "engine",
    "AlignResult": "engine",
    "RollingWindow": "engine",
    "WindowResult": "engine",
    "IntelligentContextManager": "engine",
    "Transform": "engine",
    "TransformPipeline": "engine",
    "TransformResult": "engine",
    "MessageChange": "engine",
    "WasteSignals": "engine",
    "detect_waste": "engine",
    "select_documents": "engine",
    "DocumentSelection": "engine",
    "SelectedDocument": "engine",
    "MetricsStore": "engine",
    "RequestMetrics": "engine",
    "MetricsSummary": "engine",
    "GroupTotals": "engine",
    "summarize": "engine",
    "Savings": "engine",
    "PartSavings": "engine",
    "QueryScope": "engine",
    "Store": "engine",
    "MetricsSink": "engine",
    "TokenCounter": "engine",
    "ConfigLike": "engine",
    "ModeLike": "engine",
    "OptionArgs": "engine",
    "DEFAULT_MODEL": "engine",
    "PRICES_AS_OF": "engine",
    "resolve_model": "engine",
    "generate_report": "reports",
    # SDK clients and providers
    "HeadroomClient": "client",
    "ToolProfile": "engine.tool_profiles",
    "Provider": "providers",
    "OpenAIProvider": "providers",
    "AnthropicProvider": "providers",
    "GoogleProvider": "providers",
}

__all__ = [
    "__version__",
    "AlignResult",
    "ArrayReport",
    "BM25Scorer",
    "CCRConfig",
    "CacheAligner",
    "CacheAlignerConfig",
    "CacheError",
    "CachePrefixMetrics",
    "CodeCompressor",
    "CompressResult",
    "CompressionContext",
    "CompressionError",
    "CompressionStore",
    "CompressorOutput",
    "ConfigLike",
    "ConfigurationError",
    "ContentCompressionConfig",
    "ContentDetection",
    "ContentRouter",
    "ContentType",
    "CrushResult",
    "DEFAULT_MODEL",
    "DiffCompressor",
    "DocumentSelection",
    "EmbeddingScorer",
    "GroupTotals",
    "HeadroomConfig",
    "HeadroomError",
    "HeadroomMode",
    "HtmlCompressor",
    "HybridScorer",
    "IntelligentContextConfig",
    "IntelligentContextManager",
    "LogCompressor",
    "MessageChange",
    "MessageReport",
    "MetricsSink",
    "MetricsStore",
    "MetricsSummary",
    "ModeLike",
    "OptionArgs",
    "PRICES_AS_OF",
    "PartSavings",
    "ProviderError",
    "QueryScope",
    "RelevanceScorer",
    "RelevanceScorerConfig",
    "RequestMetrics",
    "RollingWindow",
    "RollingWindowConfig",
    "Savings",
    "ScoringWeights",
    "SearchCompressor",
    "SelectedDocument",
    "SimulationResult",
    "SmartCrusher",
    "SmartCrusherConfig",
    "StorageError",
    "Store",
    "StoreStats",
    "StoredEntry",
    "TabularCompressor",
    "TextCompressor",
    "TokenCount",
    "TokenCounter",
    "TokenizationError",
    "Tokenizer",
    "Transform",
    "TransformError",
    "TransformPipeline",
    "TransformResult",
    "ValidationError",
    "WasteSignals",
    "WindowResult",
    "compress",
    "count_tokens_messages",
    "count_tokens_text",
    "create_scorer",
    "detect_content_type",
    "detect_waste",
    "embedding_available",
    "extract_identifiers",
    "generate_report",
    "get_default_store",
    "resolve_model",
    "retrieve",
    "select_documents",
    "select_sentences",
    "set_default_store",
    "simulate",
    "summarize",
]


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
    from .engine.compress import CompressResult, QueryScope, compress
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
    from .engine.models import DEFAULT_MODEL, PRICES_AS_OF, resolve_model
    from .engine.options import OptionArgs
    from .engine.protocols import ConfigLike, MetricsSink, ModeLike, Store, TokenCounter
    from .engine.relevance import (
        BM25Scorer,
        EmbeddingScorer,
        HybridScorer,
        RelevanceScorer,
        create_scorer,
        embedding_available,
        extract_identifiers,
    )
    from .engine.savings import MessageReport, PartSavings, Savings
    from .engine.simulate import SimulationResult, simulate
    from .engine.tokens.tokenizer import TokenCount, Tokenizer, count_tokens_messages, count_tokens_text
    from .engine.tool_profiles import ToolProfile
    from .providers import AnthropicProvider, GoogleProvider, OpenAIProvider, Provider
    from .reports import generate_report
