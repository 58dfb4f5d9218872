"""Benchmark the CCR store on the evaluation corpus.

1. Throughput of put / get / retrieve for the in-memory and the SQLite store.
2. Query-filtered retrieval: every case is stored (tool outputs as ``json``
   when they hold an array, else ``lines``; documents and conversations as
   ``text``) and retrieved with the case's query. Reported per source: share
   of characters returned, must_keep groups kept in the filtered answer, share
   of "no match" notes, and milliseconds per filtered retrieve.

Usage: python benchmarks/bench_store.py [CORPUS_DIR] [--sweep]
(``--sweep`` also tries other keyword thresholds, for tuning).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _corpus import DEFAULT_CORPUS, Tally, case_text, load_cases, table, timed

from headroom_integrations.engine.ccr import query as _store_query
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.config import CCRConfig


def _context(case: dict[str, Any]) -> tuple[str, str]:
    """The case's context text and the kind it is stored as."""
    text = case_text(case)
    if case["kind"] != "tool_output":
        return text, "text"
    try:
        doc = json.loads(text)
    except ValueError:
        return text, "lines"
    has_array = isinstance(doc, list) or (isinstance(doc, dict) and any(isinstance(v, list) for v in doc.values()))
    return text, "json" if has_array else "lines"


def _op_times(store: CompressionStore, contents: list[tuple[str, str]], queries: list[str]) -> list[float]:
    """Milliseconds to put every content, get every ref, and retrieve every ref with its query."""
    refs, put_ms = timed(lambda: [store.put(text, kind=kind) for text, kind in contents])
    _, get_ms = timed(lambda: [store.get(ref) for ref in refs])
    _, retrieve_ms = timed(lambda: [store.retrieve(ref, q) for ref, q in zip(refs, queries, strict=True)])
    return [put_ms, get_ms, retrieve_ms]


def bench_throughput(cases: list[dict[str, Any]]) -> None:
    contents = [_context(c) for c in cases]
    queries = [c["query"] for c in cases]
    total_mb = sum(len(t.encode()) for t, _ in contents) / 1e6
    print(f"\n## Throughput ({len(contents)} contexts, {total_mb:.1f} MB)\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in (("memory", "memory://"), ("sqlite", f"sqlite:///{tmp}/bench.db")):
            with CompressionStore(CCRConfig(store_max_entries=100_000), url=url) as store:
                put_ms, get_ms, retrieve_ms = _op_times(store, contents, queries)
            per_s = [f"{1000 * len(cases) / ms:.0f}" for ms in (put_ms, get_ms, retrieve_ms)]
            rows.append([name, *per_s, f"{1000 * total_mb / put_ms:.1f}"])
    print(table([("store", 8), ("put/s", 9), ("get/s", 9), ("retrieve+query/s", 17), ("put MB/s", 9)], rows))


@dataclass
class _Tally(Tally):
    chars_in: int = 0
    chars_out: int = 0
    no_match: int = 0

    def cells(self, name: str) -> list[object]:
        return [
            name,
            self.cases,
            f"{self.chars_out / self.chars_in:.1%}",
            f"{self.retention:.1%}",
            f"{self.full / self.cases:.1%}",
            f"{self.no_match / self.cases:.1%}",
            f"{sum(self.ms) / self.cases:.1f}",
        ]


def bench_filtering(cases: list[dict[str, Any]], *, quiet: bool = False) -> tuple[float, float]:
    """Per-source table; returns (overall group retention, overall share of chars returned)."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    with CompressionStore(CCRConfig(store_max_entries=100_000)) as store:
        for case in cases:
            if not case["query"].strip():
                continue
            text, kind = _context(case)
            ref = store.put(text, kind=kind)
            out, ms = timed(store.retrieve, ref, case["query"])
            tally = tallies[f"{case['source']} ({kind})"]
            tally.add(case, out, ms=ms)
            tally.chars_in += len(text)
            no_match = out.startswith("[no match")
            tally.chars_out += 0 if no_match else len(out)
            tally.no_match += no_match
    total = _Tally()
    for tally in tallies.values():
        total.merge(tally)
    if not quiet:
        print("\n## Query-filtered retrieve (query = the case's question/task)\n")
        columns = [
            ("source (kind)", 22),
            ("cases", 5),
            ("chars returned", 14),
            ("groups kept", 11),
            ("cases all kept", 14),
            ("no match", 8),
            ("ms/query", 8),
        ]
        rows = [tallies[name].cells(name) for name in sorted(tallies)]
        print(table(columns, [*rows, total.cells("ALL")]))
    return total.retention, total.chars_out / total.chars_in


def sweep(cases: list[dict[str, Any]]) -> None:
    print("\n## Keyword threshold sweep (MIN_RELEVANCE, RELATIVE_RELEVANCE)\n")
    print(f"{'min':>5} {'relative':>8} {'groups kept':>11} {'chars returned':>14}")
    saved = _store_query.MIN_RELEVANCE, _store_query.RELATIVE_RELEVANCE
    try:
        for minimum in (0.1, 0.2, 0.3, 0.5):
            for relative in (0.3, 0.5, 0.7, 0.9):
                _store_query.MIN_RELEVANCE, _store_query.RELATIVE_RELEVANCE = minimum, relative
                kept, returned = bench_filtering(cases, quiet=True)
                print(f"{minimum:>5} {relative:>8} {kept:>11.1%} {returned:>14.1%}")
    finally:
        _store_query.MIN_RELEVANCE, _store_query.RELATIVE_RELEVANCE = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--sweep", action="store_true", help="also sweep the keyword thresholds")
    args = parser.parse_args(argv)
    cases = load_cases(Path(args.corpus))
    if not cases:
        print(f"no cases found in {args.corpus}", file=sys.stderr)
        return 1
    print(f"# CCR store benchmark: {len(cases)} cases from {args.corpus}")
    print(
        f"keyword thresholds: MIN_RELEVANCE={_store_query.MIN_RELEVANCE}, "
        f"RELATIVE_RELEVANCE={_store_query.RELATIVE_RELEVANCE}"
    )
    bench_throughput(cases)
    bench_filtering(cases)
    if args.sweep:
        sweep(cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
