"""The compression store under load and damage: bounds hold, memory stays flat, failures stay out of LLM calls."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from headroom_integrations import CacheError, CCRConfig, CompressionStore, StorageError, retrieve
from headroom_integrations.langchain import HeadroomChatModel
from tests.reliability._lc import to_langchain
from tests.support.fixtures import api_json, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel

ENTRIES = 100_000
LIMITS = CCRConfig(store_max_entries=500, store_max_bytes=64 * 1024)
# Generous: the store is bounded to 64 KB / 500 entries; this only catches a leak per entry.
MAX_RSS_GROWTH = 16 * 1024 * 1024


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_100k_entries_keep_the_limits_and_the_memory(where: str, tmp_path: Path) -> None:
    url = "memory://" if where == "memory" else f"sqlite:///{tmp_path / 'ccr.db'}"
    # Every put at the bound logs one DEBUG eviction record; pytest's log capture would keep all
    # 100k of them, so this test measures the store, with its logger at INFO.
    store_logger = logging.getLogger("headroom_integrations.engine")
    old_level = store_logger.level
    store_logger.setLevel(logging.INFO)
    try:
        _fill(url)
    finally:
        store_logger.setLevel(old_level)


def _fill(url: str) -> None:
    where = url.split(":", 1)[0]
    with CompressionStore(LIMITS, url=url) as store:
        start = _rss_bytes()
        for i in range(ENTRIES):
            store.put(f"entry {i} " + "x" * (i % 200), kind="text")
            if i % 10_000 == 0:
                stats = store.stats()
                assert stats.entries <= LIMITS.store_max_entries and stats.bytes <= LIMITS.store_max_bytes
        growth = _rss_bytes() - start
        stats = store.stats()
        print(
            f"\n{where}: {ENTRIES:,} puts, {stats.entries} entries / {stats.bytes:,} bytes kept, "
            f"{stats.evictions:,} evictions, RSS growth {growth / 1024:,.0f} KiB"
        )
        assert stats.entries <= LIMITS.store_max_entries and stats.bytes <= LIMITS.store_max_bytes
        assert stats.evictions >= ENTRIES - LIMITS.store_max_entries
        assert store.retrieve(store.put("the newest")) == "the newest"
        assert growth < MAX_RSS_GROWTH


def test_an_expired_ref_raises_cache_error() -> None:
    now = [1_000.0]
    store = CompressionStore(CCRConfig(store_ttl_seconds=60), clock=lambda: now[0])
    ref = store.put("dropped items")
    assert retrieve(ref, store=store) == "dropped items"
    now[0] += 61
    with pytest.raises(CacheError) as caught:
        retrieve(ref, store=store)
    assert caught.value.details["status"] == "expired"


def test_a_corrupt_sqlite_file_raises_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "ccr.db"
    path.write_bytes(b"this is not a database " * 500)
    with pytest.raises(StorageError):
        CompressionStore(url=f"sqlite:///{path}")


def test_a_store_corrupted_under_a_model_never_crashes_the_call(tmp_path: Path) -> None:
    path = tmp_path / "ccr.db"
    store = CompressionStore(url=f"sqlite:///{path}")
    store.put("before the damage")
    for name in os.listdir(tmp_path):  # the database and its WAL files, overwritten with garbage
        (tmp_path / name).write_bytes(b"\x00garbage\xff" * 4096)
    wrapped = ScriptedChatModel()
    messages = to_langchain(tool_conversation(api_json(300, seed=99)))
    reply = HeadroomChatModel(wrapped, store=store).invoke(messages)
    assert reply.content
    sent = wrapped.calls[-1].messages[-1]
    # Fail open: the original went out, or every ref it names is really stored.
    if sent.content != messages[-1].content:
        for ref in reply.response_metadata["headroom"]["refs"]:
            store.get(ref)
