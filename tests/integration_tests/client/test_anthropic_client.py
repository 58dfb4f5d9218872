"""HeadroomClient over the real Anthropic SDK, against a loopback messages server."""

from __future__ import annotations

import copy
import json
from typing import Any

import anthropic
import pytest

from headroom_integrations import AnthropicProvider, HeadroomClient, SimulationResult
from headroom_integrations.engine.tokens import get_tokenizer
from tests.support.fixtures import api_json
from tests.support.provider_servers import ProviderServer, strip_cache_control

MESSAGES = "/v1/messages"
MODEL = "claude-sonnet-4-5"
EPHEMERAL = {"type": "ephemeral"}
TOOLS = [
    {"name": "list_orders", "description": "List orders", "input_schema": {"type": "object", "properties": {}}},
    {"name": "refund", "description": "Refund an order", "input_schema": {"type": "object", "properties": {}}},
]
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
# Standard parameters besides messages/system/tools; the provider must receive each exactly as given.
PARAMS: dict[str, Any] = {
    "max_tokens": 512,
    "service_tier": "auto",
    "stop_sequences": ["END"],
    "metadata": {"user_id": "user-42"},
    "tool_choice": {"type": "auto"},
}


def _messages(orders: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Why did order 48137 fail? Here is the receipt."},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I should list the orders.", "signature": "sig-1"},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "list_orders", "input": {"limit": 300}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": orders or api_json(300)}],
        },
    ]


def _client(sdk: Any, **provider: Any) -> HeadroomClient:
    return HeadroomClient(sdk, provider=AnthropicProvider(**provider), store_url="memory://")


def test_blocks_survive_only_tool_result_text_is_compressed_and_parameters_are_unchanged(
    server: ProviderServer, anthropic_client: Any
) -> None:
    messages = _messages()
    original = copy.deepcopy(messages)
    client = _client(anthropic_client, enable_cache_control=False)
    response = client.messages.create(
        model=MODEL, system="You are a support agent.", messages=messages, tools=TOOLS, **PARAMS
    )
    assert messages == original
    (body,) = server.bodies(MESSAGES)
    assert {k: v for k, v in body.items() if k != "messages"} == {
        "model": MODEL,
        "system": "You are a support agent.",
        "tools": TOOLS,
        **PARAMS,
    }
    sent = body["messages"]
    assert sent[:2] == original[:2]  # text, image, thinking and tool_use blocks exactly as given
    result = sent[2]["content"][0]
    assert {k: v for k, v in result.items() if k != "content"} == {"type": "tool_result", "tool_use_id": "toolu_1"}
    assert len(result["content"]) < len(original[2]["content"][0]["content"]) / 10
    assert "payment gateway timeout on order 48137" in result["content"]

    direct = anthropic_client.messages.create(model=MODEL, system="You are a support agent.", messages=sent, **PARAMS)
    assert type(response) is anthropic.types.Message
    assert response.model_dump(exclude={"usage"}) == direct.model_dump(exclude={"usage"})


def test_cache_control_marks_tools_system_the_last_message_and_the_previous_requests_end(
    server: ProviderServer, anthropic_client: Any
) -> None:
    client = _client(anthropic_client)
    system = [{"type": "text", "text": "You are a support agent."}, {"type": "text", "text": "Be brief."}]
    client.messages.create(model=MODEL, system=system, messages=_messages(), tools=TOOLS, **PARAMS)
    (body,) = server.bodies(MESSAGES)
    assert body["tools"][-1]["cache_control"] == EPHEMERAL and "cache_control" not in body["tools"][0]
    assert body["system"][-1]["cache_control"] == EPHEMERAL and body["system"][0] == system[0]
    assert body["messages"][-1]["content"][-1]["cache_control"] == EPHEMERAL
    # The request before this one ended with the user's question (its last block, the image).
    assert body["messages"][0]["content"][-1]["cache_control"] == EPHEMERAL
    assert "cache_control" not in json.dumps(body["messages"][1])
    assert json.dumps(body).count("cache_control") == 4
    assert strip_cache_control(body["tools"]) == TOOLS and strip_cache_control(body["system"]) == system


def test_callers_breakpoints_are_kept_and_the_total_never_exceeds_four(
    server: ProviderServer, anthropic_client: Any
) -> None:
    system = [{"type": "text", "text": "You are a support agent.", "cache_control": EPHEMERAL}]
    messages = _messages()
    messages[0]["content"][0]["cache_control"] = EPHEMERAL
    messages[1]["content"][1]["cache_control"] = EPHEMERAL
    _client(anthropic_client).messages.create(model=MODEL, system=system, messages=messages, tools=TOOLS, **PARAMS)
    (body,) = server.bodies(MESSAGES)
    assert json.dumps(body).count("cache_control") == 4
    assert body["system"] == system and body["tools"][-1]["cache_control"] == EPHEMERAL
    assert "cache_control" not in json.dumps(body["messages"][-1])


