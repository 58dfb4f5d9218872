"""Benchmark the LangChain context components on the corpus, against LangChain's own tools.

Usage: python benchmarks/bench_langchain_context.py [corpus_dir] [--quick]
(default corpus: ../shared/corpus relative to the repo)

1. Memory (locomo, tau-bench conversations): ``HeadroomChatMessageHistory``'s
   view (tool results compressed, history fitted) vs ``trim_messages``
   (strategy="last", system kept), the usual LangChain way to fit a history.
   Budget: the system message plus 25% of the other tokens. A must_keep group
   counts as kept when one of its strings occurs in the returned messages
   serialised as ``role: text`` (tool-call names and arguments included).
2. Retrieval (squad paragraphs): ``HeadroomRetriever(k=4, token_budget=half)``
   vs the plain top-4 by BM25 (whole paragraphs), the k=4 a vector store
   retriever returns by default, and vs whole paragraphs in rank order within
   the same half budget; Headroom also with the embedding scorer when installed.
3. Overhead: ms ``HeadroomMiddleware`` adds per model request (history fitted
   to the model's window, nothing cut) on the conversation cases.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, SystemMessage, convert_to_messages, trim_messages
from langchain_core.retrievers import BaseRetriever

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.messages import message_text
from headroom_integrations.engine.relevance import BM25Scorer, embedding_available
from headroom_integrations.engine.tokens.tokenizer import Tokenizer
from headroom_integrations.langchain._convert import to_engine_messages
from headroom_integrations.langchain._fitting import build_view
from headroom_integrations.langchain._options import EngineOptions
from headroom_integrations.langchain.document_compressors import HeadroomDocumentCompressor
from headroom_integrations.langchain.memory import HeadroomChatMessageHistory
from headroom_integrations.langchain.retrievers import HeadroomRetriever

REPO = Path(__file__).resolve().parent.parent
TOKENIZER = Tokenizer("gpt-4o")
HISTORY_SHARE = 0.25
TOP_K = 4


def _load(corpus: Path, source: str, kind: str, limit: int | None) -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in (corpus / f"{source}.jsonl").read_text().splitlines() if line.strip()]
    cases = [c for c in cases if c["kind"] == kind]
    return cases[:limit] if limit else cases


def _kept(groups: Sequence[Sequence[str]], text: str) -> int:
    return sum(any(s in text for s in group) for group in groups)


def _tokens(messages: Sequence[BaseMessage]) -> int:
    return int(TOKENIZER.count_messages(to_engine_messages(messages)))


def _serialised(messages: Sequence[BaseMessage]) -> str:
    return "\n\n".join(f"{m['role']}: {message_text(m)}" for m in to_engine_messages(messages))


class _Tally:
    """Kept groups, complete cases, tokens and latency of one method."""

    def __init__(self) -> None:
        self.groups = self.kept = self.cases = self.complete = self.over = 0
        self.tokens_before = self.tokens_after = 0
        self.ms: list[float] = []

    def add(self, groups: Sequence[Sequence[str]], text: str, before: int, after: int, budget: int, ms: float) -> None:
        hits = _kept(groups, text)
        self.groups += len(groups)
        self.kept += hits
        self.cases += 1
        self.complete += hits == len(groups)
        self.over += after > budget
        self.tokens_before += before
        self.tokens_after += after
        self.ms.append(ms)

    def row(self, name: str) -> str:
        ms = sorted(self.ms) or [0.0]
        return (
            f"{name:<34} {self.cases:>5} {100 * self.kept / max(1, self.groups):>7.1f}% "
            f"{100 * self.complete / max(1, self.cases):>7.1f}% {self.over:>5} "
            f"{100 * (1 - self.tokens_after / max(1, self.tokens_before)):>7.1f}% "
            f"{statistics.median(ms):>8.1f} {ms[int(0.95 * (len(ms) - 1))]:>8.1f}"
        )


HEADER = f"{'method':<34} {'cases':>5} {'kept':>8} {'all-kept':>8} {'over':>5} {'saved':>8} {'p50 ms':>8} {'p95 ms':>8}"


def _timed(func: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = func()
    return out, (time.perf_counter() - started) * 1000.0


def bench_memory(corpus: Path, limit: int | None) -> None:
    print("\n1. Memory: history fitted to system + 25% of the rest (conversations)")
    for source in ("locomo", "tau-bench"):
        headroom, trimmed = _Tally(), _Tally()
        for case in _load(corpus, source, "conversation", limit):
            messages = convert_to_messages(case["messages"])
            system = [m for m in messages if isinstance(m, SystemMessage)]
            before = _tokens(messages)
            budget = _tokens(system) + int(HISTORY_SHARE * (before - _tokens(system)))
            history = HeadroomChatMessageHistory(
                InMemoryChatMessageHistory(messages=list(messages)), token_budget=budget, store=CompressionStore()
            )
            view, ms = _timed(lambda h=history: h.messages)
            headroom.add(case["must_keep"], _serialised(view), before, _tokens(view), budget, ms)
            cut, ms = _timed(
                lambda m=messages, b=budget: trim_messages(
                    m,
                    max_tokens=b,
                    token_counter=_tokens,
                    strategy="last",
                    include_system=True,
                    start_on="human",
                    allow_partial=False,
                )
            )
            trimmed.add(case["must_keep"], _serialised(cut), before, _tokens(cut), budget, ms)
        print(f"\n{source}\n{HEADER}")
        print(headroom.row("HeadroomChatMessageHistory"))
        print(trimmed.row("trim_messages(strategy='last')"))


class _Paragraphs(BaseRetriever):
    """Returns the case's paragraphs as the candidates (the retriever Headroom wraps)."""

    docs: list[Document]

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return self.docs


