"""Engine options: checked once when a component is built; metrics rows only for calls that count."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from headroom_integrations.engine.cache_control import CacheUsage
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.config import ContentCompressionConfig, HeadroomConfig, HeadroomMode
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.engine.options import INLINE_CHARS, EngineOptions, check_option, off_loop, text_size
from tests.support.fixtures import api_json, tool_conversation


def test_user_values_are_normalised() -> None:
    options = EngineOptions.build(config={"smart_crusher": {"max_items_after_crush": 10}}, mode="AUDIT")
    assert options.config.smart_crusher.max_items_after_crush == 10 and options.mode is HeadroomMode.AUDIT
    assert EngineOptions.build().config == HeadroomConfig() and EngineOptions.build().mode is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("config", 3),
        ("config", {"no_such_option": 1}),
        ("mode", "shrink"),
        ("store", "memory://"),
        ("metrics_store", object()),
        ("token_budget", 0),
        ("token_budget", True),
        ("token_budget", 1.5),
        ("model", ""),
        ("model", 4),
        ("tool_profiles", ["list_orders"]),
        ("tool_profiles", {"list_orders": {"skip_compresion": True}}),
    ],
)
def test_misconfiguration_raises_configuration_error_naming_the_field(name: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        EngineOptions.build(**{name: value})  # type: ignore[arg-type]
    assert name.replace("_", "") in str(info.value.details["field"]).lower().replace("_", "")
    with pytest.raises(ConfigurationError):
        check_option(name, value)


def test_the_run_mode_comes_from_the_config_unless_given() -> None:
    audit = HeadroomConfig(default_mode=HeadroomMode.AUDIT)
    assert not EngineOptions.build(config=audit).changes_messages
    assert EngineOptions.build(config=audit, mode="optimize").changes_messages
    assert EngineOptions.build().run_mode is HeadroomMode.OPTIMIZE


def _rows_for(mode: str, conversations: list[list[dict[str, Any]]]) -> list[str]:
    metrics = MetricsStore("memory://")
    options = EngineOptions.build(mode=mode, store=CompressionStore(), metrics_store=metrics, integration="test")
    for messages in conversations:
        compress(messages, **options.engine_kwargs())
    return [f"{r.integration}:{r.mode}:{bool(r.transforms)}" for r in reversed(metrics.get_metrics())]


def test_a_call_that_changed_nothing_writes_no_metrics_row() -> None:
    nothing: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    big = tool_conversation(api_json(300))
    assert _rows_for("optimize", [nothing, big, nothing]) == ["test:optimize:True"]


def test_measuring_calls_are_recorded_as_the_engine_records_them() -> None:
    nothing: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    big = tool_conversation(api_json(300))
    assert _rows_for("audit", [nothing, big]) == ["test:audit:False", "test:audit:True"]
    assert _rows_for("simulate", [nothing, big]) == []  # simulate has no side effects


def test_an_answered_call_with_cache_tokens_gets_a_row_even_when_nothing_was_compressed() -> None:
    metrics = MetricsStore("memory://")
    options = EngineOptions.build(store=CompressionStore(), metrics_store=metrics, integration="test")
    nothing: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    kwargs = options.engine_kwargs(record=False)
    compress(tool_conversation(api_json(300)), **kwargs)
    assert metrics.get_metrics() == []  # the row waits for the answer (the store still learns from retrievals)
    options.record_call(compress(nothing, **kwargs))  # no cache tokens, nothing compressed: no row
    options.record_call(compress(nothing, **kwargs), CacheUsage(120, 8), provider="anthropic")
    (row,) = metrics.get_metrics()
    assert (row.cache_read_input_tokens, row.cache_creation_input_tokens, row.provider) == (120, 8, "anthropic")
    assert metrics.get_summary().total_cache_read_input_tokens == 120


def test_tool_profiles_reach_every_engine_call() -> None:
    options = EngineOptions.build(tool_profiles={"list_orders": {"skip_compression": True}})
    messages = tool_conversation(api_json(300))
    result = compress(messages, **options.engine_kwargs())
    assert result.messages[-1]["content"] == messages[-1]["content"]
    assert EngineOptions.build().engine_kwargs()["tool_profiles"] is None


def test_a_config_for_one_call_replaces_the_options_own() -> None:
    options = EngineOptions.build(mode="audit")
    other = HeadroomConfig(content=ContentCompressionConfig(enabled=False))
    kwargs = options.engine_kwargs(other)
    assert kwargs["config"] is other and kwargs["mode"] is HeadroomMode.AUDIT
    assert options.engine_kwargs()["config"] is options.config and kwargs["metrics_store"] is None


def test_text_size_counts_strings_and_blocks_and_skips_none() -> None:
    blocks = [{"type": "text", "text": "abc"}]
    assert text_size(["abcd", None, blocks]) == 4 + len(str(blocks))


async def test_large_inputs_run_off_the_event_loop_and_small_ones_inline() -> None:
    def where(_: str) -> threading.Thread:
        return threading.current_thread()

    here = threading.current_thread()
    assert await off_loop(INLINE_CHARS, where, "small") is here
    assert await off_loop(INLINE_CHARS + 1, where, "large") is not here


def test_an_unknown_option_names_the_closest_valid_one() -> None:
    from headroom_integrations.engine.options import EngineOptions

    with pytest.raises(ConfigurationError, match="'tokn_budget'.*did you mean 'token_budget'") as info:
        EngineOptions.build(owner="HeadroomMiddleware", tokn_budget=100)
    assert info.value.details["field"] == "HeadroomMiddleware.tokn_budget"
    assert isinstance(ConfigurationError("x"), Exception)


def test_one_rule_names_the_model() -> None:
    from headroom_integrations.engine.models import DEFAULT_MODEL, resolve_model

    assert resolve_model(None, "", "  ") == DEFAULT_MODEL
    assert resolve_model(None, "claude-sonnet-4") == "claude-sonnet-4"
    assert resolve_model("openai:gpt-4o-mini", "claude-sonnet-4") == "gpt-4o-mini"
    assert resolve_model("ollama:llama3:8b") == "llama3:8b" and resolve_model("llama3:8b") == "llama3:8b"
