"""Benchmark history fitting and document selection under a 25% token budget.

Usage: python benchmarks/bench_history.py [corpus_dir]   (default: ../shared/corpus from the repo)

Conversations (locomo, tau-bench): each case is fitted into 25% of its own
tokens by the IntelligentContextManager (query = the case's query) and by the
recency baseline (keep the system message and the most recent messages that
fit, i.e. RollingWindow with keep_last_turns=0). A must_keep group is kept
when any of its strings occurs verbatim in the kept messages serialised as
``role: text`` blocks. Reported: kept groups / all groups, the share of cases
with every group kept, cases over budget, p50/p95 ms. tau-bench's system
prompt alone is 25-75% of a case, so a second tau-bench row budgets the
system prompt plus 25% of the rest.

Documents (squad): every article's paragraphs fitted into 25% of their tokens
by select_documents (relevance + sentence selection) and by plain top-k by
BM25 (whole paragraphs in BM25 order while they fit).
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headroom_integrations.engine.config import RollingWindowConfig
from headroom_integrations.engine.history import IntelligentContextManager, RollingWindow
from headroom_integrations.engine.history.documents import select_documents
from headroom_integrations.engine.messages import message_text
from headroom_integrations.engine.relevance import BM25Scorer
from headroom_integrations.engine.store import CompressionStore
from headroom_integrations.engine.tokenizer import Tokenizer

REPO = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o"
SHARE = 0.25


@dataclass
class Row:
    """Retention and latency of one method on one set of cases."""

    groups: int = 0
    kept: int = 0
    cases: int = 0
    complete: int = 0
    over_budget: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, groups: Sequence[Sequence[str]], text: str, ms: float, over: bool) -> None:
        hits = sum(1 for group in groups if any(s in text for s in group))
        self.groups += len(groups)
        self.kept += hits
        self.cases += 1
        self.complete += hits == len(groups)
        self.over_budget += over
        self.ms.append(ms)

    @property
    def retention(self) -> float:
        return self.kept / self.groups if self.groups else 0.0

    def cells(self) -> str:
        ordered = sorted(self.ms)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else 0.0
        return (
            f"{self.kept:>4}/{self.groups:<4} {100 * self.retention:6.1f}%  "
            f"{100 * self.complete / max(1, self.cases):5.1f}%  {self.over_budget:>4}  "
            f"{statistics.median(self.ms) if self.ms else 0.0:8.1f} {p95:8.1f}"
        )


def _serialise(messages: Sequence[Any]) -> str:
    return "\n\n".join(f"{m.get('role', '')}: {message_text(m)}" for m in messages)


def _load(corpus: Path, source: str, kind: str) -> list[dict[str, Any]]:
    path = corpus / f"{source}.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle]
    return [c for c in cases if c.get("kind") == kind]


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, (time.perf_counter() - start) * 1000


def bench_conversations(corpus: Path) -> dict[str, tuple[Row, Row]]:
    tokenizer = Tokenizer(MODEL)
    store = CompressionStore()
    manager = IntelligentContextManager(store=store)
    window = RollingWindow(RollingWindowConfig(keep_last_turns=0))
    rows: dict[str, tuple[Row, Row]] = {}
    for source in ("locomo", "tau-bench"):
        for case in _load(corpus, source, "conversation"):
            messages = case["messages"]
            total = int(tokenizer.count_messages(messages))
            system_messages = [m for m in messages if m["role"] == "system"]
            budgets = {source: max(1, int(total * SHARE))}
            if system_messages:
                system = int(tokenizer.count_messages(system_messages))
                budgets[f"{source} (system + 25% of rest)"] = system + max(1, int((total - system) * SHARE))
            for label, budget in budgets.items():
                ours, base = rows.setdefault(label, (Row(), Row()))
                result, ms = _timed(
                    manager.apply, messages, token_budget=budget, query=case["query"], model=MODEL
                )
                ours.add(case["must_keep"], _serialise(result.messages), ms, result.tokens_after > budget)
                fitted, ms = _timed(window.apply, messages, max_tokens=budget, model=MODEL)
                base.add(case["must_keep"], _serialise(fitted.messages), ms, fitted.tokens_after > budget)
    return rows


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
    tokenizer = Tokenizer(MODEL)
    store = CompressionStore()
    ours, base = Row(), Row()
    for case in _load(corpus, "squad", "documents"):
        texts = [d["text"] for d in case["documents"]]
        budget = max(1, int(sum(int(tokenizer.count_text(t)) for t in texts) * SHARE))
        selection, ms = _timed(select_documents, texts, case["query"], budget, model=MODEL, store=store)
        ours.add(case["must_keep"], selection.text, ms, selection.tokens_after > budget)
        baseline, ms = _timed(_top_k_bm25, texts, case["query"], budget, tokenizer)
        base.add(case["must_keep"], baseline, ms, False)
    return ours, base


def main(argv: Sequence[str]) -> None:
    corpus = Path(argv[1]) if len(argv) > 1 else (REPO / ".." / "shared" / "corpus").resolve()
    logging.getLogger("headroom_integrations").setLevel(
        logging.ERROR
    )  # best-effort warnings are counted below
    header = f"{'cases':<40} {'method':<22} {'kept/groups':>9}  retention  all-kept  over  p50 ms   p95 ms"
    print(f"History and documents under a {int(SHARE * 100)}% token budget ({corpus})\n")
    print(header)
    print("-" * len(header))
    for label, (ours, base) in bench_conversations(corpus).items():
        name = f"{label} ({ours.cases})"
        print(f"{name:<40} {'intelligent context':<22} {ours.cells()}")
        print(f"{'':<40} {'recency baseline':<22} {base.cells()}")
        ratio = ours.retention / base.retention if base.retention else float("inf")
        print(f"{'':<40} {'ratio':<22} {ratio:.2f}x")
    print("'over' = cases whose kept messages exceed the budget: the system prompt (and, for the intelligent")
    print("context, the last turns it always keeps) alone need more. Retention there is best effort.\n")
    ours, base = bench_documents(corpus)
    name = f"squad documents ({ours.cases})"
    print(f"{name:<40} {'select_documents':<22} {ours.cells()}")
    print(f"{'':<40} {'top-k BM25 baseline':<22} {base.cells()}")


if __name__ == "__main__":
    main(sys.argv)
