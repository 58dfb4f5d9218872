"""Headroom's documented HeadroomClient and provider examples, run as written.

Each test body is an example from Headroom's Python documentation (its
package docstring, quickstart, configuration and provider pages), changed
only in the import line (``headroom`` -> ``headroom_integrations``) and in
``base_url=`` pointing the SDK at the loopback server. Placeholders the docs
leave to the reader (``large_messages``, ``...``) are filled in above the
example. The "Adjust Compression" example (``config.smart_crusher.... = 30``)
needs mutable configs and is covered where those are built, not here.
"""

from __future__ import annotations

import tempfile
from typing import Any

import pytest

from tests.support.fixtures import api_json, tool_conversation
from tests.support.provider_servers import ProviderServer

large_messages = large_conversation = tool_conversation(api_json(300))


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' databases go to a test folder


def test_quick_start(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient, OpenAIProvider

    # Wrap your existing client
    client = HeadroomClient(
        original_client=OpenAI(base_url=server.openai_base_url),
        provider=OpenAIProvider(),
        default_mode="optimize",
    )

    # Use exactly like the original client
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "user", "content": "Hello!"},
        ],
    )

    # Check savings
    stats = client.get_stats()
    print(f"Tokens saved: {stats['session']['tokens_saved_total']}")

    # Validate configuration
    result = client.validate_setup()
    if not result["valid"]:
        print("Issues:", result)

    plan = client.chat.completions.simulate(
        model="gpt-4o",
        messages=large_messages,
    )
    print(f"Would save {plan.tokens_saved} tokens")
    print(f"Transforms: {plan.transforms}")

    out = capsys.readouterr().out
    assert response.choices[0].message.content == "ok"
    assert "Tokens saved: 0" in out and "Issues:" not in out
    assert plan.tokens_saved > 10_000 and "Transforms: ['smart_crusher" in out


