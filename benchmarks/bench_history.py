"""Benchmark history fitting and document selection under a 25% token budget.

Usage: python benchmarks/bench_history.py [corpus_dir]   (default: ../shared/corpus from the repo)

Conversations (locomo, tau-bench): each case is fitted into 25% of its own
tokens by the IntelligentContextManager and by the recency baseline (keep
the system message and the most recent messages that fit, i.e. RollingWindow
with keep_last_turns=0). A must_keep group is kept
when any of its strings occurs verbatim in the kept messages serialised as
``role: text`` blocks. Reported: kept groups / all groups, the share of cases
with every group kept, cases over budget, p50/p95 ms. tau-bench's system
prompt alone is 25-75% of a case, so a second tau-bench row budgets the
system prompt plus 25% of the rest.

The manager ranks against the conversation's latest user message, as every
integration does (compress(), the middleware, memory): a deployed agent has
nothing else. The case's own query is also tried, on a row marked "oracle":
for tau-bench it is the user simulator's hidden instruction (reservation ids,
names), which no agent sees, so that row is an upper bound, not a result.

Documents (squad): every article's paragraphs fitted into 25% of their tokens
by select_documents (relevance + sentence selection) and by plain top-k by
BM25 (whole paragraphs in BM25 order while they fit).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _corpus import DEFAULT_CORPUS, Tally, load_cases, serialise, table, timed

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.config import RollingWindowConfig
from headroom_integrations.engine.documents.selection import select_documents
from headroom_integrations.engine.history import IntelligentContextManager, RollingWindow
from headroom_integrations.engine.relevance import BM25Scorer, EmbeddingScorer, HybridScorer, embedding_available
from headroom_integrations.engine.tokens.tokenizer import Tokenizer, get_tokenizer

MODEL = "gpt-4o"
SHARE = 0.25
COLUMNS = [
    ("cases", 38),
    ("method", 20),
    ("groups kept", 11),
    ("retention", 9),
    ("all-kept", 8),
    ("over", 5),
    ("over floor", 10),
    ("p50 ms", 8),
    ("p95 ms", 8),
]


@dataclass
class Row(Tally):
    """Retention and latency of one method on one set of cases."""

    over_budget: int = 0
    over_floor: int = 0

    def cells(self, label: str, method: str) -> list[object]:
        kept, retention, _ = self.retention_cells()
        return [
            label,
            method,
            kept,
            retention,
            f"{self.full / max(1, self.cases):.1%}",
            self.over_budget,
            self.over_floor,
            *self.latency_cells(),
        ]


def _hybrid_manager(store: CompressionStore) -> IntelligentContextManager | None:
    """The manager ranking by BM25 + the bundled embedding model, when the ``relevance`` extra is installed."""
    if not embedding_available():
        return None
    return IntelligentContextManager(store=store, scorer=HybridScorer())


def bench_conversations(corpus: Path) -> dict[str, tuple[Row, Row | None, Row, Row]]:
    tokenizer = get_tokenizer(MODEL)
    store = CompressionStore()
    manager = IntelligentContextManager(store=store)
    hybrid = _hybrid_manager(store)
    window = RollingWindow(RollingWindowConfig(keep_last_turns=0))
    rows: dict[str, tuple[Row, Row | None, Row, Row]] = {}
    for case in load_cases(corpus, sources=("locomo", "tau-bench"), kinds=("conversation",)):
        source, messages = case["source"], case["messages"]
        total = int(tokenizer.count_messages(messages))
        system_messages = [m for m in messages if m["role"] == "system"]
        budgets = {source: max(1, int(total * SHARE))}
        if system_messages:
            system = int(tokenizer.count_messages(system_messages))
            budgets[f"{source} (system + 25% of rest)"] = system + max(1, int((total - system) * SHARE))
        for label, budget in budgets.items():
            ours, both, oracle, base = rows.setdefault(
                label, (Row(), Row() if hybrid is not None else None, Row(), Row())
            )
            for fitter, row, query in ((manager, ours, None), (hybrid, both, None), (manager, oracle, case["query"])):
                if fitter is None or row is None:
                    continue
                result, ms = timed(fitter.apply, messages, token_budget=budget, query=query, model=MODEL)
                row.add(case, serialise(result.messages), ms=ms)
                row.over_budget += result.tokens_after > budget
                row.over_floor += result.tokens_after > max(budget, _floor(result.messages, messages, tokenizer))
            fitted, ms = timed(window.apply, messages, max_tokens=budget, model=MODEL)
            base.add(case, serialise(fitted.messages), ms=ms)
            base.over_budget += fitted.tokens_after > budget
            base.over_floor += fitted.tokens_after > max(budget, _floor(fitted.messages, messages, tokenizer))
    return rows


def _hybrid_cold_start(corpus: Path) -> str:
    """What the first hybrid-ranked fit in a process costs: loading the model, then its first call."""
    if not embedding_available():
        return "hybrid ranking: not measured (the relevance extra is not installed)"
    store = CompressionStore()
    case = next(iter(load_cases(corpus, sources=("locomo",), kinds=("conversation",))))
    budget = max(1, int(get_tokenizer(MODEL).count_messages(case["messages"]) * SHARE))
    _, load_ms = timed(EmbeddingScorer().embed, ["warm up"])
    manager = IntelligentContextManager(store=store, scorer=HybridScorer())
    _, first_ms = timed(manager.apply, case["messages"], token_budget=budget, model=MODEL)
    _, again_ms = timed(manager.apply, case["messages"], token_budget=budget, model=MODEL)
    return (
        f"hybrid cold start: model load {load_ms:.0f} ms (once per process), first fit of a locomo case "
        f"{first_ms:.0f} ms, the same fit again {again_ms:.0f} ms (embeddings cached)"
    )


def _floor(kept: Sequence[Any], messages: Sequence[Any], tokenizer: Tokenizer) -> int:
    """Tokens of what no budget can remove: the system message(s), a note and the final user message."""
    floor = [m for m in messages if m["role"] == "system"]
    notes = [m for m in kept if m not in messages][:1]
    return int(tokenizer.count_messages([*floor, *notes, messages[-1]]))


def _top_k_bm25(texts: Sequence[str], query: str, budget: int, tokenizer: Tokenizer) -> str:
    scores = BM25Scorer().score_items(texts, query)
    kept, room = [], budget
    for index in sorted(range(len(texts)), key=lambda i: (-scores[i], i)):
        cost = int(tokenizer.count_text(texts[index]))
        if cost <= room:
            kept.append(texts[index])
            room -= cost
    return "\n\n".join(kept)


def bench_documents(corpus: Path) -> tuple[Row, Row]:
    tokenizer = get_tokenizer(MODEL)
    store = CompressionStore()
    ours, base = Row(), Row()
    for case in load_cases(corpus, sources=("squad",), kinds=("documents",)):
        texts = [d["text"] for d in case["documents"]]
        budget = max(1, int(sum(int(tokenizer.count_text(t)) for t in texts) * SHARE))
        selection, ms = timed(select_documents, texts, case["query"], budget, model=MODEL, store=store)
        ours.add(case, selection.text, ms=ms)
        ours.over_budget += selection.tokens_after > budget
        baseline, ms = timed(_top_k_bm25, texts, case["query"], budget, tokenizer)
        base.add(case, baseline, ms=ms)
    return ours, base


def main(argv: Sequence[str]) -> None:
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT_CORPUS
    logging.getLogger("headroom_integrations").setLevel(logging.ERROR)  # best-effort warnings are counted below
    print(f"History and documents under a {int(SHARE * 100)}% token budget ({corpus})\n")
    rows: list[Sequence[Any] | None] = []
    cold = _hybrid_cold_start(corpus)
    for label, (ours, both, oracle, base) in bench_conversations(corpus).items():
        ratio = ours.retention / base.retention if base.retention else float("inf")
        rows += [
            ours.cells(f"{label} ({ours.cases})", "intelligent context"),
            *([both.cells("", "  ... hybrid ranking")] if both is not None else []),
            oracle.cells("", "  ... oracle query"),
            base.cells("", "recency baseline"),
            ["", "ratio", f"{ratio:.2f}x", "", "", "", "", "", ""],
        ]
    ours, base = bench_documents(corpus)
    rows += [
        None,
        ours.cells(f"squad documents ({ours.cases})", "select_documents"),
        base.cells("", "top-k BM25 baseline"),
    ]
    print(table(COLUMNS, rows, left=2))
    print("\n'over' = cases whose kept messages exceed the budget; 'over floor' = cases over max(budget, floor),")
    print("floor = the system message(s) + the final user message (+ the note naming what was dropped). A case")
    print("whose floor alone is over the budget keeps only the floor (system prompts are not cut by default).")
    print(
        "'intelligent context' ranks by BM25 (the default); '... hybrid ranking' by BM25 + all-MiniLM-L6-v2 "
        "(the relevance extra),\nboth against the latest user message; '... oracle query' ranks against the "
        "case's query, which for tau-bench\nis the user simulator's hidden instruction (no agent sees it): "
        "an upper bound, not a result."
    )
    print(cold)


if __name__ == "__main__":
    main(sys.argv)
