"""Every behaviour of the CompressionStore, run again on Redis, PostgreSQL and a LangGraph store.

The test functions are the ones of tests/unit_tests/test_store.py (memory and
SQLite); here their ``url`` fixture names a real server.
"""

from __future__ import annotations

import pytest

from tests.unit_tests.test_store import (  # noqa: F401 - collected here against the server backends
    test_closed_store_raises_storage_error,
    test_expired_entries_are_purged_and_remembered,
    test_lru_eviction_by_bytes,
    test_lru_eviction_by_entries,
    test_many_threads_put_and_get,
    test_put_get_retrieve_round_trip,
    test_put_is_idempotent_and_refreshes,
    test_ttl_expiry_with_fake_clock,
    test_unknown_deleted_and_cleared_refs,
)


@pytest.fixture(params=["redis", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))
