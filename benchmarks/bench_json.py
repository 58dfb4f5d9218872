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
from pathlib import Path

from headroom_integrations.engine.smart_crusher import SmartCrusher
from headroom_integrations.engine.store import CompressionStore
from headroom_integrations.engine.tokenizer import Tokenizer

REPO = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _json_cases(corpus: Path) -> list[dict]:
    cases = []
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                case = json.loads(line)
                if case.get("kind") != "tool_output":
                    continue
                try:
                    json.loads(case["content"])
                except ValueError:
                    continue
                cases.append(case)
    return cases


def bench_corpus(corpus: Path) -> None:
    crusher = SmartCrusher()
    tokenizer = Tokenizer("gpt-4o")
    store = CompressionStore()
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for case in _json_cases(corpus):
        start = time.perf_counter()
        result = crusher.crush(case["content"], case.get("query", ""), store=store, tokenizer=tokenizer)
        elapsed = (time.perf_counter() - start) * 1000
        groups = case["must_keep"]
        kept = sum(1 for group in groups if any(s in result.compressed for s in group))
        row = rows[case["source"]]
        row["before"].append(result.tokens_before)
        row["after"].append(result.tokens_after)
        row["groups"].append(len(groups))
        row["kept"].append(kept)
        row["ms"].append(elapsed)
        row["modified"].append(result.was_modified)
        if kept < len(groups):
            row["lost"].append(case["id"])
    header = (
        f"{'source':<12}{'cases':>6}{'crushed':>8}{'tok before':>11}{'tok after':>10}"
        f"{'reduction':>10}{'retention':>10}{'full cases':>11}{'p50 ms':>8}{'p95 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for source in sorted(rows):
        row = rows[source]
        before, after = sum(row["before"]), sum(row["after"])
        n = len(row["ms"])
        full = sum(1 for k, g in zip(row["kept"], row["groups"], strict=True) if k == g)
        print(
            f"{source:<12}{n:>6}{sum(row['modified']):>8}{before:>11}{after:>10}"
            f"{1 - after / before:>10.1%}{sum(row['kept']) / sum(row['groups']):>10.1%}"
            f"{full:>5}/{n:<5}{_percentile(row['ms'], 0.5):>8.2f}{_percentile(row['ms'], 0.95):>8.2f}"
        )
    for source in sorted(rows):
        for case_id in rows[source]["lost"]:
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
    tokenizer = Tokenizer("gpt-4o")
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
            f"  {label:<14} wall p50 {_percentile(wall, 0.5):6.2f} ms  p95 {_percentile(wall, 0.95):6.2f} ms"
            f" | cpu p50 {_percentile(cpu, 0.5):6.2f} ms | {result.tokens_before} -> {result.tokens_after}"
            f" tokens ({result.transform})"
        )


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "corpus"
    bench_corpus(corpus)
    bench_latency()


if __name__ == "__main__":
    main()
