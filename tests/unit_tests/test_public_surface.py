"""The public surface is explicit and pinned: each public package has a literal ``__all__``.

A name added to or removed from a package's ``__all__`` fails this test until
the list below changes with it, so the public API only ever changes on purpose
(as LangChain partner packages and httpx pin theirs).
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

PUBLIC_API: dict[str, list[str]] = {
    "headroom_integrations": [
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
    ],
    "headroom_integrations.engine": [
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
    ],
    "headroom_integrations.engine.ccr": [
        "REF_LENGTH",
        "RETRIEVE_TOOL_NAME",
        "CompressionStore",
        "StoreStats",
        "StoredEntry",
        "content_ref",
        "get_default_store",
        "has_headroom_marker",
        "omission_marker",
        "retrieve",
        "set_default_store",
    ],
    "headroom_integrations.engine.tokens": [
        "TokenCount",
        "Tokenizer",
        "count_tokens_messages",
        "count_tokens_text",
        "get_tokenizer",
    ],
    "headroom_integrations.engine.compressors.json": [
        "ArrayReport",
        "CrushResult",
        "SmartCrusher",
    ],
    "headroom_integrations.engine.documents": [
        "DocumentSelection",
        "SelectedDocument",
        "near_duplicates",
        "select_documents",
    ],
    "headroom_integrations.engine.history": [
        "AlignResult",
        "CacheAligner",
        "CachePrefixMetrics",
        "IntelligentContextManager",
        "MessageChange",
        "RollingWindow",
        "Transform",
        "TransformPipeline",
        "TransformResult",
        "WasteSignals",
        "WindowResult",
        "detect_waste",
        "dynamic_spans",
        "message_diff",
    ],
    "headroom_integrations.engine.relevance": [
        "BM25Scorer",
        "EmbeddingScorer",
        "HybridScorer",
        "RelevanceScorer",
        "create_scorer",
        "embedding_available",
        "extract_identifiers",
    ],
    "headroom_integrations.langchain": [
        "CompressedMessages",
        "HeadroomChatMessageHistory",
        "HeadroomChatModel",
        "HeadroomDocumentCompressor",
        "HeadroomMiddleware",
        "HeadroomRetriever",
        "HeadroomStreamingCallbackHandler",
        "HeadroomToolWrapper",
        "SavingsTracker",
        "compress_messages",
        "create_compression_node",
        "create_pre_model_hook",
        "create_retrieve_tool",
        "from_engine_messages",
        "to_engine_messages",
        "wrap_tools",
    ],
    "headroom_integrations.agno": [
        "CompressedAgnoMessages",
        "HeadroomAgnoModel",
        "HeadroomCompressionManager",
        "HeadroomPostHook",
        "HeadroomRetrieveTools",
        "HeadroomToolHook",
        "compress_agno_messages",
        "headroom_retrieve",
        "headroom_tool_hook",
    ],
    "headroom_integrations.reports": [
        "FORMATS",
        "KIND_LABELS",
        "PERIODS",
        "Bucket",
        "LatencyBin",
        "ReportData",
        "Table",
        "generate_report",
        "load_report_data",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC_API))
def test_all_is_a_literal_list_of_names(package: str) -> None:
    module = importlib.import_module(package)
    tree = ast.parse(inspect.getsource(module))
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and any(
            isinstance(t, ast.Name) and t.id == "__all__"
            for t in getattr(node, "targets", [getattr(node, "target", None)])
        )
    ]
    assert len(assigned) == 1 and isinstance(assigned[0], ast.List)
    assert all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in assigned[0].elts)


@pytest.mark.parametrize("package", sorted(PUBLIC_API))
def test_all_is_pinned_and_every_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert list(module.__all__) == PUBLIC_API[package]
    for name in module.__all__:
        assert getattr(module, name) is not None or name == "__version__"


def test_examples_and_notebooks_import_only_public_paths() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    public = set(PUBLIC_API)
    for path in [*root.glob("examples/*.py"), *root.glob("notebooks/*.ipynb")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.replace('"', " ").replace("\\n", " ").split()
            if len(words) >= 2 and words[0] in ("from", "import") and words[1].startswith("headroom_integrations"):
                assert words[1] in public, f"{path.name} imports a non-public path: {words[1]}"


def test_functions_named_like_their_module_are_the_functions() -> None:
    import headroom_integrations as h
    import headroom_integrations.engine.compress  # noqa: F401  (the submodule, imported first)
    import headroom_integrations.engine.simulate  # noqa: F401
    from headroom_integrations import engine

    assert callable(engine.compress) and callable(engine.simulate)
    assert h.compress is engine.compress and h.simulate is engine.simulate
