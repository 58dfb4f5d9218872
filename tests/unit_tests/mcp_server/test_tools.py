"""The MCP tools through the SDK's own client, connected in-process: schemas, results and tool errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from headroom_integrations import CompressionStore, compress
from headroom_integrations.engine.metrics import MetricsStore
from tests.support.fixtures import api_json, app_log, tool_conversation

mcp = pytest.importorskip("mcp", reason="the mcp extra is not installed")

from headroom_integrations.mcp import create_server  # noqa: E402


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'headroom.db'}"


async def _call(store_url: str, *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    server, tools = create_server(store_url)
    try:
        async with mcp.Client(server) as client:
            return [await client.call_tool(name, arguments) for name, arguments in calls]
    finally:
        tools.close()


async def test_every_tool_and_argument_is_described(store_url: str) -> None:
    server, tools = create_server(store_url)
    async with mcp.Client(server) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    tools.close()
    assert set(listed) == {"headroom_compress", "headroom_retrieve", "headroom_stats"}
    for tool in listed.values():
        assert tool.description
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
    assert listed["headroom_retrieve"].input_schema["required"] == ["ref"]


async def test_compress_text_then_retrieve_the_dropped_items(store_url: str) -> None:
    (compressed,) = await _call(
        store_url, ("headroom_compress", {"text": api_json(300), "query": "order 48137", "tool_name": "list_orders"})
    )
    assert not compressed.is_error
    result = compressed.structured_content
    assert result["tokens_saved"] == result["tokens_before"] - result["tokens_after"] > 10_000
    assert "48137" in result["compressed_text"] and len(result["compressed_text"]) < len(api_json(300)) / 10
    retrieved, matching = await _call(
        store_url,
        ("headroom_retrieve", {"ref": result["refs"][0]}),
        ("headroom_retrieve", {"ref": result["refs"][0], "query": "48402"}),
    )
    assert json.loads(retrieved.content[0].text) == json.loads(api_json(300))
    assert "48402" in matching.content[0].text and "48010" not in matching.content[0].text
    with MetricsStore(store_url) as metrics:  # both retrievals are feedback for list_orders
        learned = metrics.get_summary().learned_adjustments["list_orders"]
    assert (learned["retrievals"], learned["outputs"], learned["keep_terms"]) == (2, 1, ["48402"])


async def test_compress_messages_keeps_the_conversation_shape(store_url: str) -> None:
    messages = tool_conversation(app_log(1500), "which batch failed to flush?")
    (called,) = await _call(store_url, ("headroom_compress", {"messages": messages}))
    result = called.structured_content
    assert [m["role"] for m in result["messages"]] == [m["role"] for m in messages]
    assert "9f3ac2" in result["messages"][3]["content"] and result["refs"]


async def test_small_text_comes_back_unchanged_with_the_reason(store_url: str) -> None:
    (called,) = await _call(store_url, ("headroom_compress", {"text": "just a few words"}))
    result = called.structured_content
    assert result["compressed_text"] == "just a few words" and result["tokens_saved"] == 0
    assert any("min_tokens" in reason for reason in result["unchanged_because"])


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("headroom_compress", {}, "exactly one of"),
        ("headroom_compress", {"text": "x", "messages": []}, "exactly one of"),
        ("headroom_compress", {"messages": [1, 2]}, "valid dictionary"),
        ("headroom_compress", {"messages": [], "model": 5}, "valid string"),
        ("headroom_retrieve", {"ref": "0" * 24}, "never stored"),
        ("headroom_retrieve", {}, "ref"),
        ("no_such_tool", {}, "no_such_tool"),
    ],
)
async def test_bad_calls_are_tool_errors_and_the_server_keeps_serving(
    store_url: str, name: str, arguments: dict[str, Any], message: str
) -> None:
    failed, stats = await _call(store_url, (name, arguments), ("headroom_stats", {}))
    assert failed.is_error and message in failed.content[0].text
    assert not stats.is_error


async def test_stats_report_the_session_and_the_shared_store(store_url: str) -> None:
    # Another component (here compress() in this process) recorded savings in the same SQLite file first.
    from headroom_integrations import MetricsStore

    with CompressionStore(url=store_url) as store, MetricsStore(store_url) as metrics:
        earlier = compress(tool_conversation(api_json(200)), store=store, metrics_store=metrics, integration="cli")
    _, stats = await _call(
        store_url, ("headroom_compress", {"text": api_json(300), "query": "48137"}), ("headroom_stats", {})
    )
    totals = stats.structured_content
    assert totals["session"]["calls"] == 1
    # the CLI's conversation is a model call, this server's text compression a tool result: never added
    assert totals["stored"]["requests"] == 1
    assert totals["stored"]["by_integration"]["cli"] == earlier.tokens_saved
    assert totals["stored"]["tokens_saved"] == earlier.tokens_saved
    assert totals["stored"]["by_kind"]["tool_result"]["requests"] == 1
    assert totals["stored"]["by_kind"]["tool_result"]["tokens_saved"] == totals["session"]["tokens_saved"]
    assert totals["store"]["entries"] >= 2
