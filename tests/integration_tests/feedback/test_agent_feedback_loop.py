"""Issue 11 §4: a real LangChain agent that keeps retrieving a cut field teaches the compressor to keep it.

A ``create_agent`` agent (real langgraph, a checkpointer) over the scripted chat
model calls a tool returning a large JSON list, then calls ``headroom_retrieve``
for the items it misses, turn after turn. The next result of that tool keeps
those items; with ``use_feedback_hints=False`` it does not; results already sent
never change bytes; and the same store state gives the same bytes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from headroom_integrations.engine import compress
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.config import HeadroomConfig
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.langchain import HeadroomChatModel
from headroom_integrations.langchain.middleware import HeadroomMiddleware
from tests.support.scripted_chat_model import ScriptedChatModel

BACKORDERED = [i for i in range(90) if i % 9 == 4]


def _products(warehouse: str = "Berlin") -> str:
    rows = [
        {
            "sku": f"SKU-{1000 + i}",
            "name": f"widget model {i}",
            "warehouse": warehouse,
            "price_eur": round(10 + (i * 37 % 50) * 0.5, 2),
            "stock": "backorder" if i in BACKORDERED else "in_stock",
        }
        for i in range(90)
    ]
    return json.dumps(rows)  # one line: never a "repeat" of the earlier result, always a crusher cut


@tool
def list_products(warehouse: str) -> str:
    """List the products of a warehouse."""
    return _products(warehouse)


ASK = "Please use the list products tool for the 'Berlin' warehouse."
ASK_AGAIN = "Please use the list products tool for the 'Oslo' warehouse."
ARGS = json.dumps({"warehouse": "Berlin"})


def _backordered(text: str) -> int:
    return text.count('"stock": "backorder"')


def _ref(text: str) -> str:
    found = re.search(r'"_headroom_ref": "(\w+)"', text)
    assert found is not None, text[:400]
    return found.group(1)


def _run(metrics: MetricsStore, store: CompressionStore, config: HeadroomConfig, thread: str) -> list[BaseMessage]:
    """Five turns: the tool, three retrievals of its backordered items, the tool again."""
    model = ScriptedChatModel()
    agent = create_agent(
        model,
        [list_products],
        middleware=[HeadroomMiddleware(store=store, metrics_store=metrics, config=config)],
        checkpointer=InMemorySaver(),
    )
    run = {"configurable": {"thread_id": thread}}
    first = agent.invoke({"messages": [{"role": "user", "content": ASK}]}, run)["messages"]
    ref = _ref(first[-2].text)
    sent = first[-2].content
    for _ in range(3):
        question = f"Use headroom retrieve with '{ref}' and 'backorder' please."
        messages = agent.invoke({"messages": [{"role": "user", "content": question}]}, run)["messages"]
        assert isinstance(messages[-2], ToolMessage) and messages[-2].name == "headroom_retrieve"
        assert _backordered(messages[-2].text) == len(BACKORDERED)
    messages = agent.invoke({"messages": [{"role": "user", "content": ASK_AGAIN}]}, run)["messages"]
    assert messages[2].content == sent  # the first result kept its bytes in the state
    for before, after in zip(model.calls, model.calls[1:], strict=False):  # every request extends the previous
        assert [m.content for m in after.messages[: len(before.messages)]] == [m.content for m in before.messages]
    return [m for m in messages if isinstance(m, ToolMessage) and m.name == "list_products"]


def test_retrievals_make_the_next_result_of_the_tool_keep_the_retrieved_items() -> None:
    metrics, store = MetricsStore("memory://"), CompressionStore()
    first, again = _run(metrics, store, HeadroomConfig(), "learn")
    assert _backordered(first.text) < len(BACKORDERED)
    assert _backordered(again.text) == len(BACKORDERED) and '"_headroom_ref"' in again.text
    (learned,) = metrics.get_summary().learned_adjustments.values()
    assert learned["tool"] == "list_products" and learned["retrievals"] == 3 and learned["outputs"] == 2
    assert learned["keep_terms"] == ["backorder"] and learned["factor"] >= 2
    assert store.get(_ref(first.text)).metadata == {"tool": "list_products", "path": "$"}


def test_without_feedback_hints_the_next_result_is_cut_as_before() -> None:
    config = HeadroomConfig(smart_crusher={"use_feedback_hints": False})
    metrics, store = MetricsStore("memory://"), CompressionStore()
    first, again = _run(metrics, store, config, "off")
    assert _backordered(again.text) == _backordered(first.text) < len(BACKORDERED)
    assert metrics.get_summary().learned_adjustments["list_products"]["retrievals"] == 3  # still recorded


def test_without_feedback_recording_nothing_is_learned() -> None:
    config = HeadroomConfig(ccr={"feedback_enabled": False})
    metrics, store = MetricsStore("memory://"), CompressionStore()
    first, again = _run(metrics, store, config, "norecord")
    assert _backordered(again.text) == _backordered(first.text) < len(BACKORDERED)
    assert metrics.feedback_events() == []


def _conversation(call_id: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": ASK},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "list_products", "arguments": ARGS}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "name": "list_products", "content": _products()},
    ]


def test_a_history_recompressed_on_every_hop_keeps_its_earlier_bytes(tmp_path: Path) -> None:
    """HeadroomChatModel compresses the whole history per call: the first result keeps the decision it got."""
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    metrics, store = MetricsStore(url), CompressionStore()
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted, store=store, metrics_store=metrics)
    middleware = HeadroomMiddleware(
        store=store, metrics_store=metrics, compress_tool_results=False, manage_history=False
    )
    agent = create_agent(model, [list_products], middleware=[middleware], checkpointer=InMemorySaver())
    run = {"configurable": {"thread_id": "hops"}}
    agent.invoke({"messages": [{"role": "user", "content": ASK}]}, run)
    sent = [m.content for m in scripted.calls[-1].messages if isinstance(m, ToolMessage)][0]
    ref = _ref(sent)
    for _ in range(3):
        agent.invoke(
            {"messages": [{"role": "user", "content": f"Use headroom retrieve with '{ref}' and 'backorder' please."}]},
            run,
        )
    agent.invoke({"messages": [{"role": "user", "content": ASK_AGAIN}]}, run)
    results = [
        [m.content for m in call.messages if isinstance(m, ToolMessage) and m.name == "list_products"]
        for call in scripted.calls
    ]
    assert all(r[0] == sent for r in results if r)  # the first result: the same bytes on every hop
    assert _backordered(results[-1][-1]) == len(BACKORDERED) > _backordered(sent)
    # Another process (a fresh metrics store over the same file, no memory of this one) decides the same.
    first_call = next(m for m in scripted.calls[1].messages if isinstance(m, ToolMessage))
    again = compress(_conversation(first_call.tool_call_id), metrics_store=MetricsStore(url), store=store)
    assert again.messages[2]["content"] == sent


def test_the_same_store_state_gives_the_same_bytes(tmp_path: Path) -> None:
    metrics = MetricsStore(f"sqlite:///{tmp_path / 'a.db'}")
    store = CompressionStore()
    first = compress(_conversation("c-1"), metrics_store=metrics, store=store)
    for _ in range(2):
        from headroom_integrations.engine.ccr.store import retrieve

        retrieve(first.refs[0], "backorder", store=store, metrics_store=metrics)
    metrics.close()
    shutil.copy(tmp_path / "a.db", tmp_path / "b.db")
    left = compress(_conversation("c-2"), metrics_store=MetricsStore(f"sqlite:///{tmp_path / 'a.db'}"), store=store)
    right = compress(_conversation("c-2"), metrics_store=MetricsStore(f"sqlite:///{tmp_path / 'b.db'}"), store=store)
    assert left.messages[2]["content"] == right.messages[2]["content"]
    assert _backordered(left.messages[2]["content"]) == len(BACKORDERED) > _backordered(first.messages[2]["content"])


@pytest.mark.parametrize("broken", ["closed"])
def test_a_broken_metrics_store_never_breaks_retrieval_or_compression(broken: str) -> None:
    from headroom_integrations.engine.ccr.store import retrieve

    metrics, store = MetricsStore("memory://"), CompressionStore()
    result = compress(_conversation("c-x"), metrics_store=metrics, store=store)
    metrics.close()
    assert _backordered(retrieve(result.refs[0], "backorder", store=store, metrics_store=metrics)) == len(BACKORDERED)
    again = compress(_conversation("c-y"), metrics_store=metrics, store=store)
    assert again.messages[2]["content"] == result.messages[2]["content"]
