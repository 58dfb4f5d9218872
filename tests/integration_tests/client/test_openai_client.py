"""HeadroomClient over the real OpenAI SDK, against a loopback chat-completions server."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

import openai
import pytest

from headroom_integrations import (
    ConfigurationError,
    HeadroomClient,
    OpenAIProvider,
    SimulationResult,
    compress,
    retrieve,
)
from headroom_integrations.engine.tokens import get_tokenizer
from tests.support.fixtures import api_json, tool_conversation
from tests.support.provider_servers import ProviderServer

CHAT = "/v1/chat/completions"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "list_orders",
            "description": "List orders",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]
# Every standard parameter a caller may pass; the provider must receive each exactly as given.
PARAMS: dict[str, Any] = {
    "temperature": 0.2,
    "top_p": 0.9,
    "max_tokens": 256,
    "seed": 7,
    "stop": ["\n\nEND"],
    "n": 1,
    "presence_penalty": 0.1,
    "frequency_penalty": 0.2,
    "logit_bias": {"50256": -100},
    "user": "user-42",
    "metadata": {"ticket": "T-1"},
    "tools": TOOLS,
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "response_format": {"type": "text"},
    "logprobs": False,
}


def _conversation() -> list[dict[str, Any]]:
    return tool_conversation(api_json(300))


def _client(openai_client: Any, **kwargs: Any) -> HeadroomClient:
    return HeadroomClient(openai_client, store_url="memory://", **kwargs)


def test_provider_receives_the_engines_compressed_messages_and_every_other_parameter_unchanged(
    server: ProviderServer, openai_client: Any
) -> None:
    messages = _conversation()
    before = json.dumps(messages)
    client = _client(openai_client)
    response = client.chat.completions.create(model="gpt-4o", messages=messages, **PARAMS)

    (body,) = server.bodies(CHAT)
    # TOOLS has no headroom_retrieve, so the markers carry the bare ref
    expected = compress(messages, "gpt-4o", mode="simulate", retrieve_tool=False).messages
    assert body["messages"] == json.loads(json.dumps(expected))
    assert "headroom_retrieve" not in json.dumps(body["messages"])
    assert len(body["messages"][3]["content"]) < len(messages[3]["content"]) / 10
    assert "payment gateway timeout on order 48137" in body["messages"][3]["content"]
    assert {k: v for k, v in body.items() if k != "messages"} == {"model": "gpt-4o", **PARAMS}
    assert json.dumps(messages) == before  # the caller's list is never mutated

    # The SDK's own object, exactly as a direct SDK call to the same server builds it.
    direct = openai_client.chat.completions.create(model="gpt-4o", messages=body["messages"], **PARAMS)
    assert type(response) is openai.types.chat.ChatCompletion
    assert response.model_dump() == direct.model_dump()


def test_dropped_content_is_retrievable_from_the_clients_store(server: ProviderServer, openai_client: Any) -> None:
    client = _client(openai_client)
    client.chat.completions.create(model="gpt-4o", messages=_conversation())
    (record,) = client.get_metrics()
    assert record.refs
    restored = json.loads(retrieve(record.refs[0], store=client.store))
    assert len(restored) == 300 and restored[137]["error"] == "payment gateway timeout on order 48137"


def test_streaming_returns_the_sdks_stream(server: ProviderServer, openai_client: Any) -> None:
    client = _client(openai_client)
    stream = client.chat.completions.create(
        model="gpt-4o", messages=_conversation(), stream=True, stream_options={"include_usage": True}
    )
    assert type(stream) is openai.Stream
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "ok"
    assert chunks[-1].usage is not None
    (body,) = server.bodies(CHAT)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert len(json.dumps(body["messages"])) < len(json.dumps(_conversation())) / 10
    assert client.get_stats()["session"]["requests_total"] == 1


async def test_async_client_compresses_and_returns_the_sdks_objects(
    server: ProviderServer, async_openai_client: Any
) -> None:
    client = _client(async_openai_client)
    response = await client.chat.completions.create(model="gpt-4o", messages=_conversation(), **PARAMS)
    assert type(response) is openai.types.chat.ChatCompletion and response.choices[0].message.content == "ok"
    stream = await client.chat.completions.create(model="gpt-4o", messages=_conversation(), stream=True)
    assert type(stream) is openai.AsyncStream
    assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]) == "ok"
    first, second = server.bodies(CHAT)
    assert first["messages"] == second["messages"]  # same input, byte-identical compressed request
    assert {k: v for k, v in first.items() if k != "messages"} == {"model": "gpt-4o", **PARAMS}
    assert len(json.dumps(first["messages"])) < len(json.dumps(_conversation())) / 10


def test_tool_calls_in_the_response_come_back_as_the_sdk_parsed_them(
    server: ProviderServer, openai_client: Any
) -> None:
    server.reply = lambda body: {"tool": "list_orders", "input": {"status": "failed"}}
    response = _client(openai_client).chat.completions.create(model="gpt-4o", messages=_conversation(), tools=TOOLS)
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "list_orders" and json.loads(call.function.arguments) == {"status": "failed"}


def test_audit_mode_sends_the_original_and_records_what_optimize_would_save(
    server: ProviderServer, openai_client: Any
) -> None:
    messages = _conversation()
    client = _client(openai_client, default_mode="audit")
    client.chat.completions.create(model="gpt-4o", messages=messages)
    (body,) = server.bodies(CHAT)
    assert body["messages"] == messages
    (record,) = client.get_metrics()
    assert record.mode == "audit" and record.tokens_after == record.tokens_before


def test_simulate_calls_nothing_and_stores_nothing(server: ProviderServer, openai_client: Any) -> None:
    client = _client(openai_client)
    plan = client.chat.completions.simulate(model="gpt-4o", messages=_conversation())
    also = client.chat.completions.create(model="gpt-4o", messages=_conversation(), headroom_mode="simulate")
    assert isinstance(plan, SimulationResult) and isinstance(also, SimulationResult)
    assert plan.tokens_saved > 10_000 and plan.transforms
    assert server.requests == []
    assert client.store.stats().entries == 0
    assert client.get_metrics() == [] and client.get_stats()["session"]["requests_total"] == 0


def test_tool_profiles_skip_one_tool_and_crush_another_differently(server: ProviderServer, openai_client: Any) -> None:
    orders, audit = api_json(300), api_json(200, seed=3)
    messages = [
        *tool_conversation(orders, query="Summarise the recent orders"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_2", "type": "function", "function": {"name": "audit_log", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_2", "content": audit},
    ]
    client = _client(openai_client)
    client.chat.completions.create(model="gpt-4o", messages=messages)
    client.chat.completions.create(
        model="gpt-4o",
        messages=messages,
        headroom_tool_profiles={
            "audit_log": {"skip_compression": True},
            "list_orders": {"keep_first": 10, "max_items_after_crush": 30},
        },
    )
    default, profiled = server.bodies(CHAT)
    assert profiled["messages"][5]["content"] == audit  # skipped: byte for byte
    assert default["messages"][5]["content"] != audit
    kept_default, kept_profiled = (b["messages"][3]["content"].count('"id": 48') for b in (default, profiled))
    assert kept_default < kept_profiled < 300
    assert (
        '"id": 48009' in profiled["messages"][3]["content"] and '"id": 48009' not in default["messages"][3]["content"]
    )
    assert "payment gateway timeout on order 48137" in profiled["messages"][3]["content"]


def test_token_budget_and_keep_turns_fit_the_history(server: ProviderServer, openai_client: Any) -> None:
    history: list[dict[str, Any]] = [{"role": "system", "content": "You are a support agent."}]
    for turn in range(12):
        history += [
            {"role": "user", "content": f"Question {turn}: " + "please summarise the shipping policy again. " * 40},
            {"role": "assistant", "content": f"Answer {turn}: " + "the policy says orders ship in two days. " * 40},
        ]
    history.append({"role": "user", "content": "And what about returns?"})
    client = _client(openai_client)
    client.chat.completions.create(model="gpt-4o", messages=history, headroom_token_budget=2000, headroom_keep_turns=1)
    (body,) = server.bodies(CHAT)
    assert get_tokenizer("gpt-4o").count_messages(body["messages"]) <= 2000
    assert body["messages"][-1] == history[-1] and body["messages"][0] == history[0]


def test_misspelt_headroom_option_raises_before_any_request(server: ProviderServer, openai_client: Any) -> None:
    client = _client(openai_client)
    with pytest.raises(ConfigurationError) as err:
        client.chat.completions.create(model="gpt-4o", messages=_conversation(), headroom_keep_turn=2)
    assert "headroom_keep_turns" in str(err.value) and err.value.details["field"] == "headroom_keep_turn"
    with pytest.raises(ConfigurationError):
        client.chat.completions.create(
            model="gpt-4o", messages=_conversation(), headroom_tool_profiles={"x": {"skip_compresion": True}}
        )
    assert server.requests == []


def test_provider_is_detected_and_a_mismatch_is_refused(openai_client: Any, anthropic_client: Any) -> None:
    assert isinstance(HeadroomClient(openai_client).provider, OpenAIProvider)
    with pytest.raises(ConfigurationError):
        HeadroomClient(anthropic_client, provider=OpenAIProvider())
    with pytest.raises(ConfigurationError) as err:
        HeadroomClient(openai_client, defualt_mode="audit")
    assert "default_mode" in str(err.value)
    with pytest.raises(ConfigurationError):
        HeadroomClient(object())


def test_everything_else_is_the_sdk_clients(openai_client: Any) -> None:
    client = HeadroomClient(openai_client)
    assert client.models is openai_client.models
    assert client.chat.completions.with_raw_response is not None
    assert client.original_client is openai_client


def test_metrics_summary_and_stats(server: ProviderServer, openai_client: Any, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'headroom.db'}"
    server.openai_cached_tokens = 128
    client = HeadroomClient(openai_client, store_url=url)
    started = time.time()
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=_conversation())
    summary = client.get_summary()
    assert summary["total_requests"] == 3 and summary["total_tokens_saved"] > 30_000
    assert 0 < summary["avg_compression_ratio"] < 0.1 and summary["total_cost_saved_usd"] > 0
    assert summary["total_cache_read_input_tokens"] == 3 * 128
    assert len(client.get_metrics(limit=2)) == 2
    assert client.get_metrics(start_time=started - 60, end_time=started - 30) == []
    assert client.get_metrics()[0].provider == "openai"

    stats_before_close = client.get_stats()
    client.close()  # the stats come from memory: they still work with the stores closed
    assert client.get_stats()["session"] == stats_before_close["session"]
    assert stats_before_close["session"]["requests_total"] == 3
    assert (
        stats_before_close["config"]["mode"] == "optimize" and stats_before_close["transforms"]["smart_crusher_enabled"]
    )

    again = HeadroomClient(openai_client, store_url=url)  # the metrics outlive the client
    assert again.get_summary()["total_requests"] == 3
    again.close()


def test_validate_setup_reports_an_unwritable_store(openai_client: Any, tmp_path: Any) -> None:
    assert HeadroomClient(openai_client).validate_setup()["valid"] is True
    folder = tmp_path / "metrics"
    client = HeadroomClient(openai_client, metrics_url=f"jsonl:///{folder / 'm.jsonl'}")
    shutil.rmtree(folder)
    result = client.validate_setup()
    assert result["valid"] is False and any("metrics" in issue for issue in result["issues"])
    assert result["provider"]["name"] == "openai" and result["tokenizer"]["ok"]


def test_input_the_engine_cannot_take_goes_to_the_provider_as_given(server: ProviderServer, openai_client: Any) -> None:
    client = _client(openai_client)
    client.chat.completions.create(model="gpt-4o", messages=(m for m in _conversation()))  # a one-shot iterable
    client.chat.completions.create(model="gpt-4o", messages="not a message list")
    compressed, as_given = server.bodies(CHAT)
    assert len(json.dumps(compressed["messages"])) < len(json.dumps(_conversation())) / 10
    assert as_given["messages"] == "not a message list"
    assert client.get_stats()["session"]["requests_total"] == 1  # the uncompressed call saved nothing to report
