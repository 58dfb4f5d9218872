"""Store URLs pick a backend; secrets never show; an unreachable server is one warning, and calls fail fast."""

from __future__ import annotations

import logging
import time

import pytest

from headroom_integrations.engine.ccr.store import CompressionStore, store_over
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.errors import ConfigurationError, StorageError
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.engine.storage.base import RETRY_INTERVAL_S, redact_url
from headroom_integrations.engine.storage.sqlite import parse_store_url
from tests.support.servers import free_port


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgresql://app:s3cret@db/app?sslmode=require", "postgresql://app:***@db/app?sslmode=require"),
        ("rediss://cache:6380/1", "rediss://cache:6380/1"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_passwords_are_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_network_urls_are_accepted_and_bad_ones_are_configuration_errors() -> None:
    for url in ("redis://h:1/0", "rediss://h:1/0", "postgresql://u@h:5/d", "postgres://u@h/d"):
        assert parse_store_url(url, ("redis", "rediss", "postgresql", "postgres"), "S") == (url.split(":")[0], url)
    with pytest.raises(ConfigurationError) as info:
        CompressionStore(url="redis://:s3cret@h:notaport/0")
    assert "s3cret" not in str(info.value)
    with pytest.raises(ConfigurationError):
        CompressionStore(url="redis://h:1/0?prefix=")
    with pytest.raises(ConfigurationError):
        MetricsStore("redis://h:1/0")  # metrics go to SQL or files, not Redis


def test_an_unreachable_redis_is_one_warning_and_fails_fast(caplog: pytest.LogCaptureFixture) -> None:
    store = CompressionStore(url=f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    assert store.available
    with pytest.raises(StorageError):
        store.put("x")
    started = time.perf_counter()
    for _ in range(50):
        with pytest.raises(StorageError, match="unavailable"):
            store.put("x")
        with pytest.raises(StorageError, match="unavailable"):
            store.retrieve("0" * 24)
    assert time.perf_counter() - started < RETRY_INTERVAL_S, "no call waits on the dead server"
    assert not store.available
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()
    assert all("s3cret" not in r.getMessage() for r in caplog.records)
    assert "s3cret" not in repr(store)
    store.close()


def test_store_over_gives_one_adapter_per_store_and_config() -> None:
    from langgraph.store.memory import InMemoryStore

    base = InMemoryStore()
    assert store_over(base) is store_over(base)
    assert store_over(base, CCRConfig(store_ttl_seconds=60)) is not store_over(base)
    assert store_over(InMemoryStore()) is not store_over(base)
