"""OpenAI and Anthropic pass-through with the real SDKs pointed at the proxy, and a loopback fake upstream."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from headroom_integrations import MetricsStore
from tests.support.fixtures import api_json, tool_conversation
from tests.support.upstreams import REPLY_TEXT, anthropic_events, openai_chunks

from .conftest import API_KEY, Proxy

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")

UPSTREAM_KEY = "sk-upstream-key"
TOOLS = [{"type": "function", "function": {"name": "list_orders", "parameters": {"type": "object"}}}]


def _openai(proxy: Proxy) -> Any:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key=UPSTREAM_KEY, default_headers=proxy.auth, max_retries=0)


def _anthropic(proxy: Proxy) -> Any:
    return anthropic.Anthropic(base_url=proxy.url, api_key=UPSTREAM_KEY, default_headers=proxy.auth, max_retries=0)


def _anthropic_conversation(tool_output: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Why did order 48137 fail?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "list_orders", "input": {"status": "any"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": tool_output}]},
                {"type": "text", "text": "Answer briefly."},
            ],
        },
    ]


def test_openai_sdk_call_is_compressed_forwarded_and_answered(proxy: Proxy) -> None:
    messages = tool_conversation(api_json(300))
    raw = _openai(proxy).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=messages, tools=TOOLS, temperature=0.2
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == REPLY_TEXT
    saved = int(raw.headers["x-headroom-tokens-saved"])
    assert saved == int(raw.headers["x-headroom-tokens-before"]) - int(raw.headers["x-headroom-tokens-after"]) > 10_000

    (received,) = proxy.upstream.received
    assert received.path == "/v1/chat/completions"
    sent = received.body
    assert sent["tools"] == TOOLS and sent["temperature"] == 0.2 and sent["model"] == "gpt-4o"
    assert sent["messages"][:3] == messages[:3]
    assert len(sent["messages"][3]["content"]) < len(messages[3]["content"]) / 10
    assert "48137" in sent["messages"][3]["content"]
    # The client's provider key reaches the provider; the proxy's own key does not.
    assert received.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert "x-headroom-api-key" not in received.headers
    with MetricsStore(proxy.settings.store_url) as metrics:
        assert metrics.get_summary().by_integration["proxy:openai"].tokens_saved == saved


def test_openai_stream_comes_back_byte_for_byte(proxy: Proxy) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": tool_conversation(api_json(200))}
    with httpx.stream("POST", proxy.url + "/v1/chat/completions", json=body, headers=proxy.auth) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert int(response.headers["x-headroom-tokens-saved"]) > 0
        streamed = b"".join(response.iter_raw())
    assert streamed == b"".join(openai_chunks("gpt-4o"))

    stream = _openai(proxy).chat.completions.create(**body)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == REPLY_TEXT


@pytest.mark.parametrize(
    "system",
    [
        "You are a support agent.",
        [{"type": "text", "text": "You are a support agent.", "cache_control": {"type": "ephemeral"}}],
    ],
)
def test_anthropic_sdk_call_keeps_system_and_blocks_and_compresses_tool_results(proxy: Proxy, system: Any) -> None:
    messages = _anthropic_conversation(api_json(300))
    raw = _anthropic(proxy).messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=256, system=system, messages=messages
    )
    assert raw.parse().content[0].text == REPLY_TEXT
    assert int(raw.headers["x-headroom-tokens-saved"]) > 10_000

    (received,) = proxy.upstream.received
    assert received.path == "/v1/messages"
    sent = received.body
    assert sent["system"] == system and sent["max_tokens"] == 256
    assert sent["messages"][:2] == messages[:2]  # tool_use block untouched
    result_block, trailing_text = sent["messages"][2]["content"]
    assert trailing_text == messages[2]["content"][1]
    assert result_block["type"] == "tool_result" and result_block["tool_use_id"] == "toolu_1"
    assert set(result_block) == {"type", "tool_use_id", "content"}
    compressed = result_block["content"][0]["text"]
    assert "48137" in compressed and len(compressed) < len(api_json(300)) / 10
    presented = (received.headers.get("x-api-key"), received.headers.get("authorization", "").removeprefix("Bearer "))
    assert UPSTREAM_KEY in presented


def test_anthropic_stream_comes_back_byte_for_byte(proxy: Proxy) -> None:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": True, "messages": _anthropic_conversation("ok")}
    with httpx.stream("POST", proxy.url + "/v1/messages", json=body, headers=proxy.auth) as response:
        streamed = b"".join(response.iter_raw())
    assert streamed == b"".join(anthropic_events("claude-sonnet-4-5"))

    with _anthropic(proxy).messages.stream(
        model="claude-sonnet-4-5", max_tokens=64, messages=_anthropic_conversation(api_json(100))
    ) as stream:
        assert "".join(stream.text_stream) == REPLY_TEXT


def test_a_request_with_nothing_to_compress_is_forwarded_unchanged(proxy: Proxy) -> None:
    raw = b'{"model":"gpt-4o",  "messages":[{"role":"user","content":"hi"}], "n": 1}'
    response = httpx.post(
        proxy.url + "/v1/chat/completions?trace=1", content=raw, headers={**proxy.auth, "x-custom": "kept"}
    )
    assert response.status_code == 200 and response.headers["x-headroom-tokens-saved"] == "0"
    assert response.headers["x-fake-upstream"] == "1"
    (received,) = proxy.upstream.received
    assert received.path == "/v1/chat/completions?trace=1" and received.headers["x-custom"] == "kept"
    assert received.body == json.loads(raw)


def test_a_body_without_messages_is_forwarded_with_the_reason(proxy: Proxy) -> None:
    response = httpx.post(proxy.url + "/v1/messages", json={"model": "claude", "prompt": "hi"}, headers=proxy.auth)
    assert response.status_code == 200
    assert response.headers["x-headroom-skipped"] == "no messages list in the request"
    assert proxy.upstream.received[0].body == {"model": "claude", "prompt": "hi"}


def test_malformed_json_is_refused_before_forwarding(proxy: Proxy) -> None:
    response = httpx.post(proxy.url + "/v1/chat/completions", content=b'{"messages": [', headers=proxy.auth)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_json"
    assert proxy.upstream.received == []


def test_pass_through_needs_the_proxy_key_in_its_own_header(proxy: Proxy) -> None:
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert proxy.upstream.received == []


def test_unreachable_upstream_is_a_502(start_proxy: Any) -> None:
    proxy = start_proxy(upstream_openai="http://127.0.0.1:9/v1")
    response = httpx.post(proxy.url + "/v1/chat/completions", json={"model": "gpt-4o", "messages": []})
    assert response.status_code == 502
    assert response.json()["error"]["type"] == "upstream_unreachable"


def test_a_ref_dropped_in_pass_through_is_retrievable(proxy: Proxy) -> None:
    _openai(proxy).chat.completions.create(model="gpt-4o", messages=tool_conversation(api_json(300)))
    sent = proxy.upstream.received[0].body["messages"][3]["content"]
    ref = next(item["_headroom_ref"] for item in json.loads(sent) if isinstance(item, dict) and "_headroom_ref" in item)
    retrieved = httpx.post(proxy.url + "/v1/retrieve", json={"ref": ref, "query": "48402"}, headers=proxy.auth)
    assert "48402" in retrieved.json()["content"]
