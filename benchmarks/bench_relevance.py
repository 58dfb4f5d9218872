"""Relevance scorers on real text: speed on 1,000 items and answer-paragraph ranking on SQuAD.

Usage: python benchmarks/bench_relevance.py [CORPUS_DIR]   (default ../shared/corpus)

Speed: 1,000 items of ~50 words cut from the corpus's squad and locomo texts,
scored against a real question. "cold" means the scorer sees these items
for the first time (model already loaded), "warm" the same call repeated.
Quality: for each squad question, all paragraphs of its article are scored;
a hit means the paragraph holding the gold answer ranks first (top-3 too).
Identifiers: for each github case (a JSON list of API objects and a question
naming one), the objects are scored; a hit means the named object ranks first.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from _corpus import DEFAULT_CORPUS, kept_groups, load_cases, table, timed

from headroom_integrations.engine.relevance import (
    BM25Scorer,
    EmbeddingScorer,
    HybridScorer,
    RelevanceScorer,
    embedding_available,
)

WORDS_PER_ITEM = 50
ITEMS = 1000


def _texts(corpus: Path) -> Iterator[str]:
    """Paragraphs of squad documents and locomo dialogue turns, in corpus order."""
    for case in load_cases(corpus, sources=("squad",)):
        for doc in case["documents"]:
            yield doc["text"]
    for case in load_cases(corpus, sources=("locomo",)):
        for message in case["messages"][:-1]:
            if isinstance(message.get("content"), str):
                yield message["content"]


def _item_sets(corpus: Path, count: int) -> list[list[str]]:
    """``count`` disjoint sets of ITEMS chunks of ~WORDS_PER_ITEM words each."""
    words: list[str] = []
    sets: list[list[str]] = [[]]
    for text in _texts(corpus):
        words.extend(text.split())
        while len(words) >= WORDS_PER_ITEM:
            sets[-1].append(" ".join(words[:WORDS_PER_ITEM]))
            del words[:WORDS_PER_ITEM]
            if len(sets[-1]) == ITEMS:
                if len(sets) == count:
                    return sets
                sets.append([])
    raise SystemExit(f"corpus too small for {count} sets of {ITEMS} items")


def _speed(corpus: Path, scorers: dict[str, RelevanceScorer], query: str) -> list[tuple[str, float, float]]:
    rows = []
    for (name, scorer), items in zip(scorers.items(), _item_sets(corpus, len(scorers)), strict=True):
        call = partial(scorer.score_items, items, query)
        cold = timed(call)[1]
        warm = min(timed(call)[1] for _ in range(3))
        rows.append((name, cold, warm))
    return rows


def _answer_index(case: dict) -> int | None:
    for index, doc in enumerate(case["documents"]):
        if any(kept_groups(doc["text"], case["must_keep"])):
            return index
    return None


def _ranking(scorer: RelevanceScorer, case: dict) -> list[int]:
    scores = scorer.score_items([d["text"] for d in case["documents"]], case["query"])
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def _quality(corpus: Path, scorers: dict[str, RelevanceScorer]) -> tuple[int, dict[str, tuple[int, int, float]]]:
    cases = [(c, _answer_index(c)) for c in load_cases(corpus, sources=("squad",))]
    cases = [(c, i) for c, i in cases if i is not None]
    results = {}
    for name, scorer in scorers.items():
        orders, ms = timed(lambda s=scorer: [_ranking(s, case) for case, _ in cases])
        top1 = sum(order[0] == answer for order, (_, answer) in zip(orders, cases, strict=True))
        top3 = sum(answer in order[:3] for order, (_, answer) in zip(orders, cases, strict=True))
        results[name] = (top1, top3, ms / len(cases))
    return len(cases), results


def _json_lists(value: object) -> Iterator[list[dict]]:
    """Lists of >= 5 objects anywhere in a parsed JSON body, outermost first."""
    if isinstance(value, list) and len(value) >= 5 and all(isinstance(v, dict) for v in value):
        yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from _json_lists(child)


def _record_cases(corpus: Path) -> list[tuple[list[str], str, int]]:
    """(serialised objects, question, index of the object holding every must_keep group)."""
    cases = []
    for case in load_cases(corpus, sources=("github",)):
        try:
            body = json.loads(case["content"])
        except ValueError:
            continue
        for records in _json_lists(body):
            items = [json.dumps(r, ensure_ascii=False) for r in records]
            gold = [
                i
                for i, item in enumerate(items)
                if all(any(s in item or json.dumps(s)[1:-1] in item for s in g) for g in case["must_keep"])
            ]
            if len(gold) == 1:
                cases.append((items, case["query"], gold[0]))
                break
    return cases


def _records(corpus: Path, scorers: dict[str, RelevanceScorer]) -> tuple[int, dict[str, int]]:
    cases = _record_cases(corpus)
    hits = {}
    for name, scorer in scorers.items():
        hits[name] = 0
        for items, query, gold in cases:
            scores = scorer.score_items(items, query)
            hits[name] += min(range(len(scores)), key=lambda i: (-scores[i], i)) == gold
    return len(cases), hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    corpus = parser.parse_args(argv).corpus

    scorers: dict[str, RelevanceScorer] = {"bm25": BM25Scorer()}
    if embedding_available():
        embedding = EmbeddingScorer()
        scorers["hybrid"] = HybridScorer()  # before "embedding": the embedding cache is shared
        scorers["embedding"] = embedding
        _, load = timed(embedding.score_items, ["warm-up"], "load the model")
        print(f"embedding model load (once per process): {load:.0f} ms")
    else:
        print("embedding model unavailable: BM25 only", file=sys.stderr)

    query = load_cases(corpus, sources=("squad",), limit=1)[0]["query"]
    print(f"\nSpeed: {ITEMS} items x ~{WORDS_PER_ITEM} words, query {query!r}")
    speed = _speed(corpus, scorers, query)
    print(table([("scorer", 10), ("cold ms", 10), ("warm ms", 10)], [[n, f"{c:.1f}", f"{w:.1f}"] for n, c, w in speed]))

    total, results = _quality(corpus, scorers)
    print(f"\nSQuAD answer-paragraph ranking ({total} questions, all paragraphs of the article)")
    print(
        table(
            [("scorer", 10), ("top-1", 8), ("top-3", 8), ("ms/query", 10)],
            [[n, f"{t1 / total:.1%}", f"{t3 / total:.1%}", f"{ms:.1f}"] for n, (t1, t3, ms) in results.items()],
        )
    )

    total, hits = _records(corpus, scorers)
    print(f"\nGitHub API objects: the object the question names ranks first ({total} cases)")
    print(table([("scorer", 10), ("top-1", 8)], [[n, f"{hit / total:.1%}"] for n, hit in hits.items()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
