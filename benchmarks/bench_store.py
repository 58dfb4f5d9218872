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
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from headroom_integrations.engine import _store_query
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.store import CompressionStore

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _context(case: dict[str, Any]) -> tuple[str, str]:
    """The case's context text and the kind it is stored as."""
    if case["kind"] == "tool_output":
        content = case["content"]
        try:
            doc = json.loads(content)
        except ValueError:
            return content, "lines"
        has_array = isinstance(doc, list) or (
            isinstance(doc, dict) and any(isinstance(v, list) for v in doc.values())
        )
        return content, "json" if has_array else "lines"
    if case["kind"] == "documents":
        return "\n\n".join(d["text"] for d in case["documents"]), "text"
    history = case["messages"][:-1]
    return "\n\n".join(f"{m['role']}: {m.get('content') or ''}" for m in history), "text"


def _load(corpus: Path) -> list[dict[str, Any]]:
    cases = []
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            cases.extend(json.loads(line) for line in handle if line.strip())
    return cases


def _kept(text: str, groups: list[list[str]]) -> int:
    return sum(1 for group in groups if any(s in text for s in group))


def bench_throughput(cases: list[dict[str, Any]]) -> None:
    contents = [(_context(c)) for c in cases]
    total_mb = sum(len(t.encode()) for t, _ in contents) / 1e6
    print(f"\n## Throughput ({len(contents)} contexts, {total_mb:.1f} MB)\n")
    print(f"{'store':<8} {'put/s':>9} {'get/s':>9} {'retrieve+query/s':>17} {'put MB/s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in (("memory", "memory://"), ("sqlite", f"sqlite:///{tmp}/bench.db")):
            with CompressionStore(CCRConfig(store_max_entries=100_000), url=url) as store:
                t0 = time.perf_counter()
                refs = [store.put(text, kind=kind) for text, kind in contents]
                t1 = time.perf_counter()
                for ref in refs:
                    store.get(ref)
                t2 = time.perf_counter()
                for ref, case in zip(refs, cases, strict=True):
                    store.retrieve(ref, case["query"])
                t3 = time.perf_counter()
            n = len(refs)
            print(f"{name:<8} {n / (t1 - t0):>9.0f} {n / (t2 - t1):>9.0f} {n / (t3 - t2):>17.1f} "
                  f"{total_mb / (t1 - t0):>9.1f}")


def bench_filtering(cases: list[dict[str, Any]], *, quiet: bool = False) -> tuple[float, float]:
    """Per-source table; returns (overall group retention, overall share of chars returned)."""
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with CompressionStore(CCRConfig(store_max_entries=100_000)) as store:
        for case in cases:
            if not case["query"].strip():
                continue
            text, kind = _context(case)
            ref = store.put(text, kind=kind)
            t0 = time.perf_counter()
            out = store.retrieve(ref, case["query"])
            elapsed = time.perf_counter() - t0
            row = rows[f"{case['source']} ({kind})"]
            row["cases"] += 1
            row["chars_in"] += len(text)
            row["chars_out"] += 0 if out.startswith("[no match") else len(out)
            row["groups"] += len(case["must_keep"])
            row["kept"] += _kept(out, case["must_keep"])
            row["full"] += _kept(out, case["must_keep"]) == len(case["must_keep"])
            row["nomatch"] += out.startswith("[no match")
            row["ms"] += elapsed * 1000
    total = defaultdict(float)
    if not quiet:
        print("\n## Query-filtered retrieve (query = the case's question/task)\n")
        print(f"{'source (kind)':<22} {'cases':>5} {'chars returned':>14} {'groups kept':>11} "
              f"{'cases all kept':>14} {'no match':>8} {'ms/query':>8}")
    for name in sorted(rows):
        row = rows[name]
        for key, value in row.items():
            total[key] += value
        if not quiet:
            print(f"{name:<22} {row['cases']:>5.0f} {row['chars_out'] / row['chars_in']:>14.1%} "
                  f"{row['kept'] / row['groups']:>11.1%} {row['full'] / row['cases']:>14.1%} "
                  f"{row['nomatch'] / row['cases']:>8.1%} {row['ms'] / row['cases']:>8.1f}")
    retention, returned = total["kept"] / total["groups"], total["chars_out"] / total["chars_in"]
    if not quiet:
        print(f"{'ALL':<22} {total['cases']:>5.0f} {returned:>14.1%} {retention:>11.1%} "
              f"{total['full'] / total['cases']:>14.1%} {total['nomatch'] / total['cases']:>8.1%} "
              f"{total['ms'] / total['cases']:>8.1f}")
    return retention, returned


def sweep(cases: list[dict[str, Any]]) -> None:
    print("\n## Keyword threshold sweep (MIN_RELEVANCE, RELATIVE_RELEVANCE)\n")
    print(f"{'min':>5} {'relative':>8} {'groups kept':>11} {'chars returned':>14}")
    saved = _store_query.MIN_RELEVANCE, _store_query.RELATIVE_RELEVANCE
    try:
        for minimum in (0.1, 0.2, 0.3, 0.5):
            for relative in (0.3, 0.5, 0.7, 0.9):
                _store_query.MIN_RELEVANCE, _store_query.RELATIVE_RELEVANCE = minimum, relative
                retention, returned = bench_filtering(cases, quiet=True)
                print(f"{minimum:>5} {relative:>8} {retention:>11.1%} {returned:>14.1%}")
    finally:
        _store_query.MIN_RELEVANCE, _store_query.RELATIVE_RELEVANCE = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--sweep", action="store_true", help="also sweep the keyword thresholds")
    args = parser.parse_args(argv)
    cases = _load(Path(args.corpus))
    if not cases:
        print(f"no cases found in {args.corpus}", file=sys.stderr)
        return 1
    print(f"# CCR store benchmark: {len(cases)} cases from {args.corpus}")
    print(f"keyword thresholds: MIN_RELEVANCE={_store_query.MIN_RELEVANCE}, "
          f"RELATIVE_RELEVANCE={_store_query.RELATIVE_RELEVANCE}")
    bench_throughput(cases)
    bench_filtering(cases)
    if args.sweep:
        sweep(cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
