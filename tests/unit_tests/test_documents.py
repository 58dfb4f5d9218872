"""select_documents: the most relevant documents whole, the best sentences of the rest, within budget."""

from __future__ import annotations

import re

import pytest

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.base import CompressionContext
from headroom_integrations.engine.config import HeadroomConfig
from headroom_integrations.engine.documents.selection import select_documents
from headroom_integrations.engine.errors import ConfigurationError

from ._history_support import TOKENIZER

REF = re.compile(r"headroom_retrieve ref=([0-9a-f]+)")

TOPICS = ["glaciers", "volcanoes", "coral reefs", "deserts", "rainforests", "tundra", "estuaries", "savannas"]


def _docs() -> list[str]:
    docs = []
    for i, topic in enumerate(TOPICS):
        sentences = [f"The {topic} chapter opens with a survey of field stations number {i}."]
        sentences += [f"Researchers measured {topic} sample {j} over several seasons with care." for j in range(8)]
        docs.append(" ".join(sentences))
    # the answer hides in one sentence of a document that is mostly about something else
    docs[6] = docs[6].replace(
        "Researchers measured estuaries sample 3 over several seasons with care.",
        "The Halvorsen lighthouse keeper logged 212 storm surges at the estuary mouth.",
    )
    return docs


def _total(docs: list[str]) -> int:
    return sum(int(TOKENIZER.count_text(d)) for d in docs)


def test_everything_fits_when_the_budget_allows() -> None:
    docs = _docs()
    selection = select_documents(docs, "glaciers", _total(docs) + 10, store=CompressionStore())
    assert all(d.complete for d in selection.documents) and selection.dropped == ()
    assert sorted(d.index for d in selection.documents) == list(range(len(docs)))
    assert selection.documents[0].index == 0  # most relevant first


def test_best_documents_whole_and_answer_sentence_from_the_rest() -> None:
    store = CompressionStore()
    docs = _docs()
    budget = _total(docs) // 4
    query = "How many storm surges did the Halvorsen lighthouse keeper log?"
    selection = select_documents(docs, query, budget, store=store)
    assert selection.tokens_after <= budget
    assert "logged 212 storm surges" in selection.text
    excerpts = [d for d in selection.documents if not d.complete]
    assert excerpts and all(REF.search(d.text) for d in excerpts)
    ref = REF.search(next(d.text for d in selection.documents if d.index == 6)).group(1)  # type: ignore[union-attr]
    assert store.retrieve(ref) == docs[6] and ref in selection.refs
    kept = {d.index for d in selection.documents}
    assert set(selection.dropped) == set(range(len(docs))) - kept


def test_selection_is_deterministic_and_simulate_writes_nothing() -> None:
    docs = _docs()
    dry = CompressionContext(query="", config=HeadroomConfig(), tokenizer=TOKENIZER, store=None)
    a = select_documents(docs, "coral reefs sample 2", 300, context=dry)
    b = select_documents(list(docs), "coral reefs sample 2", 300, store=CompressionStore())
    assert a.text == b.text and a.refs == b.refs


def test_odd_inputs() -> None:
    assert select_documents([], "q", 10, store=CompressionStore()).documents == []
    odd = select_documents([12345, None], "12345", 100, store=CompressionStore())  # type: ignore[list-item]
    assert odd.documents[0].text == "12345"
    with pytest.raises(ConfigurationError):
        select_documents(["a"], "q", 0)