def test_error_handling(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    from openai import OpenAI

    from headroom_integrations import ConfigurationError, HeadroomClient, HeadroomError

    client = HeadroomClient(original_client=OpenAI(base_url=server.openai_base_url))

    try:
        response = client.chat.completions.create(model="gpt-4o", messages=large_messages, headroom_keep_turns=-1)
    except ConfigurationError as e:
        print(f"Config issue: {e.details}")
    except HeadroomError as e:
        print(f"Headroom error: {e}")

    assert "Config issue: {'field': 'headroom_keep_turns'" in capsys.readouterr().out
    assert "response" not in locals() and server.requests == []


def test_anthropic(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    from anthropic import Anthropic

    from headroom_integrations import AnthropicProvider, HeadroomClient

    client = HeadroomClient(
        original_client=Anthropic(base_url=server.anthropic_base_url),
        provider=AnthropicProvider(),
        default_mode="optimize",
    )

    # Use Anthropic-style API
    response = client.messages.create(
        model="claude-sonnet-4-20250514",
        max_tokens=1024,
        messages=[
            {"role": "user", "content": "Hello, Claude!"},
        ],
    )

    print(response.content[0].text)
    assert capsys.readouterr().out == "ok\n"


def test_verify_its_working(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient, OpenAIProvider

    client = HeadroomClient(original_client=OpenAI(base_url=server.openai_base_url), provider=OpenAIProvider())
    client.chat.completions.create(model="gpt-4o", messages=large_messages)

    stats = client.get_stats()
    print(stats)

    result = client.validate_setup()
    if not result["valid"]:
        print("Setup issues:", result)
    else:
        print("Setup OK!")
        print(f"Provider: {result['provider']['name']}")
        print(f"Storage: {result['storage']['url']}")

    out = capsys.readouterr().out
    assert stats["session"]["requests_total"] == 1 and stats["session"]["tokens_saved_total"] > 10_000
    assert stats["config"]["mode"] == "optimize" and stats["config"]["provider"] == "openai"
    assert stats["transforms"]["smart_crusher_enabled"] is True
    assert "Setup OK!\nProvider: openai\nStorage: memory://" in out


def test_skip_compression_for_specific_tools(server: ProviderServer) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient, OpenAIProvider

    client = HeadroomClient(original_client=OpenAI(base_url=server.openai_base_url), provider=OpenAIProvider())
    messages = tool_conversation(api_json(300))
    messages[2]["tool_calls"][0]["function"]["name"] = messages[3]["name"] = "database_query"

    response = client.chat.completions.create(
        model="gpt-4o",
        messages=messages,
        headroom_tool_profiles={
            "database_query": {"skip_compression": True},  # Never compress
            "search": {"max_items": 10},
        },
    )

    assert response.choices[0].message.content == "ok"
    (body,) = server.bodies("/v1/chat/completions")
    assert body["messages"][3]["content"] == messages[3]["content"]


def test_per_request_overrides(server: ProviderServer) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient

    client = HeadroomClient(original_client=OpenAI(base_url=server.openai_base_url))

    response = client.chat.completions.create(
        model="gpt-4o",
        messages=large_messages,
        # Override mode for this request
        headroom_mode="audit",
        # Reserve more tokens for output
        headroom_output_buffer_tokens=8000,
        # Keep last N turns (don't compress)
        headroom_keep_turns=5,
        # Skip compression for specific tools
        headroom_tool_profiles={"important_tool": {"skip_compression": True}},
    )

    response2 = client.chat.completions.create(
        model="gpt-4o",
        messages=large_messages,
        headroom_mode="audit",  # audit/optimize/simulate
        headroom_query="user's intent",  # relevance scoring
        headroom_output_buffer_tokens=8000,
        headroom_keep_turns=5,
        headroom_tool_profiles={
            "important_tool": {"skip_compression": True},
            "search_tool": {"max_items_after_crush": 25},
        },
    )

    assert response.choices[0].message.content == response2.choices[0].message.content == "ok"
    first, second = server.bodies("/v1/chat/completions")
    assert first["messages"] == second["messages"] == large_messages  # audit: observed, not modified
    assert [m.mode for m in client.get_metrics()] == ["audit", "audit"]


def test_headroom_parameters_next_to_openai_parameters(server: ProviderServer) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient

    client = HeadroomClient(original_client=OpenAI(base_url=server.openai_base_url))

    response = client.chat.completions.create(
        model="gpt-4o",
        messages=large_messages,
        # Headroom-specific parameters
        headroom_mode="optimize",  # "audit" | "optimize"
        headroom_output_buffer_tokens=4000,  # Reserve for output
        headroom_keep_turns=2,  # Never drop last N turns
        headroom_tool_profiles={  # Per-tool compression
            "search": {"max_array_items": 5},
        },
        # All other OpenAI parameters work normally
        temperature=0.7,
        max_tokens=1000,
    )

    (body,) = server.bodies("/v1/chat/completions")
    assert response.choices[0].message.content == "ok"
    assert body["temperature"] == 0.7 and body["max_tokens"] == 1000
    assert not any(key.startswith("headroom_") for key in body)
    assert len(body["messages"][3]["content"]) < len(large_messages[3]["content"]) / 10


def test_simulate_mode(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient

    client = HeadroomClient(original_client=OpenAI(base_url=server.openai_base_url))

    plan = client.chat.completions.simulate(
        model="gpt-4o",
        messages=large_conversation,
    )

    print(f"Tokens before: {plan.tokens_before}")
    print(f"Tokens after: {plan.tokens_after}")
    print(f"Would save {plan.tokens_saved} tokens")
    print(f"Transforms: {plan.transforms}")
    print(f"Estimated savings: {plan.estimated_savings}")

    out = capsys.readouterr().out
    assert "Estimated savings: 9" in out and plan.tokens_before - plan.tokens_after == plan.tokens_saved
    assert server.requests == []


def test_model_context_limits(server: ProviderServer) -> None:
    from openai import OpenAI

    from headroom_integrations import HeadroomClient

    base = OpenAI(base_url=server.openai_base_url)

    client = HeadroomClient(
        original_client=base,
        model_context_limits={
            "gpt-4o": 128000,
            "my-custom-model": 32000,
        },
    )

    assert client.get_stats()["config"]["model_context_limits"] == {"gpt-4o": 128000, "my-custom-model": 32000}
    client.chat.completions.create(
        model="my-custom-model", messages=large_messages, headroom_output_buffer_tokens=31000
    )
    (body,) = server.bodies("/v1/chat/completions")
    assert body["model"] == "my-custom-model"
    assert client.get_metrics()[0].tokens_after <= 1000  # fitted into 32000 - 31000 tokens


def test_custom_context_limits_on_the_provider(server: ProviderServer) -> None:
    from anthropic import Anthropic

    from headroom_integrations import AnthropicProvider, HeadroomClient

    client = HeadroomClient(
        original_client=Anthropic(base_url=server.anthropic_base_url),
        provider=AnthropicProvider(
            context_limits={
                "claude-new-model": 300000,
            }
        ),
    )

    assert client.provider.get_context_limit("claude-new-model") == 300000


def test_provider_specific_settings() -> None:
    from headroom_integrations import AnthropicProvider, GoogleProvider, OpenAIProvider

    provider = OpenAIProvider(
        # Enable automatic prefix caching
        enable_prefix_caching=True,
    )
    assert provider.enable_prefix_caching

    provider = AnthropicProvider(
        # Enable cache_control blocks
        enable_cache_control=True,
    )
    assert provider.enable_cache_control

    provider = GoogleProvider(
        # Enable context caching
        enable_context_caching=True,
    )
    assert provider.enable_context_caching


def test_validation(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    from anthropic import Anthropic

    from headroom_integrations import HeadroomClient

    client = HeadroomClient(original_client=Anthropic(base_url=server.anthropic_base_url))

    result = client.validate_setup()

    if not result["valid"]:
        print("Configuration issues:")
        for issue in result["issues"]:
            print(f"  - {issue}")

    assert result["valid"] and capsys.readouterr().out == ""


def test_streaming(server: ProviderServer, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    from openai import OpenAI

    from headroom_integrations import HeadroomClient, OpenAIProvider

    # Create base OpenAI client
    base_client = OpenAI(api_key=os.environ.get("OPENAI_API_KEY", "sk-..."), base_url=server.openai_base_url)

    # Create provider for OpenAI models
    provider = OpenAIProvider()

    # Use temp directory for database
    db_path = os.path.join(tempfile.gettempdir(), "headroom_streaming.db")

    # Wrap with Headroom
    client = HeadroomClient(
        original_client=base_client,
        provider=provider,
        store_url=f"sqlite:///{db_path}",
        default_mode="optimize",
    )

    messages = [
        {
            "role": "system",
            "content": "You are a helpful assistant. Current Date: 2024-01-15. Be concise.",
        },
        {"role": "user", "content": "Write a haiku about compression."},
    ]
    stream = client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
    for chunk in stream:
        if chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content, end="", flush=True)
    print()

    assert capsys.readouterr().out == "ok\n"
    assert os.path.exists(db_path) and client.get_summary()["total_requests"] == 1


def test_provider_token_counting_and_limits() -> None:
    from headroom_integrations import AnthropicProvider, OpenAIProvider

    anthropic_provider = AnthropicProvider()
    # Without API client, should use the calibrated fallback
    counter = anthropic_provider.get_token_counter("claude-3-5-sonnet-20241022")
    count = counter.count_text("Hello world")
    assert count > 0
    counter = anthropic_provider.get_token_counter("claude-3-5-sonnet-20241022")
    messages = [{"role": "user", "content": "Hello"}]
    count = counter.count_messages(messages)
    assert count > 0
    limit = anthropic_provider.get_context_limit("claude-3-5-sonnet-20241022")
    assert limit == 200000

    provider = OpenAIProvider()
    tokenizer = provider.get_token_counter("gpt-4o")
    assert tokenizer.count_text("Hello world") == 2
    assert provider.get_context_limit("gpt-4o") == 128000
