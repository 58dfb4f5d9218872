"""The retrieval feedback loop on the corpus: no change with an empty store, and what reading it costs.

1. **No regression.** Every ``tool_output`` case is compressed (``gpt-4o``, its
   four-message conversation) with a SQLite metrics store, once with the loop
   off (``use_feedback_hints`` and ``feedback_enabled`` False: the store is not
   read, as before the loop existed) and once with the loop on and an empty
   feedback store, each in a fresh interpreter so neither run reuses the
   other's cached outputs. The outputs must be byte-identical; per source it
   prints p50/p95 of ``compress()`` in both runs (the "on" run also writes one
   feedback event per cut output).
2. **Read overhead.** What ``compress()`` adds per call to read the learned
   adjustments (:meth:`Feedback.read`), p50/p95 over 200 reads, for stores of
   0, 1,000 and :data:`MAX_EVENTS` events: when nothing was recorded since the
   last read (a cached snapshot after one query for new rows), and when one
   event was recorded before each read (new rows fetched, the snapshot recomputed).
3. **Effect.** On the JSON sources, a store in which each case's tool was
   retrieved three times (query: the case's query) against one without: the
   tool-result tokens after compression and the must_keep retention.

Usage: ``python benchmarks/bench_feedback.py [corpus_dir] [--source NAME ...]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _corpus import DEFAULT_CORPUS, load_cases, percentile, retention, table, timed, tool_conversation

from headroom_integrations.engine.ccr.store import CompressionStore, retrieve
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.config import HeadroomConfig
from headroom_integrations.engine.feedback import MAX_EVENTS, Feedback
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer

MODEL = "gpt-4o"
READS = 200
JSON_SOURCES = ("github", "tau-bench")


def _child(corpus: Path, sources: list[str] | None, loop_on: bool) -> None:
    """One run: per case, the sha256 of the compressed conversation and the milliseconds it took."""
    cases = load_cases(corpus, sources=sources, kinds=("tool_output",))
    config = HeadroomConfig(smart_crusher={"use_feedback_hints": loop_on}, ccr={"feedback_enabled": loop_on})
    with tempfile.TemporaryDirectory() as tmp:
        metrics = MetricsStore(f"sqlite:///{tmp}/metrics.db")
        store = CompressionStore()
        rows = []
        for case in cases:
            conversation = tool_conversation(case)
            result, ms = timed(compress, conversation, MODEL, config=config, store=store, metrics_store=metrics)
            digest = hashlib.sha256(json.dumps(result.messages, sort_keys=True).encode()).hexdigest()
            rows.append({"id": case["id"], "source": case["source"], "sha": digest, "ms": ms})
    print(json.dumps(rows))


def _run_child(corpus: Path, sources: list[str] | None, loop_on: bool) -> list[dict[str, Any]]:
    args = [sys.executable, __file__, str(corpus), "--child", "on" if loop_on else "off"]
    for source in sources or ():
        args += ["--source", source]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    rows: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def _no_regression(corpus: Path, sources: list[str] | None) -> bool:
    before, after = _run_child(corpus, sources, False), _run_child(corpus, sources, True)
    by_source: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for old, new in zip(before, after, strict=True):
        by_source[old["source"]].append((old, new))
    columns = [("source", 10), ("cases", 6), ("identical", 10), ("p50 off ms", 11), ("p50 on ms", 10)]
    columns += [("p95 off ms", 11), ("p95 on ms", 10)]
    rows = []
    for source, pairs in sorted(by_source.items()):
        old_ms, new_ms = [o["ms"] for o, _ in pairs], [n["ms"] for _, n in pairs]
        same = sum(o["sha"] == n["sha"] for o, n in pairs)
        rows.append(
            [
                source,
                len(pairs),
                f"{same}/{len(pairs)}",
                f"{percentile(old_ms, 0.5):.2f}",
                f"{percentile(new_ms, 0.5):.2f}",
                f"{percentile(old_ms, 0.95):.2f}",
                f"{percentile(new_ms, 0.95):.2f}",
            ]
        )
    print("1. Output with the loop on (empty feedback store) vs off (separate interpreters)")
    print(table(columns, rows))
    return all(o["sha"] == n["sha"] for o, n in zip(before, after, strict=True))


def _filled(url: str, events: int) -> MetricsStore:
    metrics = MetricsStore(url)
    for i in range(events):
        tool = f"tool_{i % 7}"
        if i % 3:
            metrics.record_feedback(
                {"event": "output", "tool": tool, "key": f"k{i}", "refs": [f"r{i}"], "overrides": {}}
            )
        else:
            metrics.record_feedback(
                {"event": "retrieval", "ref": f"r{i - 2}", "tool": tool, "path": "$", "terms": ["x"]}
            )
    return metrics


def _read_overhead() -> None:
    rows = []
    new_event = {"event": "retrieval", "ref": "r0", "tool": "tool_0", "path": "$", "terms": ["x"]}
    with tempfile.TemporaryDirectory() as tmp:
        for label, events in (("empty", 0), ("1,000 events", 1_000), (f"{MAX_EVENTS:,} events", MAX_EVENTS)):
            metrics = _filled(f"sqlite:///{tmp}/m{events}.db", events)
            Feedback.read(metrics)
            unchanged = [timed(Feedback.read, metrics)[1] for _ in range(READS)]
            changed = []
            for _ in range(READS):
                metrics.record_feedback(new_event)
                changed.append(timed(Feedback.read, metrics)[1])
            cells = [percentile(unchanged, 0.5), percentile(unchanged, 0.95)]
            cells += [percentile(changed, 0.5), percentile(changed, 0.95)]
            rows.append([label, *(f"{c:.3f}" for c in cells)])
            metrics.close()
    print(f"\n2. Reading the learned adjustments, per compress() call (SQLite file, {READS} reads)")
    columns = [("store", 16), ("p50 ms", 8), ("p95 ms", 8), ("p50 ms, 1 new", 14), ("p95 ms, 1 new", 14)]
    print(table(columns, rows))


def _effect(corpus: Path) -> None:
    tokenizer = get_tokenizer(MODEL)
    cases = load_cases(corpus, sources=JSON_SOURCES, kinds=("tool_output",))
    # cases, groups, then kept groups and tokens before and after learning
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for case in cases:
        conversation = tool_conversation(case)
        store, metrics = CompressionStore(), MetricsStore("memory://")
        plain = compress(conversation, MODEL, store=store, metrics_store=metrics)
        if not plain.refs:
            continue
        for _ in range(3):
            retrieve(plain.refs[0], case.get("query") or None, store=store, metrics_store=metrics)
        again = tool_conversation(case)
        again[2]["tool_calls"][0]["id"] = again[3]["tool_call_id"] = "call_again"
        taught = compress(again, MODEL, store=store, metrics_store=metrics)
        row = totals[case["source"]]
        before, after = plain.messages[-1]["content"], taught.messages[-1]["content"]
        row[0] += 1
        row[1] += len(case["must_keep"])
        row[2] += retention(before, case["must_keep"])
        row[3] += int(tokenizer.count_text(before))
        row[4] += retention(after, case["must_keep"])
        row[5] += int(tokenizer.count_text(after))
    columns = [("source", 10), ("cut cases", 10), ("kept before", 12), ("kept after", 11)]
    columns += [("tokens before", 14), ("tokens after", 13)]
    rows = [
        [s, r[0], f"{100 * r[2] / r[1]:.1f}%", f"{100 * r[4] / r[1]:.1f}%", f"{r[3]:,}", f"{r[5]:,}"]
        for s, r in sorted(totals.items())
        if r[1]
    ]
    print("\n3. The next compression after three retrievals of the cut output (JSON sources)")
    print(table(columns, rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--source", action="append", dest="sources")
    parser.add_argument("--child", choices=("off", "on"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.corpus, args.sources, args.child == "on")
        return 0
    started = time.perf_counter()
    identical = _no_regression(args.corpus, args.sources)
    _read_overhead()
    _effect(args.corpus)
    verdict = "yes" if identical else "NO"
    print(f"\nidentical with the loop on and an empty store: {verdict}; {time.perf_counter() - started:.1f} s")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
