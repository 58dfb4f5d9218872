"""CompressionStore(backend=<LangGraph BaseStore>): refs kept in the store a deployment already runs."""

from __future__ import annotations

import json

import pytest

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.errors import CacheError, ConfigurationError
from headroom_integrations.engine.storage.langgraph_store import NAMESPACE
from tests.unit_tests.test_store import FakeClock

from ._workload import conversation


def test_round_trip_metadata_and_query_filtering(base_store: object) -> None:
    clock = FakeClock(100.0)
    store = CompressionStore(CCRConfig(store_ttl_seconds=60), backend=base_store, clock=clock)
    text = "line one\nthe error is here \udcff\nline three"
    ref = store.put(text, kind="lines", metadata={"tool": "bash"})
    entry = store.get(ref)
    assert (entry.content, entry.kind, dict(entry.metadata)) == (text, "lines", {"tool": "bash"})
    assert (entry.created_at, entry.expires_at) == (100.0, 160.0)
    assert "error" in store.retrieve(ref, query="error") and "line one" not in store.retrieve(ref, query="error")
    clock.now += 30
    store.put(text, kind="text")  # refresh keeps created_at and metadata
    entry = store.get(ref)
    assert (entry.created_at, entry.expires_at, entry.kind, dict(entry.metadata)) == (
        100.0,
        190.0,
        "text",
        {"tool": "bash"},
    )
    assert ref in store and len(store) == 1 and store.stats().entries == 1
    assert repr(store).startswith("CompressionStore(url='langgraph://")


def test_expiry_deletion_and_misses(base_store: object) -> None:
    clock = FakeClock(100.0)
    store = CompressionStore(CCRConfig(store_ttl_seconds=10), backend=base_store, clock=clock)
    ref, other = store.put("short lived"), store.put("deleted one")
    assert store.delete(other) and not store.delete(other)
    clock.now += 11
    with pytest.raises(CacheError) as expired:
        store.get(ref)
    with pytest.raises(CacheError) as deleted:
        store.get(other)
    with pytest.raises(CacheError) as unknown:
        store.get("0" * 24)
    statuses = [e.value.details["status"] for e in (expired, deleted, unknown)]
    assert statuses == ["expired", "deleted", "unknown"]
    store.put("again")
    store.clear()
    assert len(store) == 0


def test_compress_keeps_dropped_items_in_the_langgraph_store(base_store: object) -> None:
    store = CompressionStore(backend=base_store)
    messages = conversation(0)
    result = compress(messages, "gpt-4o", store=store)
    assert result.refs and result.tokens_after < result.tokens_before
    original = json.loads(str(messages[2]["content"]))
    # The store the deployment runs holds the originals: a second adapter over it serves them.
    again = CompressionStore(backend=base_store)
    served = [json.loads(again.retrieve(ref)) for ref in result.refs]
    assert any(items == original for items in served)
    keys = {item.key for item in base_store.search(NAMESPACE)}  # type: ignore[attr-defined]
    assert set(result.refs) <= keys


def test_postgres_store_items_carry_a_ttl(postgres_url: str) -> None:
    postgres = pytest.importorskip("langgraph.store.postgres", reason="langgraph-checkpoint-postgres not installed")
    import psycopg

    with postgres.PostgresStore.from_conn_string(postgres_url) as base:
        base.setup()
        ref = CompressionStore(CCRConfig(store_ttl_seconds=120), backend=base).put("with a ttl")
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT ttl_minutes, expires_at IS NOT NULL FROM store WHERE prefix = %s AND key = %s",
            (".".join(NAMESPACE), ref),
        ).fetchone()
    assert row == (2.0, True)


def test_an_object_without_the_store_methods_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        CompressionStore(backend=object())
    assert info.value.details["field"] == "CompressionStore.backend"
