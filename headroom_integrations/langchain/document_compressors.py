"""``HeadroomDocumentCompressor``: fewer, shorter, more relevant documents, nothing lost.

Retrieved documents are ranked against the query by the engine's relevance
scorer, near duplicates of better-ranked documents are removed, long documents
are cut to their most relevant sentences, and the result never exceeds ``k``
documents or ``token_budget`` tokens (of ``model``'s tokenizer, o200k for
gpt-4o). Under a budget the engine's :func:`select_documents` keeps the best
documents whole and spends the rest on the best sentences of the next ones, so
an answer ranked just below the cut still gets in. Cut text stays retrievable:
an excerpt's ``metadata["headroom"]["ref"]`` (also named in its marker)
returns the whole document through ``headroom_retrieve``.

It is a ``BaseDocumentCompressor``, so it also fits
``ContextualCompressionRetriever`` (langchain-classic), though it needs nothing
but langchain-core; :class:`HeadroomRetriever` wraps any retriever with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, PrivateAttr, field_validator, model_validator
from typing_extensions import Self

from ..engine.compressors.base import CompressionContext
from ..engine.compressors.text import select_sentences
from ..engine.documents import near_duplicates, select_documents
from ..engine.errors import ConfigurationError
from ..engine.models import DEFAULT_MODEL
from ..engine.options import EngineOptions, check_budget
from ..engine.relevance import RelevanceScorer, create_scorer
from ..engine.savings import Savings
from ..engine.tokens.tokenizer import Tokenizer
from ._options import build_options
from ._pydantic import check_fields, configuration_errors
from ._tool_results import HEADROOM_KEY

__all__ = ["CompressedDocuments", "HeadroomDocumentCompressor"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompressedDocuments:
    """The documents to hand on, how many came in, and the savings of the selection."""

    documents: list[Document]
    documents_before: int
    savings: Savings


@dataclass(frozen=True)
class _Piece:
    """One candidate: its source document, its (maybe cut) text, and the ref of what was cut."""

    source: int
    text: str
    ref: str | None = None


def _text(document: Document) -> str:
    return document.page_content if isinstance(document.page_content, str) else str(document.page_content)


class HeadroomDocumentCompressor(BaseDocumentCompressor):
    """Relevance-ranked, de-duplicated, budgeted documents (``k`` and ``token_budget`` are hard caps).

    Args:
        k: at most this many documents (None: no count cap).
        token_budget: at most this many tokens of ``page_content`` in total (None: no cap).
        max_document_tokens: documents longer than this are cut to their most
            relevant sentences (None: documents are cut only to meet ``token_budget``).
        duplicate_threshold: word 3-gram Jaccard similarity from which a document
            repeats a better-ranked one and is removed (None: keep duplicates).
        model: model name whose tokenizer counts (default gpt-4o, o200k).
        scorer_type: ``"bm25"``, ``"embedding"``, ``"hybrid"`` or ``"auto"``
            (None: ``config.relevance.scorer_type``).
        config, mode, store: the engine's options; cut text goes to ``store``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int | None = None
    token_budget: int | None = None
    max_document_tokens: int | None = None
    duplicate_threshold: float | None = 0.85
    model: str = DEFAULT_MODEL
    scorer_type: str | None = None
    config: Any = None
    mode: Any = None
    store: Any = None

    _options: EngineOptions = PrivateAttr()
    _scorer: RelevanceScorer = PrivateAttr()
    _tokenizer: Tokenizer = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        check_fields(type(self), kwargs)
        with configuration_errors():
            super().__init__(**kwargs)

    @field_validator("k", "token_budget", "max_document_tokens", mode="before")
    @classmethod
    def _positive(cls, value: Any, info: Any) -> Any:
        return check_budget(value, info.field_name)

    @field_validator("duplicate_threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0
        ):
            raise ConfigurationError(
                "duplicate_threshold must be a number in (0, 1] or None",
                {"field": "duplicate_threshold", "value": value, "allowed": "(0, 1]"},
            )
        return value

    @model_validator(mode="after")
    def _build(self) -> Self:
        self._options = build_options(config=self.config, mode=self.mode, store=self.store, model=self.model)
        relevance = self._options.config.relevance
        self._scorer = create_scorer(self.scorer_type or relevance.scorer_type, config=relevance)
        self._tokenizer = Tokenizer(self.model)
        return self

    # --- BaseDocumentCompressor ---------------------------------------------------

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        return self.select(documents, query).documents

    # --- the selection ------------------------------------------------------------

    def select(
        self,
        documents: Sequence[Document],
        query: str,
        *,
        k: int | None = None,
        token_budget: int | None = None,
    ) -> CompressedDocuments:
        """The selected documents plus their savings; ``k``/``token_budget`` override the fields for this call."""
        started = time.perf_counter()
        k = check_budget(k, "k") if k is not None else self.k
        budget = check_budget(token_budget) if token_budget is not None else self.token_budget
        docs = list(documents)
        texts = [_text(d) for d in docs]
        query = query if isinstance(query, str) else ""
        transforms: list[str] = []
        refs: list[str] = []
        try:
            writes = self._options.changes_messages
            planned = self._select(docs, texts, query, k, budget, transforms, refs, writes=writes)
        except Exception as exc:  # fail open: the caller still gets documents (the count cap holds)
            logger.warning("headroom: documents left unselected: %r", exc, exc_info=True)
            planned, transforms, refs = docs[:k] if k is not None else docs, [], []
        # audit / simulate: measure what optimize would do, hand on the original documents
        out = planned if self._options.changes_messages else (docs[:k] if k is not None else docs)
        tokens_before = sum(self._count(t) for t in texts)
        savings = Savings(
            mode=self._options.run_mode.value,
            tokens_before=tokens_before,
            tokens_after=sum(self._count(_text(d)) for d in out),
            potential_tokens_saved=max(0, tokens_before - sum(self._count(_text(d)) for d in planned)),
            transforms=tuple(transforms),
            refs=tuple(refs) if self._options.changes_messages else (),
            compression_ms=(time.perf_counter() - started) * 1000.0,
            messages_before=len(docs),
            messages_after=len(out),
        )
        return CompressedDocuments(out, len(docs), savings)

    def _count(self, text: str) -> int:
        return int(self._tokenizer.count_text(text))

    def _context(self, query: str, writes: bool) -> CompressionContext:
        store = None
        if writes and self._options.config.ccr.enabled:
            from ..engine.ccr.store import get_default_store

            store = self._options.store if self._options.store is not None else get_default_store()
        return CompressionContext(query=query, config=self._options.config, tokenizer=self._tokenizer, store=store)

    def _select(
        self,
        docs: list[Document],
        texts: list[str],
        query: str,
        k: int | None,
        budget: int | None,
        transforms: list[str],
        refs: list[str],
        *,
        writes: bool,
    ) -> list[Document]:
        if not docs:
            return []
        scores = list(self._scorer.score_items(texts, query))
        order = sorted(range(len(docs)), key=lambda i: (-scores[i], i))
        if self.duplicate_threshold is not None:
            repeats = near_duplicates(texts, order, self.duplicate_threshold)
            if repeats:
                transforms.append(f"near_duplicates:dropped={len(repeats)}")
                order = [i for i in order if i not in repeats]
        if k is not None and len(order) > k:
            transforms.append(f"top_k:{len(order)}->{k}")
            order = order[:k]
        ctx = self._context(query, writes)
        pieces = [self._capped(i, texts[i], ctx, transforms) for i in order]
        if budget is not None:
            pieces = self._budgeted(pieces, query, budget, ctx, transforms)
        refs.extend(p.ref for p in pieces if p.ref is not None)
        return [self._document(docs[p.source], p) for p in pieces]

    def _capped(self, index: int, text: str, ctx: CompressionContext, transforms: list[str]) -> _Piece:
        """``text`` cut to ``max_document_tokens`` by sentence selection, when it is longer."""
        cap = self.max_document_tokens
        if cap is None or self._count(text) <= cap:
            return _Piece(index, text)
        output = select_sentences(text, ctx.query, cap, ctx, scorer=self._scorer)
        if not output.modified or self._count(output.text) >= self._count(text):
            return _Piece(index, text)
        transforms.append(output.transform or "sentences")
        return _Piece(index, output.text, ctx.stash(text))

    def _budgeted(
        self, pieces: list[_Piece], query: str, budget: int, ctx: CompressionContext, transforms: list[str]
    ) -> list[_Piece]:
        selection = select_documents(
            [p.text for p in pieces], query, budget, model=self.model, scorer=self._scorer, context=ctx
        )
        transforms.append(f"select_documents:{selection.tokens_before}->{selection.tokens_after}")
        out = []
        for chosen in selection.documents:
            piece = pieces[chosen.index]
            if chosen.complete:
                out.append(piece)
            else:  # an excerpt: its ref returns the whole original document
                ref = piece.ref or (chosen.refs[0] if chosen.refs else None)
                out.append(_Piece(piece.source, chosen.text, ref))
        return out

    @staticmethod
    def _document(original: Document, piece: _Piece) -> Document:
        if piece.ref is None and piece.text == _text(original):
            return original
        metadata = {**original.metadata, HEADROOM_KEY: {"ref": piece.ref, "excerpt": True}}
        return Document(page_content=piece.text, metadata=metadata, id=original.id)
