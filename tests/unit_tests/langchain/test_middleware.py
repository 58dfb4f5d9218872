"""HeadroomMiddleware in a real create_agent agent with a checkpointer, over several turns."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import BaseMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.engine.tokens.tokenizer import Tokenizer
from headroom_integrations.langchain import HeadroomChatModel
from headroom_integrations.langchain._convert import to_engine_messages
from headroom_integrations.langchain.middleware import HeadroomMiddleware
from tests.support.fixtures import api_json, app_log
from tests.support.scripted_chat_model import ScriptedChatModel

FAILED = "payment gateway timeout on order 48137"
TURNS = [
    "Please list orders of 'customer-6865': why did order 48137 fail?",
    "Now read the log of the 'worker' service.",
    "Thanks. Anything else?",
    "Read the log of the 'scheduler' service too.",
]


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return api_json(300)


@tool
def read_log(service: str) -> str:
    """Read a service log."""
    return app_log(1500)


def _agent(middleware: HeadroomMiddleware, model: ScriptedChatModel | HeadroomChatModel) -> Any:
    return create_agent(
        model,
        [list_orders, read_log],
        system_prompt="You are a support agent.",
        middleware=[middleware],
        checkpointer=InMemorySaver(),
    )


def _sent(message: BaseMessage) -> tuple[str, Any]:
    return message.type, message.content


def _tool_counts(messages: list[BaseMessage]) -> Counter[str]:
    return Counter(m.tool_call_id for m in messages if isinstance(m, ToolMessage))


@pytest.fixture
def store() -> CompressionStore:
    return CompressionStore()


def test_tool_results_are_compressed_once_persisted_and_never_duplicated(store: CompressionStore) -> None:
    model = ScriptedChatModel()
    middleware = HeadroomMiddleware(store=store)
    agent = _agent(middleware, model)
    config = {"configurable": {"thread_id": "t1"}}
    sizes = []
    for question in TURNS:
        messages = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)["messages"]
        counts = _tool_counts(messages)
        assert counts and set(counts.values()) == {1}
        sizes.append(len(messages))
    assert sizes == [4, 8, 10, 14]  # each turn adds its own messages, nothing is re-added
    state = agent.get_state(config).values["messages"]
    tools = [m for m in state if isinstance(m, ToolMessage)]
    assert len(tools) == 3
    assert all(m.response_metadata["headroom"]["tokens_saved"] > 0 for m in tools)
    assert FAILED in tools[0].content and len(tools[0].content) < len(api_json(300)) / 5
    assert "Failed to flush batch 9f3ac2" in tools[1].content
    # the prompt prefix is byte-stable: every request starts with the previous one
    for before, after in zip(model.calls, model.calls[1:], strict=False):
        assert [_sent(m) for m in after.messages[: len(before.messages)]] == [_sent(m) for m in before.messages]
    summary = middleware.get_savings_summary()
    assert summary["tool_results"]["calls"] == 3 and summary["tool_results"]["savings_percent"] > 80
    assert summary["model_calls"]["calls"] == len(model.calls)


def test_a_shared_metrics_store_gets_one_row_per_compression(store: CompressionStore) -> None:
    """The middleware fits and the model wrapper sees every model call; neither pads the counts."""
    metrics = MetricsStore("memory://")
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted, store=store, metrics_store=metrics)
    agent = _agent(HeadroomMiddleware(store=store, metrics_store=metrics), model)
    agent.invoke({"messages": [{"role": "user", "content": TURNS[0]}]}, {"configurable": {"thread_id": "t7"}})
    assert len(scripted.calls) == 2 and model.get_savings_summary()["calls"] == 2
    (record,) = metrics.get_metrics()
    assert (record.integration, record.tool_names) == ("langchain", ("list_orders",)) and record.tokens_saved > 0


def test_the_agent_fetches_dropped_data_by_ref(store: CompressionStore) -> None:
    model = ScriptedChatModel()
    agent = _agent(HeadroomMiddleware(store=store), model)
    config = {"configurable": {"thread_id": "t2"}}
    first = agent.invoke({"messages": [{"role": "user", "content": TURNS[0]}]}, config)["messages"]
    ref = re.search(r'"_headroom_ref": "(\w+)"', first[2].content).group(1)
    assert '"id": 48250' not in first[2].content
    question = f"Use headroom retrieve with '{ref}' and '48250' please."
    messages = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)["messages"]
    retrieved = messages[-2]
    assert isinstance(retrieved, ToolMessage) and retrieved.name == "headroom_retrieve"
    assert '"id": 48250' in retrieved.content and "headroom" not in retrieved.response_metadata
    assert "48250" in messages[-1].content
    assert set(_tool_counts(messages).values()) == {1}


def test_history_is_fitted_per_request_while_the_state_keeps_everything(store: CompressionStore) -> None:
    model = ScriptedChatModel()
    budget = 1500
    agent = _agent(HeadroomMiddleware(store=store, token_budget=budget, model="gpt-4o"), model)
    config = {"configurable": {"thread_id": "t3"}}
    for question in TURNS:
        agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
    state = agent.get_state(config).values["messages"]
    assert len(state) == 14 and set(_tool_counts(state).values()) == {1}
    last = model.calls[-1].messages
    assert isinstance(last[0], SystemMessage) and last[0].content == "You are a support agent."
    assert last[-1].content == TURNS[-1] or isinstance(last[-1], ToolMessage)
    assert Tokenizer("gpt-4o").count_messages(to_engine_messages(last)) <= budget
    assert len(last) < len(state) + 1  # the request was cut, the state was not
    assert any("omitted" in m.text and "headroom_retrieve ref=" in m.text for m in last)
    # tool calls and their results stay paired in every request
    for call in model.calls:
        ids = [c["id"] for m in call.messages for c in getattr(m, "tool_calls", [])]
        results = [m.tool_call_id for m in call.messages if isinstance(m, ToolMessage)]
        assert sorted(ids) == sorted(results)


async def test_async_agent_gets_the_same_compressed_state(store: CompressionStore) -> None:
    model = ScriptedChatModel()
    agent = _agent(HeadroomMiddleware(store=store), model)
    config = {"configurable": {"thread_id": "t4"}}
    for question in TURNS[:2]:
        messages = (await agent.ainvoke({"messages": [{"role": "user", "content": question}]}, config))["messages"]
    tools = [m for m in messages if isinstance(m, ToolMessage)]
    assert len(tools) == 2 and all("headroom" in m.response_metadata for m in tools)
    assert FAILED in tools[0].content


def test_audit_mode_persists_originals_and_reports_potential(store: CompressionStore) -> None:
    middleware = HeadroomMiddleware(store=store, mode="audit")
    agent = _agent(middleware, ScriptedChatModel())
    messages = agent.invoke(
        {"messages": [{"role": "user", "content": TURNS[0]}]}, {"configurable": {"thread_id": "t5"}}
    )["messages"]
    assert messages[2].content == api_json(300)
    summary = middleware.get_savings_summary()["tool_results"]
    assert summary["tokens_saved"] == 0 and summary["potential_tokens_saved"] > 0
    assert len(store) == 0


def test_tools_and_configuration() -> None:
    assert [t.name for t in HeadroomMiddleware().tools] == ["headroom_retrieve"]
    assert HeadroomMiddleware(retrieve_tool=False).tools == []
    with pytest.raises(ConfigurationError):
        HeadroomMiddleware(token_budget=0)
    with pytest.raises(ConfigurationError):
        HeadroomMiddleware(store="sqlite:///x.db")


@tool
def raw_dump(kind: str) -> str:
    """Return a raw dump of the given kind."""
    if kind == "binary":
        return "\x00\x01\x02\xff" * 5000
    return "[" * 5000 + "]" * 5000  # absurdly deep JSON


@pytest.mark.parametrize("kind", ["binary", "nested"])
def test_odd_tool_outputs_pass_through(kind: str, store: CompressionStore) -> None:
    agent = create_agent(ScriptedChatModel(), [raw_dump], middleware=[HeadroomMiddleware(store=store)])
    messages = agent.invoke({"messages": [{"role": "user", "content": f"Give me the raw dump of '{kind}'."}]})
    result = messages["messages"][2]
    assert isinstance(result, ToolMessage) and result.content == raw_dump.invoke({"kind": kind})


def test_an_engine_failure_sends_the_originals_and_says_why(
    store: CompressionStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine down")

    monkeypatch.setattr("headroom_integrations.engine.tool_results.compress", broken)
    monkeypatch.setattr("headroom_integrations.langchain._fitting.compress_messages", broken)
    model = ScriptedChatModel()
    agent = _agent(HeadroomMiddleware(store=store, token_budget=500), model)
    with caplog.at_level("WARNING"):
        messages = agent.invoke(
            {"messages": [{"role": "user", "content": TURNS[0]}]}, {"configurable": {"thread_id": "t6"}}
        )["messages"]
    assert messages[2].content == api_json(300)
    assert model.calls[-1].messages[-1].content == api_json(300)
    assert "engine down" in caplog.text


def _history_notes(messages: list[BaseMessage]) -> list[str]:
    return [m.text for m in messages if "messages omitted" in m.text]


def _adjacent_humans(messages: list[BaseMessage]) -> bool:
    return any(a.type == b.type == "human" for a, b in zip(messages, messages[1:], strict=False))


@pytest.mark.parametrize("retrieve_tool", [True, False])
def test_the_history_note_names_headroom_retrieve_only_when_the_agent_has_it(
    retrieve_tool: bool, store: CompressionStore
) -> None:
    model = ScriptedChatModel()
    middleware = HeadroomMiddleware(store=store, token_budget=600, model="gpt-4o", retrieve_tool=retrieve_tool)
    agent = _agent(middleware, model)
    config = {"configurable": {"thread_id": f"note-{retrieve_tool}"}}
    for question in TURNS:
        agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
    notes = [n for call in model.calls for n in _history_notes(call.messages)]
    assert notes
    assert all(("headroom_retrieve ref=" in n) is retrieve_tool for n in notes)
    assert not any(_adjacent_humans(call.messages) for call in model.calls)
    # Nor do the markers inside tool results (and history digests) name a tool the agent lacks.
    sent = [m.text for call in model.calls for m in call.messages if isinstance(m, ToolMessage)]
    assert any("ref=" in text for text in sent)
    assert any("headroom_retrieve" in text for text in sent) is retrieve_tool


def test_note_role_system_puts_the_note_in_the_system_prompt_the_model_gets(store: CompressionStore) -> None:
    model = ScriptedChatModel()
    config_ = {"intelligent_context": {"note_role": "system"}}
    agent = _agent(HeadroomMiddleware(store=store, token_budget=600, model="gpt-4o", config=config_), model)
    config = {"configurable": {"thread_id": "system-note"}}
    for question in TURNS:
        agent.invoke({"messages": [{"role": "user", "content": question}]}, config)
    noted = [call.messages for call in model.calls if _history_notes(call.messages)]
    assert noted
    for sent in noted:
        assert [type(m) for m in sent].count(SystemMessage) == 1 and isinstance(sent[0], SystemMessage)
        assert sent[0].text.startswith("You are a support agent.\n\n[... ") and "messages omitted" in sent[0].text
    state = agent.get_state(config).values["messages"]
    assert not any(isinstance(m, SystemMessage) for m in state)  # the state never holds the note
