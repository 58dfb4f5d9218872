"""RAG with HeadroomRetriever: fewer, shorter, more relevant documents in the prompt.

Runs offline: ``python examples/langchain_rag.py``. The vector store uses a fake
(deterministic) embedding, so its own ranking is arbitrary, like a weak
retriever's; Headroom re-ranks by relevance, drops near duplicates and fits the
documents into a token budget. Swap in real embeddings and a real chat model
(``ChatOpenAI(model="gpt-4o")``) to use it for real.
"""

from __future__ import annotations

from _offline_model import OfflineChatModel
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from headroom_integrations import CompressionStore, count_tokens_text
from headroom_integrations.langchain import HeadroomDocumentCompressor, HeadroomRetriever

QUESTION = "How do I fix error E1042 in the billing service?"

RUNBOOK = [
    (
        "billing",
        "Error E1042 means the billing service cannot reach the payment gateway. "
        "Rotate the gateway API key in the vault, then restart billing-worker. "
        "If E1042 persists, check the egress firewall rule for port 8443.",
    ),
    (
        "billing",
        "The billing service runs four billing-worker pods behind the internal load balancer. "
        "Invoices are generated nightly at 02:00 UTC and archived for seven years.",
    ),
    ("auth", "Error E2001 in the auth service means a token signing key expired. Rotate the key and redeploy."),
    ("search", "The search cluster rebuilds its index every Sunday; queries may be slower during the rebuild."),
    ("mail", "Bounced e-mails are retried three times over six hours before the address is suppressed."),
    ("oncall", "The on-call engineer acknowledges pages within five minutes and opens an incident channel."),
    ("deploy", "Deployments are frozen on Fridays after 15:00 and during the last week of December."),
]


def knowledge_base() -> list[Document]:
    docs = [Document(text, metadata={"service": service, "page": i}) for i, (service, text) in enumerate(RUNBOOK)]
    mirror = "Copied from the old wiki: " + RUNBOOK[0][1]  # the same page twice, as real corpora have
    docs.append(Document(mirror, metadata={"service": "billing", "page": "wiki-copy"}))
    history = " ".join(
        f"In release {n} the billing service changed its retry policy and its dashboards." for n in range(1, 80)
    )
    docs.append(
        Document(
            history + " Release 80 fixed E1042 retries to the payment gateway.",
            metadata={"service": "billing", "page": "changelog"},
        )
    )
    return docs


def tokens(docs: list[Document]) -> int:
    return sum(int(count_tokens_text(d.page_content)) for d in docs)


def main() -> None:
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))
    docs = knowledge_base()
    store.add_documents(docs)
    base = store.as_retriever(search_kwargs={"k": len(docs)})
    ccr = CompressionStore()
    retriever = HeadroomRetriever(
        base_retriever=base,
        k=3,
        token_budget=220,
        compressor=HeadroomDocumentCompressor(max_document_tokens=120, store=ccr),
    )

    plain = base.invoke(QUESTION)
    kept = retriever.invoke(QUESTION)
    print(f"base retriever: {len(plain)} documents, {tokens(plain):,} tokens")
    print(f"HeadroomRetriever: {len(kept)} documents, {tokens(kept):,} tokens")
    for doc in kept:
        note = " (excerpt)" if "headroom" in doc.metadata else ""
        print(f"  - page {doc.metadata['page']}{note}: {doc.page_content[:90]}...")

    def format_docs(documents: list[Document]) -> str:
        return "\n\n".join(d.page_content for d in documents)

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this runbook:\n\n{context}"), ("human", "{question}")]
    )
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | OfflineChatModel()
    print("answer:", (chain | StrOutputParser()).invoke(QUESTION))

    excerpt = next(d for d in kept if "headroom" in d.metadata)
    full = ccr.retrieve(excerpt.metadata["headroom"]["ref"])
    print(f"excerpt of page {excerpt.metadata['page']} -> whole page back by ref: {len(full):,} characters")
    print(
        "running totals:",
        retriever.get_savings_summary()["tokens_saved"],
        "tokens saved over",
        retriever.get_savings_summary()["calls"],
        "calls",
    )


if __name__ == "__main__":
    main()
