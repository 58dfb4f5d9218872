"""The framework-free compression engine.

Nothing in this subpackage imports LangChain, Agno or torch at import time;
integrations import the engine, never the reverse. Its public names (the same
objects :mod:`headroom_integrations` re-exports) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> module of the engine that defines it
_EXPORTS: dict[str, str] = {
    "HeadroomError": "errors",
    "ConfigurationError": "errors",
    "ProviderError": "errors",
    "StorageError": "errors",
    "CompressionError": "errors",
    "TokenizationError": "errors",
    "CacheError": "errors",
    "ValidationError": "errors",
    "TransformError": "errors",
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
    "Tokenizer": "tokens",
    "TokenCount": "tokens",
    "count_tokens_text": "tokens",
    "count_tokens_messages": "tokens",
    "compress": "compress",
    "CompressResult": "compress",
    "MessageReport": "savings",
    "simulate": "simulate",
    "SimulationResult": "simulate",
    "SmartCrusher": "compressors.json",
    "CrushResult": "compressors.json",
    "ArrayReport": "compressors.json",
    "CompressionStore": "ccr",
    "StoredEntry": "ccr",
    "StoreStats": "ccr",
    "retrieve": "ccr",
    "get_default_store": "ccr",
    "set_default_store": "ccr",
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
    "RelevanceScorer": "relevance",
    "BM25Scorer": "relevance",
    "EmbeddingScorer": "relevance",
    "HybridScorer": "relevance",
    "create_scorer": "relevance",
    "embedding_available": "relevance",
    "extract_identifiers": "relevance",
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
    "select_documents": "documents",
    "DocumentSelection": "documents",
    "SelectedDocument": "documents",
    "MetricsStore": "metrics",
    "RequestMetrics": "metrics",
    "MetricsSummary": "metrics",
    "GroupTotals": "metrics",
    "summarize": "metrics",
    "Savings": "savings",
    "PartSavings": "savings",
    "QueryScope": "compress",
    "Store": "protocols",
    "MetricsSink": "protocols",
    "TokenCounter": "protocols",
    "ConfigLike": "protocols",
    "ModeLike": "protocols",
    "OptionArgs": "options",
    "DEFAULT_MODEL": "models",
    "PRICES_AS_OF": "models",
    "resolve_model": "models",
}

__all__ = [
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

# Two functions share their module's name; bound now, so importing the module can never shadow them.
from .compress import compress  # noqa: E402
from .simulate import simulate  # noqa: E402

if TYPE_CHECKING:  # let type checkers and IDEs see the real objects
    from .ccr.store import (
        CompressionStore,
        StoredEntry,
        StoreStats,
        get_default_store,
        retrieve,
        set_default_store,
    )
    from .compress import CompressResult, QueryScope, compress
    from .compressors.base import CompressionContext, CompressorOutput
    from .compressors.code import CodeCompressor
    from .compressors.detect import ContentDetection, ContentType, detect_content_type
    from .compressors.diff import DiffCompressor
    from .compressors.html import HtmlCompressor
    from .compressors.json.smart_crusher import ArrayReport, CrushResult, SmartCrusher
    from .compressors.logs import LogCompressor
    from .compressors.router import ContentRouter
    from .compressors.search import SearchCompressor
    from .compressors.tabular import TabularCompressor
    from .compressors.text import TextCompressor, select_sentences
    from .config import (
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
    from .documents import DocumentSelection, SelectedDocument, select_documents
    from .errors import (
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
    from .history import (
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
    from .metrics import GroupTotals, MetricsStore, MetricsSummary, RequestMetrics, summarize
    from .models import DEFAULT_MODEL, PRICES_AS_OF, resolve_model
    from .options import OptionArgs
    from .protocols import ConfigLike, MetricsSink, ModeLike, Store, TokenCounter
    from .relevance import (
        BM25Scorer,
        EmbeddingScorer,
        HybridScorer,
        RelevanceScorer,
        create_scorer,
        embedding_available,
        extract_identifiers,
    )
    from .savings import MessageReport, PartSavings, Savings
    from .simulate import SimulationResult, simulate
    from .tokens.tokenizer import TokenCount, Tokenizer, count_tokens_messages, count_tokens_text
