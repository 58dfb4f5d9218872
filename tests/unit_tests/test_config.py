"""Configuration is validated on construction and assignment, with errors that name the field."""

from __future__ import annotations

import json

import pytest

from headroom_integrations import (
    CCRConfig,
    ConfigurationError,
    HeadroomConfig,
    HeadroomError,
    HeadroomMode,
    ScoringWeights,
    SmartCrusherConfig,
)
from headroom_integrations.engine import errors


def test_defaults_match_documented_values() -> None:
    cfg = SmartCrusherConfig()
    assert (cfg.min_tokens_to_crush, cfg.min_items_to_analyze, cfg.max_items_after_crush) == (200, 5, 15)
    assert (cfg.keep_first, cfg.keep_last, cfg.anomaly_std_threshold, cfg.preserve_errors) == (3, 2, 2.0, True)
    assert HeadroomConfig().store_url is None  # the process-wide in-memory store
    assert HeadroomConfig().default_mode is HeadroomMode.OPTIMIZE


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: SmartCrusherConfig(keep_first=-1), "SmartCrusherConfig.keep_first"),
        (lambda: SmartCrusherConfig(relevance_threshold=1.5), "SmartCrusherConfig.relevance_threshold"),
        (lambda: SmartCrusherConfig(max_items_after_crush=3), "SmartCrusherConfig.keep_first"),
        (lambda: SmartCrusherConfig(min_items_to_analyze=True), "SmartCrusherConfig.min_items_to_analyze"),
        (lambda: CCRConfig(store_ttl_seconds=0), "CCRConfig.store_ttl_seconds"),
        (lambda: HeadroomConfig(store_url="postgres://x"), "HeadroomConfig.store_url"),
        (lambda: HeadroomConfig(default_mode="turbo"), "mode"),
        (lambda: HeadroomConfig(model_context_limits={"gpt-4o": 0}), "HeadroomConfig.model_context_limits['gpt-4o']"),
        (lambda: HeadroomConfig(smart_crusher={"nope": 1}), "SmartCrusherConfig.nope"),
        (lambda: HeadroomConfig(ccr=3), "HeadroomConfig.ccr"),
    ],
)
def test_bad_values_raise_configuration_error_naming_the_field(factory, field) -> None:
    with pytest.raises(ConfigurationError) as info:
        factory()
    assert info.value.details["field"] == field
    assert "allowed" in info.value.details
    assert field.split(".")[-1].split("[")[0] in str(info.value)


def test_sub_configs_accept_dicts_and_round_trip(tmp_path) -> None:
    cfg = HeadroomConfig(
        smart_crusher={"max_items_after_crush": 10}, default_mode="audit", model_context_limits={"my-model": 32_000}
    )
    assert cfg.smart_crusher.max_items_after_crush == 10
    assert cfg.default_mode is HeadroomMode.AUDIT
    assert HeadroomConfig.from_dict(cfg.to_dict()) == cfg
    path = tmp_path / "headroom.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert HeadroomConfig.from_file(path) == cfg
    toml = tmp_path / "headroom.toml"
    toml.write_text('[headroom]\ndefault_mode = "simulate"\n[headroom.ccr]\nstore_ttl_seconds = 60\n')
    loaded = HeadroomConfig.from_file(toml)
    assert loaded.default_mode is HeadroomMode.SIMULATE and loaded.ccr.store_ttl_seconds == 60


def test_context_limits_use_overrides_then_families() -> None:
    cfg = HeadroomConfig(model_context_limits={"gpt-4o": 50_000})
    assert cfg.context_limit("gpt-4o") == 50_000
    assert cfg.context_limit("claude-sonnet-4-5") == 200_000
    assert cfg.context_limit("totally-unknown", default=8_000) == 8_000


def test_scoring_weights_are_normalised() -> None:
    w = ScoringWeights(recency=2, relevance=2, toin_importance=0, error=0, forward_reference=0, density=0)
    assert (w.recency, w.semantic_similarity) == (0.5, 0.5)
    with pytest.raises(ConfigurationError):
        ScoringWeights(recency=0, relevance=0, toin_importance=0, error=0, forward_reference=0, density=0)


def test_configs_are_mutable_and_checked_on_assignment() -> None:
    cfg = SmartCrusherConfig()
    cfg.keep_first = 9
    assert cfg.keep_first == 9
    with pytest.raises(ConfigurationError):
        cfg.keep_first = -1
    assert cfg.keep_first == 9


def test_error_tree_and_details_in_str() -> None:
    for name in (
        "ConfigurationError",
        "ProviderError",
        "StorageError",
        "CompressionError",
        "TokenizationError",
        "CacheError",
        "ValidationError",
        "TransformError",
    ):
        assert issubclass(getattr(errors, name), HeadroomError)
    err = HeadroomError("boom", {"field": "x", "value": 3})
    assert str(err) == "boom (field=x, value=3)"
    assert str(HeadroomError("plain")) == "plain"
