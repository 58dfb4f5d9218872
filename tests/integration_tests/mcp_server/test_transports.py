"""The MCP server as users run it: ``headroom-integrations mcp`` in a subprocess, over stdio and streamable HTTP.

The refs it serves come from other processes writing the same SQLite file:
the proxy, and ``compress()`` in the test process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headroom_integrations import CompressionStore, MetricsStore, compress
from tests.support.fixtures import api_json, tool_conversation

mcp = pytest.importorskip("mcp", reason="the mcp extra is not installed")

from mcp.client.stdio import StdioServerParameters  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "headroom_integrations.cli", "mcp", *args]


def _stdio(store_url: str) -> Any:
    command = _command("--store", store_url)
    return StdioServerParameters(command=command[0], args=command[1:], env={"PYTHONPATH": str(REPO)}, cwd=str(REPO))


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shared.db'}"


async def test_stdio_serves_a_ref_written_by_compress_in_another_process(store_url: str) -> None:
    with CompressionStore(url=store_url) as store, MetricsStore(store_url) as metrics:
        result = compress(tool_conversation(api_json(300)), store=store, metrics_store=metrics, integration="cli")
    async with mcp.Client(_stdio(store_url)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {"headroom_compress", "headroom_retrieve", "headroom_stats"}
        matching = await client.call_tool("headroom_retrieve", {"ref": result.refs[0], "query": "48402"})
        missing = await client.call_tool("headroom_retrieve", {"ref": "0" * 24})
        compressed = await client.call_tool("headroom_compress", {"text": api_json(200), "query": "48137"})
        stats = await client.call_tool("headroom_stats", {})
    assert not matching.is_error and "48402" in matching.content[0].text
    assert missing.is_error and "never stored" in missing.content[0].text
    assert not compressed.is_error and compressed.structured_content["tokens_saved"] > 0
    stored = stats.structured_content["stored"]
    assert stored["requests"] == 1 and stored["tokens_saved"] == result.tokens_saved  # the model call
    assert stored["by_kind"]["tool_result"]["tokens_saved"] == compressed.structured_content["tokens_saved"]


async def test_stdio_serves_a_ref_produced_by_the_proxy(store_url: str) -> None:
    pytest.importorskip("fastapi", reason="the proxy extra is not installed")
    import httpx

    from headroom_integrations.proxy import ProxySettings, create_app
    from tests.support.asgi_server import serve_app

    with serve_app(create_app(ProxySettings(store_url=store_url))) as url:
        answer = httpx.post(url + "/v1/compress", json={"messages": tool_conversation(api_json(300))}).json()
    async with mcp.Client(_stdio(store_url)) as client:
        original = await client.call_tool("headroom_retrieve", {"ref": answer["refs"][0]})
        stats = await client.call_tool("headroom_stats", {})
    assert original.content[0].text == api_json(300)
    assert stats.structured_content["stored"]["by_integration"]["proxy:compress"] == answer["tokens_saved"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(store_url: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        _command("--http", "--port", str(port), "--store", store_url),
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = process.stderr.read() if process.stderr else b""
                    raise RuntimeError(f"mcp --http did not start: {log!r}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


async def test_streamable_http_compresses_and_retrieves(http_server: str, store_url: str) -> None:
    async with mcp.Client(http_server) as client:
        compressed = await client.call_tool(
            "headroom_compress", {"messages": tool_conversation(api_json(300)), "query": "order 48137"}
        )
        ref = compressed.structured_content["refs"][0]
        original = await client.call_tool("headroom_retrieve", {"ref": ref, "query": "48137"})
        bad = await client.call_tool("headroom_compress", {"text": "a", "messages": []})
        stats = await client.call_tool("headroom_stats", {})
    assert "48137" in compressed.structured_content["messages"][3]["content"]
    assert "48137" in original.content[0].text
    assert bad.is_error
    assert stats.structured_content["session"]["calls"] == 1
    # The ref is in the shared file, readable by any later process.
    with CompressionStore(url=store_url) as store:
        assert ref in store
