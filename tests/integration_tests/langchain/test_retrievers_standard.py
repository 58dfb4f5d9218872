"""langchain-tests RetrieversIntegrationTests for HeadroomRetriever over an in-memory vector store."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_tests.integration_tests import RetrieversIntegrationTests

from headroom_integrations.langchain.retrievers import HeadroomRetriever

TOPICS = [
    "Kafka consumer groups rebalance when a member joins or leaves the group.",
    "PostgreSQL vacuum reclaims storage occupied by dead tuples after updates.",
    "Kubernetes readiness probes decide when a pod may receive traffic.",
    "Redis eviction policies choose which keys to drop when memory is full.",
    "TLS certificates expire and must be renewed before clients reject them.",
    "Nginx upstream timeouts cut slow backend responses after a set delay.",
    "Git rebase rewrites commits on top of another base branch.",
    "Prometheus scrapes metrics endpoints at a fixed interval.",
]


def _base_retriever() -> BaseRetriever:
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))
    store.add_documents([Document(text, metadata={"topic": i}) for i, text in enumerate(TOPICS)])
    return store.as_retriever(search_kwargs={"k": len(TOPICS)})


class TestHeadroomRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[HeadroomRetriever]:
        return HeadroomRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"base_retriever": _base_retriever(), "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "Why does the Kafka consumer group rebalance?"
