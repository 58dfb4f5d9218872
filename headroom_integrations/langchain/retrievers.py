"""``HeadroomRetriever``: any retriever, its documents ranked, de-duplicated and fitted to a budget.

``HeadroomRetriever(base_retriever=store.as_retriever(search_kwargs={"k": 20}), k=4, token_budget=1500)``
retrieves as the base retriever does, then hands the documents to
:class:`HeadroomDocumentCompressor` (pass your own as ``compressor`` for the
other knobs). ``k`` and ``token_budget`` can also be given per call
(``retriever.invoke(query, k=2)``). What each call saved is added to the
retriever run's metadata (``headroom_tokens_before`` ... ``headroom_documents_after``),
so LangSmith shows it next to the run, and summed in :meth:`get_savings_summary`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field, PrivateAttr, field_validator

from ..engine.options import check_budget, off_loop, text_size
from ..engine.savings import SavingsTracker
from ._pydantic import check_fields, configuration_errors
from ._run_metadata import annotate_run
from ._savings import run_metadata
from .document_compressors import CompressedDocuments, HeadroomDocumentCompressor

__all__ = ["HeadroomRetriever"]


class HeadroomRetriever(BaseRetriever):
    """Wraps ``base_retriever``; returns at most ``k`` documents and ``token_budget`` tokens."""

    base_retriever: BaseRetriever
    """The retriever that finds the candidates (ask it for more than ``k``)."""
    k: int | None = None
    """At most this many documents (None: the compressor's ``k``)."""
    token_budget: int | None = None
    """At most this many tokens of page content (None: the compressor's ``token_budget``)."""
    compressor: HeadroomDocumentCompressor = Field(default_factory=HeadroomDocumentCompressor)
    """Ranking, de-duplication and cutting; its other settings apply to every call."""

    _tracker: SavingsTracker = PrivateAttr(default_factory=SavingsTracker)

    def __init__(self, **kwargs: Any) -> None:
        check_fields(type(self), kwargs)
        with configuration_errors():
            super().__init__(**kwargs)

    @field_validator("k", "token_budget", mode="before")
    @classmethod
    def _positive(cls, value: Any, info: Any) -> Any:
        return check_budget(value, info.field_name)

    def _finish(self, result: CompressedDocuments, run_manager: Any) -> list[Document]:
        annotate_run(
            run_manager,
            {
                **run_metadata(result.savings),
                "headroom_documents_before": result.documents_before,
                "headroom_documents_after": len(result.documents),
            },
        )
        self._tracker.record(result.savings)
        return result.documents

    def _limits(self, k: int | None, token_budget: int | None) -> dict[str, int | None]:
        return {
            "k": check_budget(k, "k") if k is not None else self.k,
            "token_budget": check_budget(token_budget) if token_budget is not None else self.token_budget,
        }

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        token_budget: int | None = None,
    ) -> list[Document]:
        limits = self._limits(k, token_budget)
        docs = self.base_retriever.invoke(query, config={"callbacks": run_manager.get_child()})
        return self._finish(self.compressor.select(docs, query, **limits), run_manager)

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        token_budget: int | None = None,
    ) -> list[Document]:
        limits = self._limits(k, token_budget)
        docs = await self.base_retriever.ainvoke(query, config={"callbacks": run_manager.get_child()})
        size = text_size(d.page_content for d in docs)
        result = await off_loop(size, self.compressor.select, docs, query, **limits)
        return self._finish(result, run_manager)

    def get_savings_summary(self) -> dict[str, Any]:
        """Calls so far, tokens before/after/saved and the transforms applied."""
        return self._tracker.summary()
