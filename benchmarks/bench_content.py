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

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _corpus import DEFAULT_CORPUS, LATENCY_COLUMNS, RETENTION_COLUMNS, Tally, case_text, load_cases, table, timed

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.base import CompressionContext
from headroom_integrations.engine.compressors.code import CodeCompressor
from headroom_integrations.engine.compressors.detect import ContentType, detect_content_type
from headroom_integrations.engine.compressors.diff import DiffCompressor
from headroom_integrations.engine.compressors.html import HtmlCompressor
from headroom_integrations.engine.compressors.tabular import TabularCompressor
from headroom_integrations.engine.compressors.text import TextCompressor
from headroom_integrations.engine.config import HeadroomConfig
from headroom_integrations.engine.relevance import RelevanceScorer, create_scorer
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer

COMPRESSORS: dict[ContentType, Callable[..., Any]] = {
    ContentType.CODE: CodeCompressor,
    ContentType.DIFF: DiffCompressor,
    ContentType.HTML: HtmlCompressor,
    ContentType.PROSE: TextCompressor,
    ContentType.TABULAR: TabularCompressor,
}


@dataclass
class _Tally(Tally):
    """Totals of one compressor over its cases."""

    modified: int = 0


def _kind(case: dict[str, Any], text: str) -> ContentType:
    if case["kind"] == "documents":
        return ContentType.PROSE
    return detect_content_type(text, case.get("tool_name")).type


def _build(kind: ContentType, scorer: RelevanceScorer | None) -> Any:
    return COMPRESSORS[kind]() if kind is ContentType.HTML else COMPRESSORS[kind](scorer=scorer)


def run(corpus: Path, verbose: bool = False, scorer_type: str = "bm25") -> dict[ContentType, _Tally]:
    tokenizer = get_tokenizer("gpt-4o")
    config = HeadroomConfig()
    scorer = create_scorer(scorer_type, config=config.relevance)
    tallies = {kind: _Tally() for kind in COMPRESSORS}
    for case in load_cases(corpus, kinds=("tool_output", "documents")):
        text = case_text(case)
        kind = _kind(case, text)
        if kind not in COMPRESSORS:
            continue
        ctx = CompressionContext(
            query=case.get("query") or "", config=config, tokenizer=tokenizer, store=CompressionStore()
        )
        out, ms = timed(_build(kind, scorer).compress, text, ctx)
        tally = tallies[kind]
        tally.modified += out.modified
        kept = tally.add(case, out.text, before=tokenizer.count_text(text), after=tokenizer.count_text(out.text), ms=ms)
        if verbose:
            print(
                f"  {kind.value:8} {case['id'][:60]:60} {out.transform or out.reason}"
                f"  kept {kept}/{len(case['must_keep'])}"
            )
    return tallies


def report(tallies: dict[ContentType, _Tally]) -> str:
    columns = [
        *[("compressor", 10), ("cases", 5), ("changed", 7), ("tokens before", 13), ("after", 8), ("reduction", 9)],
        *RETENTION_COLUMNS,
        *LATENCY_COLUMNS,
    ]
    rows: list[list[object]] = []
    for kind, t in tallies.items():
        name = COMPRESSORS[kind]().name
        if not t.cases:
            rows.append([name, 0, *["-"] * (len(columns) - 2)])
            continue
        rows.append(
            [
                name,
                t.cases,
                t.modified,
                f"{t.before:,}",
                f"{t.after:,}",
                f"{t.reduction:.1%}",
                *t.retention_cells(),
                *t.latency_cells(),
            ]
        )
    out = [table(columns, rows)]
    misses = [f"  {COMPRESSORS[k]().name}: {', '.join(t.missed_cases)}" for k, t in tallies.items() if t.misses]
    if misses:
        out += ["", "cases with a must_keep group lost:", *misses]
    return "\n".join(out)


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
