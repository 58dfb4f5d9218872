"""Benchmark the JSON SmartCrusher on the corpus's JSON tool outputs, plus a 20k-token timing.

Usage: python benchmarks/bench_json.py [corpus_dir]   (default: ../shared/corpus from the repo)

For every tool_output case whose content is JSON: crush(content, query) and
measure token reduction (o200k, 1 - after/before over the source), must_keep
retention (a group is kept when any of its strings occurs verbatim in the
output), the share of cases with every group kept, and p50/p95 latency.
Then time crush end to end (token counting and the store included) on
distinct synthetic ~20k-token arrays (so no cache helps), without a query,
with an exact-id query and with a keyword query; wall-clock and this
thread's CPU time are both shown (wall time suffers on a shared machine).
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from _corpus import (
    DEFAULT_CORPUS,
    LATENCY_COLUMNS,
    RETENTION_COLUMNS,
    Tally,
    by_source,
    load_cases,
    percentile,
    table,
    timed,
)

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.json.smart_crusher import SmartCrusher
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer


@dataclass
class _Tally(Tally):
    crushed: int = 0


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def bench_corpus(corpus: Path) -> None:
    crusher = SmartCrusher()
    tokenizer = get_tokenizer()
    store = CompressionStore()
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    cases = [c for c in load_cases(corpus, kinds=("tool_output",)) if _is_json(c["content"])]
    for source, source_cases in by_source(cases).items():
        tally = tallies[source]
        for case in source_cases:
            result, ms = timed(crusher.crush, case["content"], case.get("query", ""), store=store, tokenizer=tokenizer)
            tally.add(case, result.compressed, before=result.tokens_before, after=result.tokens_after, ms=ms)
            tally.crushed += result.was_modified
    columns = [
        *[("source", 12), ("cases", 5), ("crushed", 7), ("tok before", 10), ("tok after", 9), ("reduction", 9)],
        *RETENTION_COLUMNS,
        *LATENCY_COLUMNS,
    ]
    print(
        table(
            columns,
            [
                [
                    source,
                    t.cases,
                    t.crushed,
                    t.before,
                    t.after,
                    f"{t.reduction:.1%}",
                    *t.retention_cells(),
                    *t.latency_cells(),
                ]
                for source, t in sorted(tallies.items())
            ],
        )
    )
    for _, t in sorted(tallies.items()):
        for case_id in t.missed_cases:
            print(f"  lost a group: {case_id}")


def _records(seed: int, count: int) -> list[dict]:
    """``count`` service-log records, distinct per seed (so no cache can help)."""
    services = ["api", "auth", "billing", "search", "worker"]
    records = []
    for i in range(count):
        n = seed * 100_000 + i
        records.append(
            {
                "id": f"evt-{n:08d}",
                "timestamp": f"2024-05-{1 + (i // 1440) % 28:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00Z",
                "service": services[(n * 7) % len(services)],
                "level": "ERROR" if n % 97 == 0 else "INFO",
                "status": 500 if n % 97 == 0 else 200,
                "latency_ms": 20 + (n * 37) % 50 + (900 if n % 211 == 0 else 0),
                "message": f"handled request {n} for user u{(n * 13) % 5000} in region eu-{n % 3}",
            }
        )
    return records


def bench_latency(runs: int = 30, target_tokens: int = 20_000) -> None:
    """Wall-clock and CPU (this thread) time of crush on distinct ~20k-token arrays."""
    tokenizer = get_tokenizer()
    crusher = SmartCrusher()
    store = CompressionStore()
    # Size the records on a calibration document that is never crushed.
    per_record = tokenizer.count_text(json.dumps(_records(10_000, 100))) / 100
    count = int(target_tokens / per_record) + 1
    rows = (
        ("no query", lambda seed: ""),
        ("id query", lambda seed: f"what happened to event evt-{seed * 100_000 + 42:08d}?"),
        ("keyword query", lambda seed: "slow billing requests for user u1234"),
    )
    print(
        f"\nsynthetic: per row {runs} distinct JSON arrays of {count} records "
        f"(~{int(count * per_record)} tokens); crush end to end, token counting included"
    )
    crusher.crush(json.dumps(_records(10_001, count)), "warm up", store=store, tokenizer=tokenizer)
    for row, (label, query_of) in enumerate(rows):
        wall, cpu = [], []
        for seed in range(row * runs, (row + 1) * runs):
            doc, query = json.dumps(_records(seed, count)), query_of(seed)
            start, start_cpu = time.perf_counter(), time.thread_time()
            result = crusher.crush(doc, query, store=store, tokenizer=tokenizer)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
        print(
            f"  {label:<14} wall p50 {percentile(wall, 0.5):6.2f} ms  p95 {percentile(wall, 0.95):6.2f} ms"
            f" | cpu p50 {percentile(cpu, 0.5):6.2f} ms | {result.tokens_before} -> {result.tokens_after}"
            f" tokens ({result.transform})"
        )


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    bench_corpus(corpus)
    bench_latency()


if __name__ == "__main__":
    main()
