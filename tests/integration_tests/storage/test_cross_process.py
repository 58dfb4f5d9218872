"""Many workers, one memory: refs made in one process are served in another; metrics rows equal calls."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.metrics import MetricsStore

from ._workload import conversation, tool_text, worker

WORKERS = 8
CALLS = 500


def _run_workers(store_urls: list[str], metrics_url: str, calls: int, tmp_path: Path) -> list[list[list[str]]]:
    ctx = multiprocessing.get_context("spawn")
    outs = [str(tmp_path / f"worker-{w}.json") for w in range(len(store_urls))]
    procs = [ctx.Process(target=worker, args=(url, metrics_url, w, calls, outs[w])) for w, url in enumerate(store_urls)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    return [json.loads(Path(o).read_text()) for o in outs]


def test_a_ref_made_in_one_process_is_retrieved_in_another(redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    for url in (redis_url, postgres_url):
        (refs,) = _run_workers([url], f"sqlite:///{tmp_path / 'm.db'}", 1, tmp_path)
        assert refs[0]
        with CompressionStore(url=url) as store:
            served = [json.loads(store.retrieve(r)) for r in refs[0]]
        assert json.loads(tool_text(conversation(0))) in served


@pytest.mark.slow
def test_eight_processes_times_500_calls(redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    # Half the workers keep refs in Redis, half in PostgreSQL; all record metrics in PostgreSQL.
    urls = [redis_url] * (WORKERS // 2) + [postgres_url] * (WORKERS // 2)
    results = _run_workers(urls, postgres_url, CALLS, tmp_path)
    for url, calls in zip(urls, results, strict=True):
        assert len(calls) == CALLS and all(calls), "every call dropped items behind a ref"
        with CompressionStore(url=url) as store:
            for refs in calls:
                for ref in refs:
                    store.get(ref)  # raises if a reported ref is not served
    with MetricsStore(postgres_url) as metrics:
        summary = metrics.get_summary()
        records = metrics.get_metrics(limit=None)
    assert summary.total_requests == len(records) == WORKERS * CALLS
    assert len({r.request_id for r in records}) == WORKERS * CALLS
    assert sorted(ref for r in records for ref in r.refs) == sorted(
        ref for calls in results for refs in calls for ref in refs
    )
