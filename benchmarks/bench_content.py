"""Token reduction, must_keep retention and speed of the code / diff / HTML / prose / table compressors.

Usage: python benchmarks/bench_content.py [corpus_dir] [--verbose] [--scorer=bm25|hybrid|embedding|auto]

Tool outputs go to the compressor of the type the engine's detector assigns
(code, diff, html, prose, tabular); document sets (``kind: documents``) are
joined by blank lines, as the corpus README defines, and go to the prose
compressor with the case's question as the query. Reduction is
``1 - after/before`` over o200k tokens summed per compressor; retention is
kept must_keep groups over all groups (a group is kept when any of its
strings appears verbatim in the output).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from headroom_integrations.engine.compressors.base import CompressionContext, CompressorOutput
from headroom_integrations.engine.compressors.code import CodeCompressor
from headroom_integrations.engine.compressors.detect import ContentType, detect_content_type
from headroom_integrations.engine.compressors.diff import DiffCompressor
from headroom_integrations.engine.compressors.html import HtmlCompressor
from headroom_integrations.engine.compressors.tabular import TabularCompressor
from headroom_integrations.engine.compressors.text import TextCompressor
from headroom_integrations.engine.config import HeadroomConfig
from headroom_integrations.engine.relevance import RelevanceScorer, create_scorer
from headroom_integrations.engine.store import CompressionStore
from headroom_integrations.engine.tokenizer import Tokenizer

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"

COMPRESSORS: dict[ContentType, Callable[..., object]] = {
    ContentType.CODE: CodeCompressor,
    ContentType.DIFF: DiffCompressor,
    ContentType.HTML: HtmlCompressor,
    ContentType.PROSE: TextCompressor,
    ContentType.TABULAR: TabularCompressor,
}


@dataclass
class Tally:
    """Totals of one compressor over its cases."""

    cases: int = 0
    modified: int = 0
    before: int = 0
    after: int = 0
    groups: int = 0
    kept_groups: int = 0
    fully_kept: int = 0
    ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def _cases(corpus: Path) -> Iterator[tuple[dict, str]]:
    """(case, text) for every tool output and document set, in file and line order."""
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                case = json.loads(line)
                if case["kind"] == "tool_output":
                    yield case, case["content"]
                elif case["kind"] == "documents":
                    yield case, "\n\n".join(doc["text"] for doc in case["documents"])


def _kind(case: dict, text: str) -> ContentType:
    if case["kind"] == "documents":
        return ContentType.PROSE
    return detect_content_type(text, case.get("tool_name")).type


def _build(kind: ContentType, scorer: RelevanceScorer | None) -> object:
    return COMPRESSORS[kind]() if kind is ContentType.HTML else COMPRESSORS[kind](scorer=scorer)


def run(corpus: Path, verbose: bool = False, scorer_type: str = "bm25") -> dict[ContentType, Tally]:
    tokenizer = Tokenizer("gpt-4o")
    config = HeadroomConfig()
    scorer = create_scorer(scorer_type, config=config.relevance)
    tallies = {kind: Tally() for kind in COMPRESSORS}
    for case, text in _cases(corpus):
        kind = _kind(case, text)
        if kind not in COMPRESSORS:
            continue
        ctx = CompressionContext(
            query=case.get("query") or "", config=config, tokenizer=tokenizer, store=CompressionStore()
        )
        compressor = _build(kind, scorer)
        start = time.perf_counter()
        out: CompressorOutput = compressor.compress(text, ctx)  # type: ignore[attr-defined]
        elapsed = (time.perf_counter() - start) * 1000
        tally = tallies[kind]
        tally.cases += 1
        tally.modified += out.modified
        tally.before += tokenizer.count_text(text)
        tally.after += tokenizer.count_text(out.text)
        kept = sum(1 for group in case["must_keep"] if any(s in out.text for s in group))
        tally.groups += len(case["must_keep"])
        tally.kept_groups += kept
        tally.fully_kept += kept == len(case["must_keep"])
        tally.ms.append(elapsed)
        if kept < len(case["must_keep"]):
            tally.misses.append(case["id"])
        if verbose:
            print(
                f"  {kind.value:8} {case['id'][:60]:60} {out.transform or out.reason}"
                f"  kept {kept}/{len(case['must_keep'])}"
            )
    return tallies


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(tallies: dict[ContentType, Tally]) -> str:
    header = (
        f"{'compressor':10} {'cases':>5} {'changed':>7} {'tokens before':>13} {'after':>8} {'reduction':>9} "
        f"{'retention':>9} {'full':>7} {'p50 ms':>7} {'p95 ms':>7}"
    )
    rows = [header, "-" * len(header)]
    for kind, t in tallies.items():
        name = COMPRESSORS[kind]().name  # type: ignore[attr-defined]
        if not t.cases:
            rows.append(f"{name:10} {0:>5}   (no corpus case of this type)")
            continue
        reduction = 1 - t.after / t.before if t.before else 0.0
        retention = t.kept_groups / t.groups if t.groups else 1.0
        rows.append(
            f"{name:10} {t.cases:>5} {t.modified:>7} {t.before:>13,} {t.after:>8,} {reduction:>9.1%} "
            f"{retention:>9.1%} {t.fully_kept:>3}/{t.cases:<3} {statistics.median(t.ms):>7.1f} "
            f"{_percentile(t.ms, 0.95):>7.1f}"
        )
    misses = [f"  {COMPRESSORS[k]().name}: {', '.join(t.misses)}" for k, t in tallies.items() if t.misses]  # type: ignore[attr-defined]
    if misses:
        rows += ["", "cases with a must_keep group lost:", *misses]
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else DEFAULT_CORPUS
    if not corpus.is_dir():
        print(f"corpus directory not found: {corpus}", file=sys.stderr)
        return 2
    scorer = next((a.split("=", 1)[1] for a in argv if a.startswith("--scorer=")), "bm25")
    print(f"corpus {corpus}, relevance scorer {scorer}")
    print(report(run(corpus, verbose="--verbose" in argv, scorer_type=scorer)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