def bench_retrieval(corpus: Path, limit: int | None) -> None:
    print(f"\n2. Retrieval (squad): plain top-{TOP_K} by BM25 vs HeadroomRetriever(k={TOP_K}, half the tokens)")
    scorers = ["bm25"] + (["auto"] if embedding_available() else [])
    tallies = {"top4": _Tally(), "fit": _Tally(), **{s: _Tally() for s in scorers}}
    # One compressor per scorer, as an application keeps one (the embedding model loads once).
    compressors = {s: HeadroomDocumentCompressor(scorer_type=s, store=CompressionStore()) for s in scorers}
    bm25 = BM25Scorer()
    for case in _load(corpus, "squad", "documents", limit):
        docs = [Document(d["text"], metadata={"id": d["id"]}) for d in case["documents"]]
        texts = [d.page_content for d in docs]
        before = sum(int(TOKENIZER.count_text(t)) for t in texts)
        scores = list(bm25.score_items(texts, case["query"]))
        top = sorted(range(len(texts)), key=lambda i: (-scores[i], i))[:TOP_K]
        top_text = "\n\n".join(texts[i] for i in top)
        top_tokens = sum(int(TOKENIZER.count_text(texts[i])) for i in top)
        tallies["top4"].add(case["must_keep"], top_text, before, top_tokens, top_tokens, 0.0)
        budget = max(1, top_tokens // 2)
        whole, used = [], 0
        for i in top:  # the same budget spent on whole paragraphs in rank order
            cost = int(TOKENIZER.count_text(texts[i]))
            if used + cost <= budget:
                whole.append(texts[i])
                used += cost
        tallies["fit"].add(case["must_keep"], "\n\n".join(whole), before, used, budget, 0.0)
        for scorer in scorers:
            retriever = HeadroomRetriever(
                base_retriever=_Paragraphs(docs=docs),
                k=TOP_K,
                token_budget=budget,
                compressor=compressors[scorer],
            )
            kept, ms = _timed(lambda r=retriever, q=case["query"]: r.invoke(q))
            text = "\n\n".join(d.page_content for d in kept)
            after = sum(int(TOKENIZER.count_text(d.page_content)) for d in kept)
            tallies[scorer].add(case["must_keep"], text, before, after, budget, ms)
    print(HEADER)
    print(tallies["top4"].row(f"top-{TOP_K} whole paragraphs (BM25)"))
    print(tallies["fit"].row("whole paragraphs in 1/2 tokens (BM25)"))
    for scorer in scorers:
        print(tallies[scorer].row(f"HeadroomRetriever ({scorer}), 1/2 tokens"))


def bench_overhead(corpus: Path, limit: int | None) -> None:
    print("\n3. Middleware overhead per model request (fitting to the model window, nothing cut)")
    options = EngineOptions.build(store=CompressionStore())
    for source in ("locomo", "tau-bench"):
        timings, sizes = [], []
        for case in _load(corpus, source, "conversation", limit):
            messages = convert_to_messages(case["messages"])
            build_view(messages, options, "gpt-4o")  # warm: tokenizer caches, like an agent's later turns
            _, ms = _timed(lambda m=messages: build_view(m, options, "gpt-4o"))
            timings.append(ms)
            sizes.append(_tokens(messages))
        timings.sort()
        print(
            f"{source:<10} {len(timings):>4} requests, median {statistics.median(sizes):>7,.0f} tokens: "
            f"p50 {statistics.median(timings):.2f} ms, p95 {timings[int(0.95 * (len(timings) - 1))]:.2f} ms"
        )


def main(argv: list[str]) -> None:
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")  # InMemoryChatMessageHistory is marked deprecated; it is only the store here
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else REPO.parent / "shared" / "corpus"
    limit = 8 if "--quick" in argv else None
    print(f"corpus: {corpus}  (tokens: gpt-4o / o200k)")
    bench_memory(corpus, limit)
    bench_retrieval(corpus, limit)
    bench_overhead(corpus, limit)


if __name__ == "__main__":
    main(sys.argv[1:])
