"""HeadroomRetriever: caps per constructor and per call, savings in the LangSmith run metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.tokens.tokenizer import count_tokens_text
from headroom_integrations.langchain.document_compressors import HeadroomDocumentCompressor
from headroom_integrations.langchain.retrievers import HeadroomRetriever
from tests.support.langsmith_recorder import LangSmithRecorder

QUERY = "Which port does the billing service listen on?"
ANSWER = "The billing service listens on port 8443"


class Wiki(BaseRetriever):
    """A retriever returning the same twelve pages for every query (a stand-in for a vector store)."""

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        pages = [
            Document(
                f"Page {i} covers the {name} service: deployment, alerts and on-call rotation. " * 6,
                metadata={"page": i},
            )
            for i, name in enumerate(["search", "auth", "mail", "queue", "cache", "gateway", "report", "audit"])
        ]
        pages.insert(5, Document(f"{ANSWER} behind the internal load balancer. " * 2, metadata={"page": "billing"}))
        pages += [Document(pages[0].page_content, metadata={"page": "copy"}) for _ in range(3)]
        return pages


def _tokens(docs: list[Document]) -> int:
    return sum(int(count_tokens_text(d.page_content)) for d in docs)


@pytest.fixture
def recorder() -> Iterator[LangSmithRecorder]:
    with LangSmithRecorder() as recorder:
        yield recorder


def _retriever(**kwargs: Any) -> HeadroomRetriever:
    compressor = HeadroomDocumentCompressor(store=CompressionStore())
    return HeadroomRetriever(base_retriever=Wiki(), compressor=compressor, **kwargs)


def test_caps_from_the_constructor_and_from_the_call() -> None:
    retriever = _retriever(k=3)
    docs = retriever.invoke(QUERY)
    assert len(docs) == 3 and docs[0].metadata == {"page": "billing"}
    assert len(retriever.invoke(QUERY, k=1)) == 1
    budgeted = retriever.invoke(QUERY, token_budget=80)
    assert _tokens(budgeted) <= 80 and ANSWER in budgeted[0].page_content
    summary = retriever.get_savings_summary()
    assert summary["calls"] == 3 and summary["tokens_saved"] > 0
    with pytest.raises(ConfigurationError):
        retriever.invoke(QUERY, k=0)


async def test_async_matches_sync() -> None:
    retriever = _retriever(k=2, token_budget=150)
    assert [d.page_content for d in await retriever.ainvoke(QUERY)] == [d.page_content for d in retriever.invoke(QUERY)]


def test_savings_are_run_metadata_in_langsmith(recorder: LangSmithRecorder) -> None:
    tracer = recorder.tracer()
    docs = _retriever(k=2).invoke(QUERY, config={"callbacks": [tracer]})
    runs = recorder.wait_for_runs(tracer)
    retriever_runs = [r for r in runs.values() if r.get("run_type") == "retriever"]
    assert len(retriever_runs) == 2  # Headroom's run and the wrapped retriever's, nested in it
    (outer,) = [r for r in retriever_runs if r.get("name") == "HeadroomRetriever"]
    (inner,) = [r for r in retriever_runs if r is not outer]
    assert inner["parent_run_id"] == outer["id"]
    metadata = outer["extra"]["metadata"]
    assert metadata["headroom_documents_before"] == 12 and metadata["headroom_documents_after"] == len(docs) == 2
    assert metadata["headroom_tokens_after"] == _tokens(docs)
    assert metadata["headroom_tokens_saved"] == metadata["headroom_tokens_before"] - metadata["headroom_tokens_after"]
    assert metadata["headroom_tokens_saved"] > 0 and metadata["headroom_transforms"]
    assert "headroom_tokens_saved" not in inner.get("extra", {}).get("metadata", {})
