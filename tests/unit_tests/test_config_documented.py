"""Headroom's documented configuration: fields and defaults, aliases, mutation, validation, warnings."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from headroom_integrations import (
    CacheAligner,
    CacheAlignerConfig,
    CCRConfig,
    CompressionStore,
    ConfigurationError,
    HeadroomConfig,
    IntelligentContextConfig,
    IntelligentContextManager,
    RelevanceScorerConfig,
    RollingWindowConfig,
    ScoringWeights,
    SmartCrusher,
    SmartCrusherConfig,
    compress,
    retrieve,
)
from headroom_integrations.engine.errors import UnsupportedOptionWarning

DOCUMENTED_DEFAULTS: list[tuple[type, dict[str, Any]]] = [
    (
        SmartCrusherConfig,
        {
            "enabled": True,
            "min_tokens_to_crush": 200,
            "min_items_to_analyze": 5,
            "max_items_after_crush": 15,
            "variance_threshold": 2.0,
            "uniqueness_threshold": 0.1,
            "similarity_threshold": 0.8,
            "preserve_change_points": True,
            "factor_out_constants": False,
            "include_summaries": False,
            "use_feedback_hints": True,
            "toin_confidence_threshold": 0.3,
            "dedup_identical_items": True,
            "first_fraction": 0.3,
            "last_fraction": 0.15,
            "keep_first": 3,
            "keep_last": 2,
            "relevance_threshold": 0.3,
            "anomaly_std_threshold": 2.0,
            "preserve_errors": True,
            "relevance": RelevanceScorerConfig(),
        },
    ),
    (
        CacheAlignerConfig,
        {
            "extract_dates": True,
            "normalize_whitespace": True,
            "collapse_blank_lines": True,
            "stable_prefix_min_tokens": 100,
            "dynamic_patterns": [],
            "use_dynamic_detector": True,
            "detection_tiers": ["regex"],
            "extra_dynamic_labels": [],
            "entropy_threshold": 0.7,
        },
    ),
    (
        RollingWindowConfig,
        {"enabled": True, "keep_system": True, "keep_last_turns": 2, "output_buffer_tokens": 4000},
    ),
    (
        IntelligentContextConfig,
        {
            "enabled": True,
            "keep_system": True,
            "keep_last_turns": 2,
            "output_buffer_tokens": 4000,
            "use_importance_scoring": True,
            "scoring_weights": ScoringWeights(),
            "recency_decay_rate": 0.1,
            "toin_integration": True,
            "toin_confidence_threshold": 0.3,
            "compress_threshold": 0.1,
            "summarization_enabled": False,
            "summarization_model": None,
            "summary_max_tokens": 500,
            "summarize_threshold": 0.25,
            "memory_tiers_enabled": False,
            "warm_tier_enabled": False,
            "cold_tier_enabled": False,
        },
    ),
    (
        ScoringWeights,
        {
            "recency": 0.20,
            "semantic_similarity": 0.20,
            "toin_importance": 0.25,
            "error_indicator": 0.15,
            "forward_reference": 0.15,
            "token_density": 0.05,
        },
    ),
    (
        RelevanceScorerConfig,
        {
            "tier": "bm25",
            "bm25_k1": 1.5,
            "bm25_b": 0.75,
            "embedding_model": "all-MiniLM-L6-v2",
            "hybrid_alpha": 0.5,
            "adaptive_alpha": True,
            "relevance_threshold": 0.25,
        },
    ),
    (
        CCRConfig,
        {
            "enabled": True,
            "store_max_entries": 1000,
            "inject_retrieval_marker": True,
            "feedback_enabled": True,
            "inject_tool": True,
            "inject_system_instructions": False,
        },
    ),
]


@pytest.mark.parametrize(("cls", "expected"), DOCUMENTED_DEFAULTS, ids=lambda v: getattr(v, "__name__", ""))
def test_documented_fields_exist_with_their_defaults(cls: type, expected: dict[str, Any]) -> None:
    config = cls()
    for name, value in expected.items():
        assert getattr(config, name) == (pytest.approx(value) if isinstance(value, float) else value), name


def test_scoring_weights_sum_to_one() -> None:
    assert math.fsum(getattr(ScoringWeights(), f.name) for f in dataclasses.fields(ScoringWeights)) == 1.0
    weights = ScoringWeights(recency=3.0, semantic_similarity=1.0, toin_importance=0, error_indicator=0)
    weights.recency = 7.0  # later assignments are normalised on use
    normalized = weights.normalized()
    assert math.fsum(getattr(normalized, f.name) for f in dataclasses.fields(normalized)) == pytest.approx(1.0)
    weights.recency = weights.semantic_similarity = weights.forward_reference = weights.token_density = 0.0
    with pytest.raises(ConfigurationError):
        weights.normalized()


def test_documented_aliases() -> None:
    window = RollingWindowConfig(preserve_system=False, preserve_recent_turns=4)
    assert (window.keep_system, window.keep_last_turns) == (False, 4)
    window.preserve_recent_turns = 1
    assert window.keep_last_turns == 1 and window.preserve_recent_turns == 1
    assert RelevanceScorerConfig(tier="hybrid").scorer_type == "hybrid"
    assert IntelligentContextConfig(weights={"recency": 1.0}).weights is not None
    assert CacheAlignerConfig(move_dynamic_values=False).extract_dates is False
    with pytest.raises(ConfigurationError) as info:
        RollingWindowConfig(keep_last_turns=2, preserve_recent_turns=3)
    assert info.value.details["allowed"] == ["keep_last_turns"]


def test_mutation_is_checked_on_assignment_and_keeps_the_old_value() -> None:
    config = HeadroomConfig()
    config.smart_crusher.min_tokens_to_crush = 100
    with pytest.raises(ConfigurationError) as info:
        config.smart_crusher.min_tokens_to_crush = -5
    assert info.value.details == {
        "field": "SmartCrusherConfig.min_tokens_to_crush",
        "value": -5,
        "allowed": "[0, inf]",
    }
    assert config.smart_crusher.min_tokens_to_crush == 100
    config.ccr = {"store_ttl_seconds": 60}
    assert isinstance(config.ccr, CCRConfig) and config.ccr.store_ttl_seconds == 60
    with pytest.raises(ConfigurationError):
        config.cache_aligner.date_patterns = ["("]


def test_rules_across_fields_are_checked_when_the_config_is_used() -> None:
    config = HeadroomConfig()
    config.smart_crusher.max_items_after_crush = 4  # keep_first + keep_last = 5: caught on use
    with pytest.raises(ConfigurationError) as info:
        compress([{"role": "user", "content": "hi"}], config=config)
    assert info.value.details["field"] == "SmartCrusherConfig.keep_first"
    with pytest.raises(ConfigurationError):
        SmartCrusher(config.smart_crusher).crush("[1, 2, 3]")


def test_typos_name_the_closest_field() -> None:
    with pytest.raises(ConfigurationError) as info:
        SmartCrusherConfig(max_item_after_crush=3)
    assert info.value.details["suggestion"] == "max_items_after_crush"
    assert "did you mean 'max_items_after_crush'?" in str(info.value)
    config = HeadroomConfig()
    with pytest.raises(ConfigurationError) as info:
        config.smart_crusher.min_tokens_to_crsh = 1  # type: ignore[attr-defined]
    assert info.value.details["suggestion"] == "min_tokens_to_crush"
    with pytest.raises(ConfigurationError) as info:
        HeadroomConfig.from_dict({"smart_crusher": {"keep_frist": 1}})
    assert info.value.details["suggestion"] == "keep_first"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (SmartCrusherConfig, {"factor_out_constants": True}),
        (SmartCrusherConfig, {"include_summaries": True}),
        (SmartCrusherConfig, {"use_feedback_hints": True, "toin_confidence_threshold": 0.9}),
        (SmartCrusherConfig, {"first_fraction": 0.5}),
        (CacheAlignerConfig, {"detection_tiers": ["regex", "ner"]}),
        (RollingWindowConfig, {"drop_oldest_first": False}),
        (IntelligentContextConfig, {"summarization_enabled": True}),
        (ScoringWeights, {"toin_importance": 0.5}),
        (RelevanceScorerConfig, {"relevance_threshold": 0.5}),
        (CCRConfig, {"inject_system_instructions": True}),
    ],
)
def test_options_the_engine_cannot_honour_are_accepted_with_a_warning(cls: type, kwargs: dict[str, Any]) -> None:
    with pytest.warns(UnsupportedOptionWarning, match="accepted but not honoured"):
        config = cls(**kwargs)
    name, value = next(iter(kwargs.items()))
    assert getattr(config, name) == value or cls is ScoringWeights


def test_honoured_values_and_defaults_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HeadroomConfig()
        SmartCrusherConfig(factor_out_constants=False, use_feedback_hints=False, dedup_identical_items=True)
        IntelligentContextConfig(toin_integration=False, summarization_enabled=False)
    config = SmartCrusherConfig()
    with pytest.warns(UnsupportedOptionWarning):
        config.include_summaries = True


def test_context_limit_overrides_match_exact_then_longest_prefix() -> None:
    config = HeadroomConfig(model_context_limits={"gpt-4o": 50_000, "gpt-4o-mini": 20_000})
    assert config.get_context_limit("gpt-4o") == 50_000
    assert config.get_context_limit("gpt-4o-mini-2024-07-18") == 20_000
    assert config.get_context_limit("claude-sonnet-4-5") is None
    assert config.context_limit("claude-sonnet-4-5") == 200_000


def test_with_changes_gives_an_independent_copy() -> None:
    config = HeadroomConfig()
    copy = config.with_changes(content=dataclasses.replace(config.content, enabled=False))
    copy.smart_crusher.keep_first = 1
    assert config.smart_crusher.keep_first == 3 and config.content.enabled and not copy.content.enabled
    assert copy.relevance is copy.smart_crusher.relevance


def _json_tool_call(n: int = 80) -> list[dict[str, Any]]:
    items = [{"id": i, "name": f"widget {i}", "price": 10 + i % 7} for i in range(n)]
    return [
        {"role": "system", "content": "You sell widgets. Current date: 2025-06-02."},
        {"role": "user", "content": "Which widget costs the most?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "widgets", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps(items)},
    ]


def test_caches_follow_the_current_values_of_a_mutated_config() -> None:
    config = HeadroomConfig()
    messages = _json_tool_call()
    assert compress(messages, config=config).transforms_applied
    config.smart_crusher.min_tokens_to_crush = 1_000_000
    assert compress(messages, config=config).messages == messages
    config.smart_crusher.min_tokens_to_crush = 0
    config.smart_crusher.max_items_after_crush = 6
    mutated = compress(messages, config=config)
    fresh = compress(
        messages, config=HeadroomConfig(smart_crusher={"min_tokens_to_crush": 0, "max_items_after_crush": 6})
    )
    assert mutated.messages == fresh.messages and mutated.transforms_applied == fresh.transforms_applied


def test_compress_keeps_dropped_content_in_the_store_of_store_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ccr.db'}"
    result = compress(_json_tool_call(), config=HeadroomConfig(store_url=url))
    assert result.refs
    with CompressionStore(url=url) as other_process_view:
        assert '"widget 40"' in retrieve(result.refs[0], store=other_process_view)


def test_store_url_accepts_exactly_what_the_store_opens() -> None:
    for url in (None, "memory://", "sqlite:///x.db"):
        HeadroomConfig(store_url=url)
    for url in ("jsonl:///x.jsonl", "postgres://db", "sqlite://"):
        with pytest.raises(ConfigurationError) as info:
            HeadroomConfig(store_url=url)
        assert info.value.details["field"] == "HeadroomConfig.store_url"


def _history(turns: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": "You are terse."}]
    for n in range(turns):
        out += [
            {"role": "user", "content": f"Tell me about topic {n}. " * 10},
            {"role": "assistant", "content": f"Topic {n} is about subject {n}. " * 10},
        ]
    return out


def test_rolling_window_settings_fit_the_history_when_importance_scoring_is_off() -> None:
    config = HeadroomConfig(intelligent_context={"enabled": False}, rolling_window={"keep_last_turns": 1})
    history = _history(30)
    result = compress(history, config=config, token_budget=1500, store=CompressionStore(url="memory://"))
    assert result.tokens_after <= 1500
    assert any(t.startswith("rolling_window:dropped=") for t in result.transforms_applied)
    kept = [s for s in result.source_indices if s is not None]
    assert kept == [0, *range(kept[1], len(history))]  # the oldest went, in order
    config.rolling_window.enabled = False
    assert compress(history, config=config, token_budget=1500).messages == history


def test_position_only_ranking_drops_the_oldest_first() -> None:
    history = _history(30)
    history[3]["content"] = "ERROR: the build failed with a critical fault. " * 5
    scored = IntelligentContextManager(IntelligentContextConfig(keep_last_turns=1)).apply(history, token_budget=1500)
    by_age = IntelligentContextManager(IntelligentContextConfig(keep_last_turns=1, use_importance_scoring=False)).apply(
        history, token_budget=1500
    )
    error = history[3]["content"]
    # Kept by importance (joined onto the next kept question when the answer between them went), not by age.
    assert any(error in m["content"] for m in scored.messages)
    assert not any(error in m["content"] for m in by_age.messages)
    kept = [s for s in by_age.source_indices if s is not None]
    assert kept == [0, *range(kept[1], len(history))]


def test_cache_aligner_honours_patterns_and_whitespace_switches() -> None:
    system = "Be kind.   \n\n\n\nBuild 7f3e9a12 is live. Answer briefly."
    messages = [{"role": "system", "content": system}]
    config = CacheAlignerConfig(dynamic_patterns=[r"Build [0-9a-f]{8}"], collapse_blank_lines=False)
    text = CacheAligner(config).align(messages).messages[0]["content"]
    assert text == "Be kind.\n\n\n\nAnswer briefly.\n\n[Dynamic context]\nBuild 7f3e9a12 is live."
    config.normalize_whitespace = False
    config.collapse_blank_lines = True
    text = CacheAligner(config).align(messages).messages[0]["content"]
    assert text.startswith("Be kind.   \n\nAnswer briefly.")
    config.dynamic_tail_separator = "\n\n---\n[Dynamic Context]\n"
    text = CacheAligner(config).align(messages).messages[0]["content"]
    assert text.endswith("\n\n---\n[Dynamic Context]\nBuild 7f3e9a12 is live.")
    assert CacheAligner(config).align([{"role": "system", "content": text}]).messages[0]["content"] == text


# --- hypothesis: any mutation is either rejected or behaves like a fresh config ------------

_CONFIG_CLASSES = {
    "smart_crusher": SmartCrusherConfig,
    "content": HeadroomConfig().content.__class__,
    "cache_aligner": CacheAlignerConfig,
    "rolling_window": RollingWindowConfig,
    "intelligent_context": IntelligentContextConfig,
    "ccr": CCRConfig,
}
_CANDIDATES: dict[type, list[Any]] = {
    bool: [True, False, 1, "yes", None],
    int: [-1, 0, 1, 2, 3, 7, 60, 10**6, 2.5, True, None],
    float: [-0.5, 0.0, 0.05, 0.3, 0.99, 1.0, 2.5, float("nan"), "x", None],
    str: ["", "x", "\n\n[Tail]\n", 3, None],
    list: [[], [r"\d{4}"], ["("], "x", ["regex"], None],
}


def _mutations() -> st.SearchStrategy[tuple[str, str, Any]]:
    choices = []
    for sub, cls in _CONFIG_CLASSES.items():
        for f in dataclasses.fields(cls):
            default = getattr(cls(), f.name)
            kind = next((t for t in (bool, int, float, str, list) if isinstance(default, t)), None)
            if kind is not None:
                choices += [(sub, f.name, v) for v in _CANDIDATES[kind]]
    return st.sampled_from(choices)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), max_size=4), st.booleans())
def test_random_mutations_are_rejected_or_match_a_fresh_config(
    mutations: list[tuple[str, str, Any]], budget: bool
) -> None:
    messages = _json_tool_call(40) + _history(6)[1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedOptionWarning)
        config = HeadroomConfig()
        for sub, name, value in mutations:
            try:
                setattr(getattr(config, sub), name, value)
            except ConfigurationError:
                pass
        try:
            mutated = compress(messages, config=config, token_budget=900 if budget else None)
        except ConfigurationError:
            event("rejected when used")
            return
        event("accepted")
        fresh = compress(
            messages, config=HeadroomConfig.from_dict(config.to_dict()), token_budget=900 if budget else None
        )
    assert mutated.messages == fresh.messages
    assert mutated.transforms_applied == fresh.transforms_applied
    assert mutated.refs == fresh.refs


@pytest.mark.parametrize(
    ("cls", "typo", "meant"),
    [
        (SmartCrusher, "confg", "config"),
        (CacheAligner, "configs", "config"),
        (IntelligentContextManager, "scorr", "scorer"),
        (CompressionStore, "ur", "url"),
    ],
)
def test_engine_constructors_reject_typos(cls: type, typo: str, meant: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(**{typo: None})
    assert info.value.details["suggestion"] == meant


def test_rolling_window_budget_defaults_to_the_configured_max_tokens() -> None:
    from headroom_integrations import RollingWindow, TransformPipeline

    history = _history(30)
    window = RollingWindow(RollingWindowConfig(max_tokens=1200, keep_last_turns=1))
    assert window.apply(history).tokens_after <= 1200
    assert TransformPipeline([window]).transform(history).tokens_after <= 1200
