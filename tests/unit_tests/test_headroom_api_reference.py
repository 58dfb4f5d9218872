"""Every Python example of Headroom's API reference for configs, results, errors, transforms and utilities.

Each test is the documented example with only ``from headroom... import X``
changed to ``from headroom_integrations import X`` (HeadroomClient and the
providers are covered with the SDK-client tests). Placeholders of the docs
(``messages=[...]``, ``items``, ``query``) are filled with real data, and each
example is followed by assertions on what it promises.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ITEMS = [{"id": i, "title": f"order {i}", "status": "shipped"} for i in range(60)]
ITEMS[37] = {"id": 37, "title": "order 37", "status": "failed", "error": "card declined"}

messages: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a support agent for Acme. Current date: 2025-06-02."},
    {"role": "user", "content": "Why did order 37 fail?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "list_orders", "arguments": "{}"}}],
    },
    {"role": "tool", "tool_call_id": "c1", "content": json.dumps(ITEMS)},
]


# --- Configuration ----------------------------------------------------------------------


def test_smart_crusher_config_examples() -> None:
    from headroom_integrations import SmartCrusherConfig

    config = SmartCrusherConfig(
        min_tokens_to_crush=200,
        max_items_after_crush=50,
        keep_first=3,
        keep_last=2,
        relevance_threshold=0.3,
        anomaly_std_threshold=2.0,
        preserve_errors=True,
    )
    assert config.max_items_after_crush == 50

    config = SmartCrusherConfig(
        min_tokens_to_crush=200,
        max_items_after_crush=15,
        variance_threshold=2.0,
        preserve_change_points=True,
    )
    assert (config.uniqueness_threshold, config.similarity_threshold) == (0.1, 0.8)
    assert (config.use_feedback_hints, config.dedup_identical_items) == (True, True)
    assert (config.first_fraction, config.last_fraction) == (0.3, 0.15)
    assert (config.factor_out_constants, config.include_summaries) == (False, False)


def test_cache_aligner_config_examples() -> None:
    from headroom_integrations import CacheAlignerConfig

    config = CacheAlignerConfig(
        extract_dates=True,
        normalize_whitespace=True,
        stable_prefix_min_tokens=100,
    )
    config = CacheAlignerConfig(
        enabled=True,
        extract_dates=True,
        normalize_whitespace=True,
        stable_prefix_min_tokens=100,
    )
    assert config.collapse_blank_lines and config.date_patterns and config.dynamic_patterns == []


def test_rolling_window_config_example() -> None:
    from headroom_integrations import RollingWindowConfig

    config = RollingWindowConfig(
        max_tokens=100000,
        preserve_system=True,
        preserve_recent_turns=5,
        drop_oldest_first=True,
    )
    assert (config.keep_system, config.keep_last_turns, config.max_tokens) == (True, 5, 100000)
    assert config.preserve_recent_turns == 5


def test_intelligent_context_config_example() -> None:
    from headroom_integrations import IntelligentContextConfig, ScoringWeights

    weights = ScoringWeights(
        recency=0.20,
        semantic_similarity=0.20,
        toin_importance=0.25,
        error_indicator=0.15,
        forward_reference=0.15,
        token_density=0.05,
    )

    config = IntelligentContextConfig(
        enabled=True,
        keep_system=True,
        keep_last_turns=2,
        output_buffer_tokens=4000,
        use_importance_scoring=True,
        scoring_weights=weights,
        toin_integration=True,
        recency_decay_rate=0.1,
        compress_threshold=0.1,
    )
    assert config.scoring_weights is weights


def test_scoring_weights_example() -> None:
    from headroom_integrations import ScoringWeights

    weights = ScoringWeights(
        recency=0.20,  # Exponential decay from end
        semantic_similarity=0.20,  # Embedding similarity to recent context
        toin_importance=0.25,  # TOIN retrieval_rate
        error_indicator=0.15,  # TOIN field_semantics error detection
        forward_reference=0.15,  # Messages referenced by later messages
        token_density=0.05,  # Unique/total token ratio
    )

    # Weights are auto-normalized to sum to 1.0
    normalized = weights.normalized()
    total = sum(getattr(normalized, f.name) for f in dataclasses.fields(normalized))
    assert total == pytest.approx(1.0)


def test_relevance_scorer_config_example() -> None:
    from headroom_integrations import RelevanceScorerConfig

    config = RelevanceScorerConfig(
        scorer_type="bm25",  # "bm25", "embedding", or "hybrid"
        embedding_model=None,  # Model name for embedding scorer
        hybrid_alpha=0.5,  # Weight for hybrid scoring
    )
    assert config.tier == "bm25" and config.embedding_model == "all-MiniLM-L6-v2"
    assert (config.bm25_k1, config.bm25_b, config.adaptive_alpha, config.relevance_threshold) == (
        1.5,
        0.75,
        True,
        0.25,
    )


def test_headroom_config_example() -> None:
    from headroom_integrations import HeadroomConfig

    config = HeadroomConfig()
    config.smart_crusher.min_tokens_to_crush = 100
    config.cache_aligner.enabled = True
    assert config.smart_crusher.min_tokens_to_crush == 100
    assert config.get_context_limit("gpt-4o") is None  # no override: ask the provider


# --- Results ------------------------------------------------------------------------------


def test_simulation_result_fields() -> None:
    from headroom_integrations import simulate

    plan = simulate(messages, model="gpt-4o")
    print(f"Tokens: {plan.tokens_before} -> {plan.tokens_after}")
    print(f"Savings: {plan.savings_percent:.1f}%")
    print(f"Transforms: {plan.transforms_applied}")
    assert plan.tokens_saved == plan.tokens_before - plan.tokens_after > 0
    assert plan.transforms_applied and plan.savings_percent > 0
    waste = plan.waste_signals
    for name in (
        "json_bloat_tokens",
        "html_noise_tokens",
        "whitespace_tokens",
        "dynamic_date_tokens",
        "repetition_tokens",
    ):
        assert isinstance(getattr(waste, name), int)
    assert waste.dynamic_date_tokens > 0


def test_request_metrics_fields() -> None:
    from headroom_integrations import RequestMetrics

    m = RequestMetrics(
        request_id="r1",
        timestamp=datetime(2025, 6, 2, 12, 0),
        model="gpt-4o",
        mode="optimize",
        tokens_before=10_000,
        tokens_after=2_000,
        transforms=("smart_crusher:60->6",),
    )
    print(f"{m.timestamp}: {m.tokens_input_before} -> {m.tokens_input_after}")
    assert (m.tokens_input_before, m.tokens_input_after) == (10_000, 2_000)
    assert m.transforms_applied == ["smart_crusher:60->6"]
    assert m.cost_before is not None and m.cost_after is not None
    assert m.cost_before == pytest.approx(5 * m.cost_after)
    unknown = RequestMetrics("r2", 0.0, "my-private-model", "optimize", 10, 5)
    assert unknown.cost_before is None  # never a made-up price


def test_compress_result_compression_ratio() -> None:
    from headroom_integrations import CompressionStore, compress

    result = compress(messages, model="gpt-4o", store=CompressionStore(url="memory://"))
    assert result.compression_ratio == pytest.approx(result.tokens_after / result.tokens_before)
    assert 0 < result.compression_ratio < 1


# --- Relevance scoring --------------------------------------------------------------------


def test_create_scorer_examples() -> None:
    from headroom_integrations import create_scorer

    # Auto-select best available scorer
    scorer = create_scorer()

    # Explicitly choose type
    scorer = create_scorer(scorer_type="hybrid", alpha=0.7)
    scores = scorer.score_items(["card declined for order 37", "order 12 shipped"], "why did order 37 fail")
    assert scores[0] > scores[1]


def test_bm25_scorer_example() -> None:
    from headroom_integrations import BM25Scorer

    scorer = BM25Scorer()
    scores = scorer.score_items(items=["item 1", "item 2"], query="search query")
    assert len(scores) == 2


def test_embedding_scorer_example() -> None:
    from headroom_integrations import EmbeddingScorer, embedding_available

    items, query = ["the payment was declined", "the parcel arrived"], "why did the card charge fail"
    assert embedding_available()  # the bundled model, offline
    if embedding_available():
        scorer = EmbeddingScorer(model="all-MiniLM-L6-v2")
        scores = scorer.score_items(items, query)
    assert scores[0] > scores[1]


def test_hybrid_scorer_example() -> None:
    from headroom_integrations import HybridScorer

    items, query = ["order 37: card declined", "order 12 shipped"], "order 37"
    scorer = HybridScorer(alpha=0.5)  # 50% BM25, 50% embedding
    scores = scorer.score_items(items, query)
    assert scores[0] > scores[1]


# --- Transforms (direct use) ----------------------------------------------------------------


def test_smart_crusher_example() -> None:
    from headroom_integrations import SmartCrusher

    crusher = SmartCrusher()
    result = crusher.crush(data={"results": ITEMS}, query="user query")
    kept = json.loads(result.compressed)["results"]
    assert result.was_modified and {"id": 37, "title": "order 37", "status": "failed", "error": "card declined"} in kept


def test_cache_aligner_example() -> None:
    from headroom_integrations import CacheAligner

    aligner = CacheAligner()
    result = aligner.align(messages)
    system = result.messages[0]["content"]
    assert system.startswith("You are a support agent for Acme.") and system.endswith("Current date: 2025-06-02.")


def test_rolling_window_example() -> None:
    from headroom_integrations import RollingWindow, RollingWindowConfig

    config = RollingWindowConfig(keep_last_turns=1)
    long_history = [m for turn in range(40) for m in _turn(turn)] + messages[1:]

    window = RollingWindow(config)
    result = window.apply(long_history, max_tokens=100000)
    assert result.messages == long_history  # fits: nothing dropped
    result = window.apply(long_history, max_tokens=3000)
    assert result.fits and result.dropped_indices and result.messages[-1] == long_history[-1]


def test_intelligent_context_manager_example() -> None:
    from headroom_integrations import IntelligentContextConfig, IntelligentContextManager, Tokenizer

    tokenizer = Tokenizer(model="gpt-4o")
    long_history = [messages[0], *(m for turn in range(300) for m in _turn(turn)), *messages[1:]]
    config = IntelligentContextConfig(
        keep_system=True,
        keep_last_turns=2,
        use_importance_scoring=True,
    )

    manager = IntelligentContextManager(config)
    result = manager.apply(long_history, tokenizer, model_limit=16000)

    # Access scoring details
    print(result.transforms_applied)
    print(result.tokens_before, result.tokens_after)
    assert result.tokens_after <= 16000 - config.output_buffer_tokens < result.tokens_before
    assert any(t.startswith("intelligent_context:dropped=") for t in result.transforms_applied)


def test_transform_pipeline_example() -> None:
    from headroom_integrations import CacheAligner, RollingWindow, SmartCrusher, TransformPipeline

    pipeline = TransformPipeline(
        [
            SmartCrusher(),
            CacheAligner(),
            RollingWindow(),
        ]
    )

    result = pipeline.transform(messages)
    assert result.transforms_applied[0].startswith("smart_crusher:60->")
    assert not result.warnings and result.tokens_after < result.tokens_before / 3
    assert "card declined" in result.messages[3]["content"]


# --- Errors -------------------------------------------------------------------------------


def test_error_tree_and_details() -> None:
    from headroom_integrations import (
        CompressionError,
        ConfigurationError,
        HeadroomConfig,
        HeadroomError,
        ProviderError,
        StorageError,
        ValidationError,
    )

    for cls in (ConfigurationError, ProviderError, StorageError, CompressionError, ValidationError):
        assert issubclass(cls, HeadroomError)
    try:
        HeadroomConfig(default_mode="invalid_mode")  # Will raise ConfigurationError
    except ConfigurationError as e:
        print(f"Config error: {e}")
        print(f"Field: {e.details.get('field')}")
        assert e.details.get("field") == "mode" and isinstance(e, ValueError)
    else:
        pytest.fail("invalid mode accepted")
    result = {"valid": False, "issues": ["store not writable"]}
    with pytest.raises(ValidationError) as info:
        if not result["valid"]:
            raise ValidationError("Setup validation failed", details={"issues": result["issues"]})
    assert info.value.details == {"issues": ["store not writable"]}
    assert str(info.value) == "Setup validation failed (issues=['store not writable'])"


def test_malformed_tool_output_passes_through_unchanged() -> None:
    from headroom_integrations import compress

    bad = [{"role": "tool", "tool_call_id": "x", "content": "malformed json {{{"}]
    assert compress(bad, model="gpt-4o").messages == bad


# --- Utilities ------------------------------------------------------------------------------


def test_tokenizer_example() -> None:
    from headroom_integrations import Tokenizer, count_tokens_messages, count_tokens_text

    # Quick counting
    tokens = count_tokens_text("Hello, world!", model="gpt-4o")
    assert tokens == 4

    # With tokenizer instance
    tokenizer = Tokenizer(model="gpt-4o")
    tokens = tokenizer.count_text("Hello")
    assert tokens == 1
    tokens = tokenizer.count_messages(messages)
    assert tokens == count_tokens_messages(messages, model="gpt-4o") > 500


def test_generate_report_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from headroom_integrations import MetricsStore, RequestMetrics, generate_report

    monkeypatch.chdir(tmp_path)
    with MetricsStore("sqlite:///headroom.db") as store:
        store.record(RequestMetrics("r1", datetime.now().timestamp(), "gpt-4o", "optimize", 1000, 200))

    report = generate_report(
        store_url="sqlite:///headroom.db",
        format="html",
        period="day",
    )
    assert report.startswith("<!DOCTYPE html>") and "800" in report


def _turn(n: int) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"Question {n}: what is the status of shipment {n}? " * 3},
        {"role": "assistant", "content": f"Shipment {n} left the depot and is on schedule. " * 4},
    ]
