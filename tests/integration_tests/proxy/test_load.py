"""500 concurrent ``/v1/compress`` requests against one proxy: all answered, totals exact (loopback, bounded)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from headroom_integrations import MetricsStore
from tests.support.fixtures import api_json, tool_conversation

from .conftest import Proxy

REQUESTS = 500
DISTINCT = 25  # distinct conversations, each sent 20 times: cold and cached compressions both run


@pytest.mark.slow
async def test_500_concurrent_compress_requests_are_all_answered_and_counted(proxy: Proxy) -> None:
    bodies = [
        {"messages": tool_conversation(api_json(40 + i, errors=(10 + i,), seed=i)), "model": "gpt-4o"}
        for i in range(DISTINCT)
    ]
    limits = httpx.Limits(max_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=proxy.url, headers=proxy.auth, limits=limits, timeout=120) as client:

        async def one(i: int) -> Any:
            response = await client.post("/v1/compress", json=bodies[i % DISTINCT])
            return response.status_code, response.json()

        results = await asyncio.gather(*(one(i) for i in range(REQUESTS)))
    # A fresh connection: one of the 500 pooled ones may have idled past the server's keep-alive meanwhile.
    async with httpx.AsyncClient(base_url=proxy.url, headers=proxy.auth, timeout=120) as client:
        metrics_text = (await client.get("/metrics")).text

    assert [status for status, _ in results] == [200] * REQUESTS
    saved = sum(body["tokens_saved"] for _, body in results)
    before = sum(body["tokens_before"] for _, body in results)
    assert saved > 0
    # Identical requests got identical answers, however they interleaved.
    for i in range(DISTINCT):
        answers = {repr(body["messages"]) for n, (_, body) in enumerate(results) if n % DISTINCT == i}
        assert len(answers) == 1

    def counter(name: str) -> int:
        match = re.search(rf'^{name}\{{route="compress"\}} (\d+)$', metrics_text, re.MULTILINE)
        assert match, name
        return int(match.group(1))

    assert counter("headroom_proxy_compressions_total") == REQUESTS
    assert counter("headroom_proxy_tokens_saved_total") == saved
    assert counter("headroom_proxy_tokens_before_total") == before
    assert f'headroom_proxy_requests_total{{route="compress",status="200"}} {REQUESTS}' in metrics_text
    with MetricsStore(proxy.settings.store_url) as store:
        summary = store.get_summary()
    assert summary.total_requests == REQUESTS
    assert summary.total_tokens_saved == saved and summary.total_tokens_before == before
