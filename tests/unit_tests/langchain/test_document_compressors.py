"""HeadroomDocumentCompressor: ranked, de-duplicated, cut, and never over k documents or the budget."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.tokens.tokenizer import count_tokens_text
from headroom_integrations.langchain.document_compressors import HeadroomDocumentCompressor

QUERY = "When did the Hoover Dam open to visitors?"
ANSWER = "The Hoover Dam opened to visitors in 1937"
FILLER = [
    "The Colorado River flows through seven states before it reaches the Gulf of California.",
    "Lake Mead is a reservoir that supplies water to millions of people in the Southwest.",
    "Concrete cures slowly, and large pours need cooling pipes to avoid cracks.",
    "Las Vegas grew quickly in the twentieth century as tourism and construction boomed.",
    "Hydroelectric turbines convert the energy of falling water into electricity.",
    "The Great Depression brought thousands of workers to remote construction camps.",
]


def _docs() -> list[Document]:
    docs = [
        Document(f"{text} It is paragraph {i} of the guide.", metadata={"source": f"guide-{i}"}, id=f"d{i}")
        for i, text in enumerate(FILLER)
    ]
    answer = f"{ANSWER}, two years after construction ended. Tours of the dam still run every day."
    docs.insert(3, Document(answer, metadata={"source": "history", "page": 4}, id="answer"))
    docs.append(Document(answer.replace("  ", " ") + " ", metadata={"source": "mirror"}, id="copy"))
    long_text = " ".join(
        f"Section {i} describes the spillway gates and their maintenance schedule in detail." for i in range(60)
    )
    docs.append(
        Document(long_text + " The Hoover Dam visitor center opened in 1995.", metadata={"source": "manual"}, id="long")
    )
    return docs


def _tokens(docs: list[Document]) -> int:
    return sum(int(count_tokens_text(d.page_content)) for d in docs)


@pytest.fixture
def store() -> CompressionStore:
    return CompressionStore()


def test_k_keeps_the_most_relevant_and_removes_near_duplicates(store: CompressionStore) -> None:
    docs = _docs()
    out = HeadroomDocumentCompressor(k=3, store=store).compress_documents(docs, QUERY)
    assert len(out) == 3
    assert out[0] is docs[3]  # the answer first, the very same Document (metadata and id kept)
    assert "copy" not in [d.id for d in out]  # its near duplicate is gone
    assert len({d.page_content for d in out}) == 3


def test_token_budget_is_never_exceeded_and_cut_text_comes_back(store: CompressionStore) -> None:
    docs = _docs()
    compressor = HeadroomDocumentCompressor(token_budget=120, store=store)
    result = compressor.select(docs, QUERY)
    assert _tokens(result.documents) <= 120 < _tokens(docs)
    assert ANSWER in "\n".join(d.page_content for d in result.documents)
    excerpts = [d for d in result.documents if "headroom" in d.metadata]
    for excerpt in excerpts:
        original = next(d for d in docs if d.id == excerpt.id)
        assert store.retrieve(excerpt.metadata["headroom"]["ref"]) == original.page_content
        assert {k: v for k, v in excerpt.metadata.items() if k != "headroom"} == original.metadata
    savings = result.savings
    assert result.documents_before == len(docs) and savings.messages_after == len(result.documents)
    assert savings.tokens_after == _tokens(result.documents) and savings.tokens_saved > 0


def test_long_documents_are_cut_to_their_relevant_sentences(store: CompressionStore) -> None:
    docs = _docs()
    out = HeadroomDocumentCompressor(max_document_tokens=60, store=store).compress_documents(docs, QUERY)
    long = next(d for d in out if d.id == "long")
    assert int(count_tokens_text(long.page_content)) <= 60
    assert "visitor center opened in 1995" in long.page_content
    assert store.retrieve(long.metadata["headroom"]["ref"]) == docs[-1].page_content
    assert long.metadata["source"] == "manual"


def test_deterministic_and_audit_mode_hands_on_originals(store: CompressionStore) -> None:
    docs = _docs()
    compressor = HeadroomDocumentCompressor(k=4, token_budget=150, store=store)
    first = compressor.compress_documents(docs, QUERY)
    assert [(d.id, d.page_content) for d in first] == [
        (d.id, d.page_content) for d in compressor.compress_documents(docs, QUERY)
    ]
    audit = HeadroomDocumentCompressor(k=4, token_budget=150, mode="audit", store=CompressionStore())
    result = audit.select(docs, QUERY)
    assert result.documents == docs[:4] and result.savings.potential_tokens_saved > 0


def test_duplicates_can_be_kept_and_edge_inputs_pass() -> None:
    docs = _docs()
    keep_all = HeadroomDocumentCompressor(duplicate_threshold=None).compress_documents(docs, QUERY)
    assert len(keep_all) == len(docs)
    assert HeadroomDocumentCompressor(k=2).compress_documents([], QUERY) == []
    assert len(HeadroomDocumentCompressor(k=2).compress_documents(docs, "")) == 2


def test_bad_settings_raise_configuration_error() -> None:
    for bad in (
        {"k": 0},
        {"token_budget": -5},
        {"duplicate_threshold": 1.5},
        {"scorer_type": "magic"},
        {"mode": "fast"},
    ):
        with pytest.raises(ConfigurationError):
            HeadroomDocumentCompressor(**bad)


_texts = st.lists(
    st.lists(st.sampled_from(FILLER + [ANSWER + ".", "Tours run daily.", "x"]), min_size=1, max_size=6).map(" ".join),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=_texts, k=st.one_of(st.none(), st.integers(1, 6)), budget=st.one_of(st.none(), st.integers(20, 400)))
def test_caps_always_hold(texts: list[str], k: int | None, budget: int | None) -> None:
    docs = [Document(t, metadata={"i": i}) for i, t in enumerate(texts)]
    out = HeadroomDocumentCompressor(k=k, token_budget=budget, store=CompressionStore()).compress_documents(docs, QUERY)
    assert k is None or len(out) <= k
    assert budget is None or _tokens(list(out)) <= budget
    for doc in out:
        source = docs[doc.metadata["i"]]
        assert doc.page_content == source.page_content or "headroom_retrieve ref=" in doc.page_content


def test_inside_contextual_compression_retriever(store: CompressionStore) -> None:
    retrievers = pytest.importorskip("langchain_classic.retrievers")
    from langchain_core.retrievers import BaseRetriever

    class Fixed(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: object) -> list[Document]:
            return _docs()

    retriever = retrievers.ContextualCompressionRetriever(
        base_compressor=HeadroomDocumentCompressor(k=2, store=store), base_retriever=Fixed()
    )
    out = retriever.invoke(QUERY)
    assert len(out) == 2 and out[0].id == "answer"


def test_a_selection_failure_still_honours_k_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("scorer exploded")

    compressor = HeadroomDocumentCompressor(k=2, token_budget=100)
    monkeypatch.setattr(compressor._scorer, "score_items", broken)
    docs = _docs()
    with caplog.at_level("WARNING"):
        out = compressor.compress_documents(docs, QUERY)
    assert out == docs[:2] and "scorer exploded" in caplog.text
