"""Benchmark the CompressionStore and MetricsStore backends: memory, SQLite, Redis, PostgreSQL.

Every corpus context is put once and then got back once, one call at a time
from one client, on loopback servers; reported per backend: operations per
second, median and p95 latency of put and get, and put MB/s. A second table
times ``MetricsStore.record`` (PostgreSQL writes in batches) and a full
``get_summary`` over the records.

Without ``--redis-url`` / ``--postgres-url`` the script starts private
servers (redis-server, initdb/pg_ctl) in temp dirs, as the tests do; a
backend whose server cannot be had is reported as skipped.

Usage: python benchmarks/bench_store_backends.py [CORPUS_DIR] [--redis-url URL] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _corpus import DEFAULT_CORPUS, case_text, load_cases, percentile, table

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.metrics import MetricsStore, RequestMetrics

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.servers import PostgresServer, RedisServer, postgres_missing, redis_missing  # noqa: E402

METRICS_RECORDS = 5000


def _latencies(fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[Any], list[float]]:
    results, ms = [], []
    for item in items:
        started = time.perf_counter()
        results.append(fn(item))
        ms.append((time.perf_counter() - started) * 1000.0)
    return results, ms


def _row(name: str, put_ms: list[float], get_ms: list[float], megabytes: float) -> list[object]:
    return [
        name,
        f"{1000 * len(put_ms) / sum(put_ms):.0f}",
        f"{percentile(put_ms, 0.5):.3f}",
        f"{percentile(put_ms, 0.95):.3f}",
        f"{1000 * len(get_ms) / sum(get_ms):.0f}",
        f"{percentile(get_ms, 0.5):.3f}",
        f"{percentile(get_ms, 0.95):.3f}",
        f"{1000 * megabytes / sum(put_ms):.1f}",
    ]


def bench_entries(urls: dict[str, str | None], contents: list[str]) -> None:
    megabytes = sum(len(c.encode("utf-8", "surrogatepass")) for c in contents) / 1e6
    print(f"\n## CompressionStore: put then get of {len(contents)} corpus contexts ({megabytes:.1f} MB), one client\n")
    rows: list[list[object]] = []
    config = CCRConfig(store_max_entries=100_000, store_max_bytes=1 << 30)
    for name, url in urls.items():
        if url is None:
            rows.append([name, "skipped", "", "", "", "", "", ""])
            continue
        with CompressionStore(config, url=url) as store:
            store.clear()
            refs, put_ms = _latencies(store.put, contents)
            _, get_ms = _latencies(store.get, refs)
            store.clear()
        rows.append(_row(name, put_ms, get_ms, megabytes))
    columns = [("backend", 11), ("put/s", 7), ("put p50 ms", 11), ("put p95 ms", 11)]
    columns += [("get/s", 7), ("get p50 ms", 11), ("get p95 ms", 11), ("put MB/s", 9)]
    print(table(columns, rows))


def _record(i: int) -> RequestMetrics:
    return RequestMetrics(
        request_id=f"bench-{i}",
        timestamp=1_700_000_000.0 + i,
        model="gpt-4o",
        mode="optimize",
        tokens_before=1000 + i % 500,
        tokens_after=300,
        transforms=("smart_crusher:50->10",),
        refs=(f"{i:024x}",),
        tool_names=("search",),
    )


def bench_metrics(urls: dict[str, str | None]) -> None:
    print(f"\n## MetricsStore: record {METRICS_RECORDS} requests, then get_summary over all of them\n")
    rows: list[list[object]] = []
    records = [_record(i) for i in range(METRICS_RECORDS)]
    for name, url in urls.items():
        if url is None:
            rows.append([name, "skipped", "", "", ""])
            continue
        with MetricsStore(url) as store:
            _, record_ms = _latencies(store.record, records)
            started = time.perf_counter()
            store.flush()
            flush_ms = (time.perf_counter() - started) * 1000.0
            started = time.perf_counter()
            summary = store.get_summary()
            summary_ms = (time.perf_counter() - started) * 1000.0
        assert summary.total_requests >= METRICS_RECORDS
        rows.append(
            [
                name,
                f"{1000 * len(records) / (sum(record_ms) + flush_ms):.0f}",
                f"{percentile(record_ms, 0.5):.3f}",
                f"{percentile(record_ms, 0.95):.3f}",
                f"{summary_ms:.0f}",
            ]
        )
    print(table([("backend", 11), ("record/s", 9), ("p50 ms", 8), ("p95 ms", 8), ("summary ms", 11)], rows))


@contextlib.contextmanager
def _servers(args: argparse.Namespace) -> Iterator[tuple[str | None, str | None]]:
    started: list[Any] = []
    redis_url, postgres_url = args.redis_url, args.postgres_url
    try:
        if redis_url is None:
            reason = redis_missing()
            if reason:
                print(f"redis: skipped ({reason})")
            else:
                started.append(RedisServer().start())
                redis_url = started[-1].url
        if postgres_url is None:
            reason = postgres_missing()
            if reason:
                print(f"postgresql: skipped ({reason})")
            else:
                started.append(PostgresServer().init().start())
                postgres_url = started[-1].url
        yield redis_url, postgres_url
    finally:
        for server in started:
            server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--redis-url", default=None, help="an existing Redis (its key prefix is cleared)")
    parser.add_argument("--postgres-url", default=None, help="an existing PostgreSQL (headroom schema)")
    args = parser.parse_args()
    contents = [case_text(c) for c in load_cases(args.corpus)]
    with tempfile.TemporaryDirectory() as tmp, _servers(args) as (redis_url, postgres_url):
        bench_entries(
            {
                "memory": "memory://",
                "sqlite": f"sqlite:///{tmp}/ccr.db",
                "redis": redis_url,
                "postgresql": postgres_url,
            },
            contents,
        )
        bench_metrics(
            {
                "memory": "memory://",
                "sqlite": f"sqlite:///{tmp}/metrics.db",
                "jsonl": f"jsonl:///{tmp}/metrics.jsonl",
                "postgresql": postgres_url,
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
