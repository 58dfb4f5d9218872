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
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.compressors.detect import ContentType, detect_content_type
from headroom_integrations.engine.store import CompressionStore
from headroom_integrations.engine.tokenizer import Tokenizer

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
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
class SourceStats:
    cases: int = 0
    before: int = 0
    after: int = 0
    large_before: int = 0
    large_after: int = 0
    groups: int = 0
    kept_groups: int = 0
    full_cases: int = 0
    ms: list[float] = field(default_factory=list)
    detect_ok: int = 0
    detect_us: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, other: SourceStats) -> None:
        for name in (
            "cases",
            "before",
            "after",
            "large_before",
            "large_after",
            "groups",
            "kept_groups",
            "full_cases",
            "detect_ok",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.ms += other.ms
        self.detect_us += other.detect_us


def load_cases(corpus: Path, sources: set[str] | None) -> list[dict[str, Any]]:
    cases = []
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                case = json.loads(line)
                if case.get("kind") == "tool_output" and (not sources or case["source"] in sources):
                    cases.append(case)
    return cases


def conversation(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case as the conversation an agent would send: the tool result is the last message."""
    call_id = "call_0"
    return [
        {"role": "system", "content": "You are a helpful assistant. Use the tools to answer."},
        {"role": "user", "content": case["query"] or "Summarize the tool output."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": case["tool_name"], "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": case["content"]},
    ]


def message_text(messages: list[dict[str, Any]]) -> str:
    return "\n\n".join(m["content"] for m in messages if isinstance(m.get("content"), str))


def run_case(case: dict[str, Any], tokenizer: Tokenizer, store: CompressionStore, stats: SourceStats) -> None:
    messages = conversation(case)
    started = time.perf_counter()
    result = compress(messages, model=MODEL, store=store)
    stats.ms.append((time.perf_counter() - started) * 1000.0)
    tool_after = result.messages[-1]["content"]
    before = int(tokenizer.count_text(case["content"]))
    after = int(tokenizer.count_text(tool_after))
    stats.cases += 1
    stats.before += before
    stats.after += after
    if before > LARGE_TOKENS:
        stats.large_before += before
        stats.large_after += after
    text = message_text(result.messages)
    kept = [any(s in text for s in group) for group in case["must_keep"]]
    stats.groups += len(kept)
    stats.kept_groups += sum(kept)
    stats.full_cases += all(kept)
    for group, ok in zip(case["must_keep"], kept, strict=True):
        if not ok:
            stats.misses.append(f"{case['id']}: {group[0][:100]!r}")
    started = time.perf_counter()
    detection = detect_content_type(case["content"], case["tool_name"])
    stats.detect_us.append((time.perf_counter() - started) * 1e6)
    stats.detect_ok += detection.type is EXPECTED_TYPE.get(case["source"], detection.type)


def pct(num: float, den: float) -> str:
    return f"{100.0 * num / den:6.1f}%" if den else "     -"


def quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_table(per_source: dict[str, SourceStats]) -> None:
    header = (
        f"{'source':10} {'cases':>5} {'tokens':>9} {'reduction':>9} {'>2k red.':>9} "
        f"{'retention':>15} {'full':>9} {'p50 ms':>7} {'p95 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    total = SourceStats()
    for name, s in sorted(per_source.items()):
        total.add(s)
        print_row(name, s)
    print("-" * len(header))
    print_row("ALL", total)


def print_row(name: str, s: SourceStats) -> None:
    print(
        f"{name:10} {s.cases:5} {s.before:9} {pct(s.before - s.after, s.before):>9} "
        f"{pct(s.large_before - s.large_after, s.large_before):>9} "
        f"{s.kept_groups:4}/{s.groups:<4}{pct(s.kept_groups, s.groups):>7} "
        f"{s.full_cases:3}/{s.cases:<3}  {quantile(s.ms, 0.5):7.1f} {quantile(s.ms, 0.95):7.1f}"
    )


def print_detection(per_source: dict[str, SourceStats]) -> None:
    print("\ncontent detection (sources whose type is obvious)")
    for name, s in sorted(per_source.items()):
        expected = EXPECTED_TYPE.get(name)
        if expected is None:
            continue
        print(
            f"  {name:10} expected {expected.value:5} accuracy {pct(s.detect_ok, s.cases)}  "
            f"p50 {statistics.median(s.detect_us):7.0f} us  max {max(s.detect_us):7.0f} us"
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
    cases = load_cases(corpus, set(args.source) if args.source else None)
    if not cases:
        print(f"no tool_output cases under {corpus}", file=sys.stderr)
        return 1
    tokenizer = Tokenizer(MODEL)
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
            for miss in s.misses:
                print("  " + miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
