"""Tool-output compression on the evaluation corpus: tokens saved, answers kept, time spent.

Every ``tool_output`` case of every source is wrapped as a four-message
conversation (system, the user's query, the assistant's tool call, the tool
result) and sent through :func:`headroom_integrations.engine.compress.compress`
for ``gpt-4o``. Per source it prints the token reduction of the tool results
(o200k), the reduction on results over 2,000 tokens, must_keep retention (a
group is kept when any of its strings is verbatim in the compressed
messages), the share of cases with every group kept, and p50/p95 latency.
It also prints content detection accuracy on cases whose type is obvious
from their source and the tokenizer's counting throughput.

Usage: ``python benchmarks/bench_tool_outputs.py [corpus_dir] [--source NAME ...] [--misses]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _corpus import (
    DEFAULT_CORPUS,
    LATENCY_COLUMNS,
    RETENTION_COLUMNS,
    Tally,
    load_cases,
    pct,
    percentile,
    serialise,
    table,
    timed,
    tool_conversation,
)

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.compressors.detect import ContentType, detect_content_type
from headroom_integrations.engine.tokens.tokenizer import Tokenizer, get_tokenizer

LARGE_TOKENS = 2_000
MODEL = "gpt-4o"
# Sources whose tool outputs all have one obvious type.
EXPECTED_TYPE = {
    "cidiff": ContentType.LOG,
    "loghub": ContentType.LOG,
    "github": ContentType.JSON,
    "tau-bench": ContentType.JSON,
}


@dataclass
class SourceStats(Tally):
    large_before: int = 0
    large_after: int = 0
    detect_ok: int = 0
    detect_us: list[float] = field(default_factory=list)


def run_case(case: dict[str, Any], tokenizer: Tokenizer, store: CompressionStore, stats: SourceStats) -> None:
    result, ms = timed(compress, tool_conversation(case), model=MODEL, store=store)
    before = int(tokenizer.count_text(case["content"]))
    after = int(tokenizer.count_text(result.messages[-1]["content"]))
    stats.add(case, serialise(result.messages), before=before, after=after, ms=ms)
    if before > LARGE_TOKENS:
        stats.large_before += before
        stats.large_after += after
    detection, ms = timed(detect_content_type, case["content"], case["tool_name"])
    stats.detect_us.append(ms * 1000.0)
    stats.detect_ok += detection.type is EXPECTED_TYPE.get(case["source"], detection.type)


def print_table(per_source: dict[str, SourceStats]) -> None:
    columns = [
        *[("source", 10), ("cases", 5), ("tokens", 9), ("reduction", 9), (">2k red.", 9)],
        *RETENTION_COLUMNS,
        *LATENCY_COLUMNS,
    ]
    total = SourceStats()
    rows: list[list[object] | None] = []
    for name, s in sorted(per_source.items()):
        total.merge(s)
        rows.append(_row(name, s))
    print(table(columns, [*rows, None, _row("ALL", total)]))


def _row(name: str, s: SourceStats) -> list[object]:
    return [
        name,
        s.cases,
        s.before,
        pct(s.before - s.after, s.before),
        pct(s.large_before - s.large_after, s.large_before),
        *s.retention_cells(),
        *s.latency_cells(),
    ]


def print_detection(per_source: dict[str, SourceStats]) -> None:
    print("\ncontent detection (sources whose type is obvious)")
    for name, s in sorted(per_source.items()):
        expected = EXPECTED_TYPE.get(name)
        if expected is None:
            continue
        print(
            f"  {name:10} expected {expected.value:5} accuracy {pct(s.detect_ok, s.cases):>6}  "
            f"p50 {percentile(s.detect_us, 0.5):7.0f} us  max {max(s.detect_us):7.0f} us"
        )


def print_throughput(cases: list[dict[str, Any]], tokenizer: Tokenizer) -> None:
    # A fresh prefix defeats the tokenizer's count cache, so this measures real BPE work.
    texts = ["\u2063" + c["content"] for c in cases]
    chars = sum(len(t) for t in texts)
    started = time.perf_counter()
    tokens = sum(int(tokenizer.count_text(t)) for t in texts)
    seconds = time.perf_counter() - started
    print(
        f"\ncounting throughput (uncached): {tokens} tokens / {chars / 1e6:.1f} MB "
        f"in {seconds * 1000:.0f} ms "
        f"({tokens / max(seconds, 1e-9) / 1e6:.2f} M tokens/s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--source", action="append", help="only this source (repeatable)")
    parser.add_argument("--misses", action="store_true", help="list the must_keep groups that were lost")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    cases = load_cases(corpus, sources=args.source, kinds=("tool_output",))
    if not cases:
        print(f"no tool_output cases under {corpus}", file=sys.stderr)
        return 1
    tokenizer = get_tokenizer(MODEL)
    store = CompressionStore()
    per_source: dict[str, SourceStats] = defaultdict(SourceStats)
    for case in cases:
        run_case(case, tokenizer, store, per_source[case["source"]])
    print(f"tool outputs of {corpus} through compress(model={MODEL!r})\n")
    print_table(per_source)
    print_detection(per_source)
    print_throughput(cases, tokenizer)
    if args.misses:
        print("\nlost must_keep groups")
        for s in per_source.values():
            for case_id, first in s.misses:
                print(f"  {case_id}: {first[:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
