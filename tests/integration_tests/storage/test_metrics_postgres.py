"""The MetricsStore on PostgreSQL: the same behaviour as the file stores, batched writes, the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.reports import generate_report
from tests.unit_tests.test_metrics import (  # noqa: F401 - collected here against PostgreSQL
    _metrics,
    test_bad_arguments_are_rejected,
    test_concurrent_threads_lose_nothing,
    test_equal_timestamps_list_most_recently_recorded_first,
    test_get_metrics_is_newest_first_with_limit,
    test_summary_math_checked_by_hand,
    test_time_window_is_half_open,
)


@pytest.fixture
def store(postgres_url: str) -> Iterator[MetricsStore]:
    with MetricsStore(postgres_url) as s:
        yield s


def test_postgres_gives_the_same_results_as_sqlite(postgres_url: str, tmp_path: Path) -> None:
    records = [
        _metrics(i, model=["gpt-4o", "o3"][i % 2], timestamp=1.0 + (i % 7) / 3, tokens_after=(i * 37) % 900)
        for i in range(450)  # more than one batch
    ]
    results = []
    for url in (f"sqlite:///{tmp_path / 'm.db'}", postgres_url):
        with MetricsStore(url) as s:
            for r in records:
                s.record(r)
            results.append((s.get_summary(), s.get_summary(start_time=1.5, end_time=2.5), s.get_metrics(limit=25)))
    assert results[0] == results[1]


def test_records_survive_a_restart_and_schema_creation_is_idempotent(postgres_url: str) -> None:
    with MetricsStore(postgres_url) as s:
        s.record(_metrics(1))
    # A new store (a new worker) runs the migration check again and sees the row.
    with MetricsStore(postgres_url) as s:
        assert s.get_metrics() == [_metrics(1)]
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        versions = conn.execute("SELECT version FROM headroom.schema_version ORDER BY version").fetchall()
    assert versions == [(1,), (2,)]  # each migration ran once


def test_report_reads_from_postgres(postgres_url: str, tmp_path: Path) -> None:
    with MetricsStore(postgres_url) as s:
        for i in range(12):
            s.record(_metrics(i, timestamp=1_700_000_000.0 + i * 60))
    secret_url = postgres_url.replace("@", ":hunter2@", 1)  # trust auth ignores the password
    report = generate_report(secret_url, "markdown", "all", now=1_700_001_000.0)
    with MetricsStore(postgres_url) as s:
        total = s.get_summary().total_tokens_saved
    assert f"{total:,}" in report or str(total) in report
    assert "hunter2" not in report
