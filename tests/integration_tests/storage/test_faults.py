"""Backends failing under a running workload: the LLM call never sees an exception, nothing is lost.

After every compress() call the test checks the promise that matters: each
ref the result names is served by the store (nothing is reported as stored
that is not), and a call that could not store keeps its tool output whole.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import CompressResult, compress
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.errors import CacheError, StorageError
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.engine.storage.base import RETRY_INTERVAL_S
from tests.support.servers import PostgresServer, RedisServer

from ._workload import conversation, tool_text
from .conftest import redis_server_of, running_postgres

pytestmark = pytest.mark.slow

_CONFIG = CCRConfig(store_max_entries=100_000)


def _call(store: CompressionStore, call: int, metrics: MetricsStore | None = None, **kw: Any) -> CompressResult:
    messages = conversation(call, **kw)
    result = compress(messages, "gpt-4o", store=store, metrics_store=metrics)
    if not result.refs:
        assert tool_text(result.messages) == tool_text(messages), "nothing dropped that could not be stored"
    return result


def _assert_served(store: CompressionStore, results: list[CompressResult]) -> None:
    for result in results:
        for ref in result.refs:
            store.get(ref)


def _outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("headroom_integrations")
    ]


@pytest.fixture
def redis_alone() -> Iterator[RedisServer]:
    yield from redis_server_of(policy="noeviction")


@pytest.fixture
def postgres_alone() -> Iterator[PostgresServer]:
    yield from running_postgres()


def test_redis_killed_mid_run_and_restarted(redis_alone: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    redis_alone.start()
    store = CompressionStore(_CONFIG, url=redis_alone.url)
    before = [_call(store, i) for i in range(10)]
    assert all(r.refs for r in before)
    _assert_served(store, before)

    redis_alone.stop()  # SIGKILL: a crash, not a shutdown
    during = [_call(store, 100 + i) for i in range(30)]
    assert not any(r.refs for r in during), "nothing may be dropped while the store is down"
    assert not store.available
    with pytest.raises(StorageError, match="unavailable|failed"):
        store.retrieve(before[0].refs[0])
    warnings = _outage_warnings(caplog)
    assert len(warnings) == 1 and "unavailable" in warnings[0], warnings

    redis_alone.start()  # same port, empty (no persistence): the old refs are gone, and say so
    time.sleep(RETRY_INTERVAL_S + 0.1)
    after = [_call(store, 200 + i) for i in range(10)]
    assert all(r.refs for r in after), "compression resumes once the store is back"
    _assert_served(store, after)
    assert store.available
    with pytest.raises(CacheError):
        store.get(before[0].refs[0])
    # The same text compressed during the outage compresses again now (its kept-whole output was not cached).
    assert _call(store, 100).refs
    assert any("available again" in r.getMessage() for r in caplog.records)
    store.close()


def _fill(server: RedisServer) -> tuple[CompressionStore, list[CompressResult]]:
    """120 calls of ~60 KB each against a server with 4 MB of memory."""
    store = CompressionStore(_CONFIG, url=server.start().url)
    return store, [_call(store, i, rows=200, padding=200) for i in range(120)]


def test_redis_full_under_noeviction_keeps_content_whole() -> None:
    for server in redis_server_of(maxmemory="4mb", policy="noeviction"):
        store, results = _fill(server)
        stored = [r for r in results if r.refs]
        kept_whole = [r for r in results if not r.refs]
        assert stored and kept_whole, "the server filled up part-way"
        _assert_served(store, results)
        store.close()


def test_redis_full_under_volatile_lru_evicts_old_entries_and_says_so() -> None:
    for server in redis_server_of(maxmemory="4mb", policy="volatile-lru"):
        store, results = _fill(server)
        assert all(r.refs for r in results), "with volatile-lru every put succeeds"
        _assert_served(store, results[-3:])
        statuses = []
        for result in results:
            try:
                store.get(result.refs[0])
            except CacheError as exc:
                statuses.append(exc.details["status"])
        assert statuses and set(statuses) == {"evicted"}
        store.close()


def _terminate_other_connections(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database()"
        ).fetchall()
    return len(rows)


def test_postgres_connections_dropped_and_server_restarted(
    postgres_alone: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = postgres_alone.url
    store = CompressionStore(_CONFIG, url=url)
    metrics = MetricsStore(url)
    results = [_call(store, i, metrics) for i in range(10)]
    assert _terminate_other_connections(url) >= 1
    results += [_call(store, 100 + i, metrics) for i in range(10)]
    assert all(r.refs for r in results[10:]), "a dropped connection is replaced, not an outage"

    postgres_alone.stop()
    during = [_call(store, 200 + i, metrics) for i in range(10)]
    assert not any(r.refs for r in during)
    with pytest.raises(StorageError):
        metrics.get_summary()
    postgres_alone.start()
    time.sleep(RETRY_INTERVAL_S + 0.1)
    # A loaded machine may need a few retry intervals before the pool has a connection again.
    deadline = time.monotonic() + 30 * RETRY_INTERVAL_S + 10
    while not _call(store, 299).refs and time.monotonic() < deadline:  # a probe: no metrics row
        time.sleep(RETRY_INTERVAL_S)
    after = [_call(store, 300 + i, metrics) for i in range(10)]
    assert all(r.refs for r in after)
    _assert_served(store, results + during + after)
    # Metrics recorded while the server was down were buffered and written once it came back.
    assert metrics.get_summary().total_requests == 40
    assert len(_outage_warnings(caplog)) <= 2  # one per store (ccr entries, metrics), not one per call
    store.close()
    metrics.close()


async def test_the_llm_call_goes_through_when_no_store_server_is_up(caplog: pytest.LogCaptureFixture) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    from headroom_integrations.langchain import HeadroomChatModel
    from tests.support.scripted_chat_model import ScriptedChatModel
    from tests.support.servers import free_port

    messages = conversation(7)
    tool = str(messages[2]["content"])
    chat = [
        HumanMessage("Which service failed?"),
        AIMessage("", tool_calls=[{"id": "c1", "name": "status", "args": {}}]),
        ToolMessage(tool, tool_call_id="c1", name="status"),
    ]
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    scripted = ScriptedChatModel()
    metrics = MetricsStore(f"postgresql://x@127.0.0.1:{free_port()}/x")
    model = HeadroomChatModel(scripted, store=CompressionStore(url=dead), metrics_store=metrics)
    for _ in range(3):
        assert model.invoke(chat).content
        assert (await model.ainvoke(chat)).content
    # The wrapped model got the tool output whole: nothing was dropped that could not be stored.
    assert all(call.messages[-1].content == tool for call in scripted.calls)
    assert len([m for m in _outage_warnings(caplog) if "CompressionStore" in m]) == 1
    metrics.close()  # nothing compressed, so nothing was buffered for the dead metrics server
