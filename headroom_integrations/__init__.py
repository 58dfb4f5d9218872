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

__all__ = [
    "__version__",
    "AlignResult",
    "AnthropicProvider",
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
    "GoogleProvider",
    "GroupTotals",
    "HeadroomClient",
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
    "OpenAIProvider",
    "OptionArgs",
    "PRICES_AS_OF",
    "PartSavings",
    "Provider",
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
    "ToolProfile",
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

# The names that come from elsewhere; every other public name is the engine's own (its ``__all__``).
_ELSEWHERE: dict[str, str] = {
    "generate_report": "reports",
    "HeadroomClient": "client",
    "ToolProfile": "engine.tool_profiles",
    "Provider": "providers",
    "OpenAIProvider": "providers",
    "AnthropicProvider": "providers",
    "GoogleProvider": "providers",
}
# public name -> subpackage that exports it
_EXPORTS: dict[str, str] = {name: _ELSEWHERE.get(name, "engine") for name in __all__ if name != "__version__"}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


if TYPE_CHECKING:  # let type checkers and IDEs see the real objects
    from .client import HeadroomClient
    from .engine import *  # noqa: F403  (the engine's own public names)
    from .engine.tool_profiles import ToolProfile
    from .providers import AnthropicProvider, GoogleProvider, OpenAIProvider, Provider
    from .reports import generate_report