def test_second_request_reads_the_prefix_from_the_provider_cache(server: ProviderServer, anthropic_client: Any) -> None:
    client = _client(anthropic_client)
    for _ in range(2):
        client.messages.create(model=MODEL, system="You are a support agent.", messages=_messages(), **PARAMS)
    first, second = client.get_metrics()[::-1]
    assert first.cache_creation_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    summary = client.get_summary()
    assert summary["total_cache_read_input_tokens"] == second.cache_read_input_tokens
    assert client.get_stats()["session"]["cache_read_input_tokens_total"] == second.cache_read_input_tokens


def test_streaming_create_and_the_stream_helper_return_the_sdks_streams(
    server: ProviderServer, anthropic_client: Any
) -> None:
    client = _client(anthropic_client)
    events = client.messages.create(model=MODEL, messages=_messages(), stream=True, **PARAMS)
    assert type(events) is anthropic.Stream
    assert [e.type for e in events][0::5] == ["message_start", "message_stop"]
    with client.messages.stream(model=MODEL, messages=_messages(), **PARAMS) as stream:
        assert stream.get_final_text() == "ok"
    first, second = server.bodies(MESSAGES)
    assert first["stream"] is True and second["stream"] is True
    assert first["messages"] == second["messages"]
    assert len(json.dumps(first["messages"])) < len(json.dumps(_messages())) / 10


async def test_async_client_create_and_stream(server: ProviderServer, async_anthropic_client: Any) -> None:
    server.reply = lambda body: {"tool": "refund", "input": {"order": 48137}}
    client = _client(async_anthropic_client)
    message = await client.messages.create(model=MODEL, system="Be brief.", messages=_messages(), tools=TOOLS, **PARAMS)
    assert type(message) is anthropic.types.Message
    assert message.content[0].type == "tool_use" and message.content[0].input == {"order": 48137}
    async with client.messages.stream(model=MODEL, messages=_messages(), **PARAMS) as stream:
        final = await stream.get_final_message()
    assert final.content[0].name == "refund"
    first, second = server.bodies(MESSAGES)
    assert strip_cache_control(first["messages"]) == strip_cache_control(second["messages"])
    assert len(json.dumps(first["messages"])) < len(json.dumps(_messages())) / 10


def test_budget_fitting_keeps_a_valid_anthropic_request(server: ProviderServer, anthropic_client: Any) -> None:
    messages: list[dict[str, Any]] = []
    for turn in range(10):
        messages += [
            {"role": "user", "content": f"Question {turn}: " + "explain the refund policy once more please. " * 40},
            {"role": "assistant", "content": [{"type": "text", "text": "Refunds take five days. " * 40}]},
        ]
    messages += _messages()
    client = _client(anthropic_client, enable_cache_control=False)
    client.messages.create(model=MODEL, system="Be brief.", messages=messages, headroom_token_budget=3000, **PARAMS)
    (body,) = server.bodies(MESSAGES)
    sent = body["messages"]
    assert body["system"] == "Be brief."
    assert get_tokenizer(MODEL).count_messages([{"role": "system", "content": "Be brief."}, *sent]) <= 3000
    assert sent[-3:-1] == messages[-3:-1] and sent[-1]["content"][0]["tool_use_id"] == "toolu_1"
    assert all(m["role"] in ("user", "assistant") for m in sent)


def test_simulate_calls_nothing(server: ProviderServer, anthropic_client: Any) -> None:
    client = _client(anthropic_client)
    plan = client.messages.simulate(model=MODEL, system="Be brief.", messages=_messages(), max_tokens=10)
    assert isinstance(plan, SimulationResult) and plan.tokens_saved > 10_000
    assert server.requests == [] and client.get_metrics() == []


def test_token_counter_uses_count_tokens_and_falls_back_when_unreachable(
    server: ProviderServer, anthropic_client: Any
) -> None:
    counter = AnthropicProvider(client=anthropic_client).get_token_counter(MODEL)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello, Claude!"}]
    exact = counter.count_messages(messages)
    assert exact.is_estimate is False and exact.method == "anthropic:count_tokens"
    (body,) = server.bodies("/v1/messages/count_tokens")
    assert body == {"model": MODEL, "system": "Be brief.", "messages": [messages[1]]}

    offline = anthropic.Anthropic(api_key="x", base_url="http://127.0.0.1:9", max_retries=0)
    fallback = AnthropicProvider(client=offline).get_token_counter(MODEL)
    estimate = fallback.count_messages(messages)
    assert estimate.is_estimate is True and int(estimate) > 0 and fallback.uses_api is False


@pytest.mark.parametrize("enable", [True, False])
def test_auto_detected_provider_is_anthropic(anthropic_client: Any, enable: bool) -> None:
    client = HeadroomClient(anthropic_client, provider=AnthropicProvider(enable_cache_control=enable))
    assert client.validate_setup()["provider"]["enable_cache_control"] is enable
    assert HeadroomClient(anthropic_client).provider.name == "anthropic"
