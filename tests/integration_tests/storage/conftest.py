"""Real Redis and PostgreSQL servers for the backend tests (skipped only when the binaries are absent)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from langgraph.store.memory import InMemoryStore

from tests.support.servers import PostgresServer, RedisServer, postgres_missing, redis_missing


def redis_server_of(**settings: str) -> Iterator[RedisServer]:
    """A private redis-server (not started: the test starts, kills and restarts it); skipped without Redis."""
    reason = redis_missing()
    if reason:
        pytest.skip(reason)
    server = RedisServer(**settings)
    yield server
    server.close()


def running_postgres() -> Iterator[PostgresServer]:
    """A private, running PostgreSQL; skipped without its binaries."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    server = PostgresServer().init().start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    for server in redis_server_of():
        yield server.start()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    yield from running_postgres()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, under a key prefix of this test's own."""
    return f"{redis_server.url}?prefix=test-{uuid.uuid4().hex[:12]}:"


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('headroom.ccr_entries')").fetchone()
        if exists and exists[0]:
            conn.execute(
                "TRUNCATE headroom.ccr_entries, headroom.ccr_tombstones, headroom.metrics_requests,"
                " headroom.metrics_feedback"
            )


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The session's PostgreSQL with the headroom tables emptied."""
    _reset_postgres(postgres_server.url)
    return postgres_server.url


@pytest.fixture(params=["memory", "postgres"])
def base_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A real LangGraph store: InMemoryStore, and PostgresStore on the session's PostgreSQL."""
    if request.param == "memory":
        yield InMemoryStore()
        return
    postgres = pytest.importorskip("langgraph.store.postgres", reason="langgraph-checkpoint-postgres not installed")
    with postgres.PostgresStore.from_conn_string(request.getfixturevalue("postgres_url")) as store:
        store.setup()
        yield store
