"""Providers: token counters, context windows with overrides, list-price cost estimates, cache breakpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headroom_integrations import (
    AnthropicProvider,
    ConfigurationError,
    GoogleProvider,
    HeadroomConfig,
    OpenAIProvider,
    ProviderError,
    ValidationError,
)
from headroom_integrations.engine.tokens import get_tokenizer
from headroom_integrations.providers.anthropic import MAX_CACHE_BREAKPOINTS
from tests.support.provider_servers import strip_cache_control

EPHEMERAL = {"type": "ephemeral"}


def test_openai_counts_are_the_engines_exact_counts() -> None:
    # The engine's counts equal tiktoken's o200k_base (tests/unit_tests/test_tokenizer.py proves it).
    counter = OpenAIProvider().get_token_counter("gpt-4o-2024-08-06")
    text = "Order 48137 failed: payment gateway timeout after 30s (HTTP 502)."
    count = counter.count_text(text)
    assert int(count) == int(get_tokenizer("gpt-4o").count_text(text)) > 10
    assert count.is_estimate is False and count.method == "o200k_base"
    assert counter.count_messages([{"role": "user", "content": text}]) > count


def test_anthropic_and_google_without_an_api_give_flagged_estimates() -> None:
    for provider in (AnthropicProvider(), GoogleProvider()):
        counter = provider.get_token_counter(
            "claude-3-5-sonnet-20241022" if provider.name == "anthropic" else "gemini-2.5-pro"
        )
        assert counter.count_text("Hello world") > 0
        count = counter.count_messages([{"role": "user", "content": "Hello"}])
        assert count > 0 and count.is_estimate is True


@pytest.mark.parametrize(
    ("model", "limit"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4o-2024-08-06", 128_000),
        ("gpt-4o-mini", 128_000),
        ("gpt-4.1-mini-2025-04-14", 1_047_576),
        ("claude-3-5-sonnet-20241022", 200_000),
        ("gemini-2.5-flash", 1_048_576),
    ],
)
def test_context_limits_by_family_and_dated_name(model: str, limit: int) -> None:
    assert OpenAIProvider().get_context_limit(model) == limit


def test_overrides_win_with_prefix_match_and_unknown_models_raise() -> None:
    config = HeadroomConfig(model_context_limits={"gpt-4o": 64_000, "my-model": 32_000})
    provider = OpenAIProvider(config=config, context_limits={"my-model-large": 100_000})
    assert provider.get_context_limit("gpt-4o-2024-08-06") == 64_000
    assert provider.get_context_limit("my-model-2026") == 32_000
    assert provider.get_context_limit("my-model-large-1") == 100_000
    assert (
        AnthropicProvider(context_limits={"claude-new-model": 300_000}).get_context_limit("claude-new-model") == 300_000
    )
    with pytest.raises(ProviderError) as err:
        OpenAIProvider().get_context_limit("totally-unknown")
    assert err.value.details["model"] == "totally-unknown"
    with pytest.raises(ConfigurationError):
        OpenAIProvider(context_limits={"x": 0})


def test_cost_from_the_price_table() -> None:
    openai = OpenAIProvider()
    assert openai.estimate_cost(input_tokens=1_000_000, output_tokens=0, model="gpt-4o") == pytest.approx(2.50)
    assert openai.estimate_cost(input_tokens=0, output_tokens=1_000_000, model="gpt-4o-2024-08-06") == pytest.approx(
        10.0
    )
    cached = openai.estimate_cost(input_tokens=1_000_000, model="gpt-4o", cached_input_tokens=1_000_000)
    assert cached == pytest.approx(1.25)
    claude = AnthropicProvider().estimate_cost(
        input_tokens=1_000_000, output_tokens=1_000_000, model="claude-sonnet-4-5", cached_input_tokens=500_000
    )
    assert claude == pytest.approx(0.5 * 3.0 + 0.5 * 0.30 + 15.0)
    # No cached price known: cached tokens are charged at the input price (never below it).
    assert GoogleProvider().estimate_cost(
        input_tokens=1_000_000, model="gemini-2.5-pro", cached_input_tokens=1_000_000
    ) == pytest.approx(1.25)
    assert openai.estimate_cost(input_tokens=1000, output_tokens=10, model="my-private-model") is None


def test_cost_arguments_are_validated() -> None:
    provider = OpenAIProvider()
    with pytest.raises(ValidationError):
        provider.estimate_cost(input_tokens=-1, model="gpt-4o")
    with pytest.raises(ValidationError):
        provider.estimate_cost(input_tokens=10, model="gpt-4o", cached_input_tokens=11)


@given(
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.floats(0, 1),
    st.sampled_from(["gpt-4o", "gpt-5-mini", "o3", "claude-opus-4-5", "claude-3-5-haiku-latest"]),
)
def test_caching_never_raises_the_cost(inputs: int, outputs: int, share: float, model: str) -> None:
    provider = OpenAIProvider()
    cached = int(inputs * share)
    full = provider.estimate_cost(input_tokens=inputs, output_tokens=outputs, model=model)
    with_cache = provider.estimate_cost(
        input_tokens=inputs, output_tokens=outputs, model=model, cached_input_tokens=cached
    )
    assert full is not None and with_cache is not None and 0 <= with_cache <= full + 1e-12


def test_flags_are_validated_and_described() -> None:
    with pytest.raises(ConfigurationError):
        OpenAIProvider(enable_prefix_caching="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        AnthropicProvider(enable_cache_control=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        GoogleProvider(enable_context_caching=None)  # type: ignore[arg-type]
    assert GoogleProvider(enable_context_caching=False).describe()["enable_context_caching"] is False
    assert AnthropicProvider().describe()["token_counting"] == "estimate"


class _Usage:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def test_cache_usage_is_read_from_each_vendors_fields() -> None:
    openai_response = _Usage(usage=_Usage(prompt_tokens_details=_Usage(cached_tokens=640)))
    assert OpenAIProvider().cache_usage(openai_response).cache_read_input_tokens == 640
    assert OpenAIProvider(enable_prefix_caching=False).cache_usage(openai_response).cache_read_input_tokens == 0
    anthropic_response = _Usage(usage=_Usage(cache_read_input_tokens=10, cache_creation_input_tokens=None))
    usage = AnthropicProvider().cache_usage(anthropic_response)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (10, 0)
    gemini = _Usage(usage_metadata={"cached_content_token_count": 77})
    assert GoogleProvider().cache_usage(gemini).cache_read_input_tokens == 77


def test_breakpoints_on_tools_system_and_last_message_without_touching_the_input() -> None:
    params = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "tools": [{"name": "a", "input_schema": {}}, {"name": "b", "input_schema": {}}],
        "system": "You are a support agent.",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "ok"}, {"type": "thinking", "thinking": "t"}]},
        ],
    }
    before = json.dumps(params)
    out = AnthropicProvider().prepare_request(params)
    assert json.dumps(params) == before
    assert out["tools"][1]["cache_control"] == EPHEMERAL
    assert out["system"] == [{"type": "text", "text": "You are a support agent.", "cache_control": EPHEMERAL}]
    # The thinking block cannot take a breakpoint; the last text block before it does.
    assert out["messages"][-1]["content"] == [
        {"type": "text", "text": "ok", "cache_control": EPHEMERAL},
        {"type": "thinking", "thinking": "t"},
    ]
    assert AnthropicProvider(enable_cache_control=False).prepare_request(params) is params


def test_top_level_automatic_caching_counts_against_the_limit() -> None:
    params = {
        "cache_control": EPHEMERAL,
        "tools": [{"name": "a", "cache_control": EPHEMERAL}],
        "system": [{"type": "text", "text": "s", "cache_control": EPHEMERAL}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "q", "cache_control": EPHEMERAL}]}],
    }
    assert AnthropicProvider().prepare_request(params) == params


_blocks = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "thinking", "tool_use", "image"]), "text": st.text(max_size=3)},
        optional={"cache_control": st.just(EPHEMERAL)},
    ),
    max_size=4,
)
_request = st.fixed_dictionaries(
    {
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(["user", "assistant"]), "content": st.one_of(st.text(max_size=3), _blocks)}
            ),
            max_size=4,
        )
    },
    optional={
        "system": st.one_of(st.text(max_size=3), _blocks),
        "tools": st.lists(
            st.fixed_dictionaries({"name": st.text(max_size=2)}, optional={"cache_control": st.just(EPHEMERAL)}),
            max_size=3,
        ),
    },
)


def _as_blocks(value: Any) -> Any:
    return [{"type": "text", "text": value}] if isinstance(value, str) and value else value


@given(_request)
def test_breakpoints_never_exceed_four_and_change_nothing_else(params: dict[str, Any]) -> None:
    out = AnthropicProvider().prepare_request(params)
    given_count = json.dumps(params).count('"cache_control"')
    assert json.dumps(out).count('"cache_control"') <= max(MAX_CACHE_BREAKPOINTS, given_count)
    assert json.dumps(out).count('"cache_control"') >= given_count
    for key in ("tools", "system"):
        if key in params:
            assert strip_cache_control(_as_blocks(out[key])) == strip_cache_control(_as_blocks(params[key]))
    assert len(out["messages"]) == len(params["messages"])
    for sent, original in zip(out["messages"], params["messages"], strict=True):
        assert sent["role"] == original["role"]
        assert strip_cache_control(_as_blocks(sent["content"])) == strip_cache_control(_as_blocks(original["content"]))
