"""Every LangChain / LangGraph entry point on hostile conversations.

The wrapped model is the scripted offline model; what it records is what a
provider would have received. Each entry point must: raise only what the
wrapped model alone raises, send a valid sequence (tool results with their
calls, the input's ids), lose nothing (markers expand back through the
store), leave the caller's messages untouched and send the same bytes on a
second run.
"""

from __future__ import annotations

import asyncio
import copy
import random
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain.agents import create_agent
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool
from langgraph.graph import END, START, MessagesState, StateGraph

from headroom_integrations import CCRConfig, CompressionStore
from headroom_integrations.langchain import (
    HeadroomChatModel,
    HeadroomMiddleware,
    create_compression_node,
    create_pre_model_hook,
    to_engine_messages,
)
from tests.reliability._checks import FUZZ, assert_message_intact
from tests.reliability._hostile import conversation, tool_output
from tests.reliability._lc import assert_sent_ok, dump, to_langchain
from tests.support.scripted_chat_model import ScriptedChatModel

HOWS = ("invoke", "ainvoke", "stream", "astream", "batch")


def _store() -> CompressionStore:
    return CompressionStore(CCRConfig(store_max_entries=100_000))


def _snapshot(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return copy.deepcopy([m.model_dump() for m in messages])


def _call(model: Any, how: str, messages: list[BaseMessage]) -> list[BaseMessage]:
    """Run ``model`` the way ``how`` says; the reply (one message per conversation)."""
    if how == "invoke":
        return [model.invoke(messages)]
    if how == "ainvoke":
        return [asyncio.run(model.ainvoke(messages))]
    if how == "batch":
        return list(model.batch([messages, messages]))
    if how == "stream":
        chunks = list(model.stream(messages))
    else:

        async def collect() -> list[Any]:
            return [chunk async for chunk in model.astream(messages)]

        chunks = asyncio.run(collect())
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return [merged]


def _outcome(model: Any, how: str, messages: list[BaseMessage]) -> tuple[list[BaseMessage] | None, type | None]:
    try:
        return _call(model, how, messages), None
    except Exception as exc:  # compared with what Headroom raises on the same input
        return None, type(exc)


@settings(FUZZ, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(HOWS), budget=st.sampled_from([None, 800, 5000]))
def test_chat_model_entry_points(seed: int, how: str, budget: int | None) -> None:
    messages = to_langchain(conversation(seed, secrets=seed % 3 == 0))
    frozen = _snapshot(messages)
    _, alone_raised = _outcome(ScriptedChatModel(), how, messages)

    def run() -> tuple[ScriptedChatModel, CompressionStore, list[BaseMessage] | None, type | None]:
        store, wrapped = _store(), ScriptedChatModel()
        replies, raised = _outcome(HeadroomChatModel(wrapped, store=store, token_budget=budget), how, messages)
        return wrapped, store, replies, raised

    wrapped, store, replies, raised = run()
    assert raised is alone_raised, f"{how} raised {raised}, the wrapped model alone {alone_raised}"
    assert _snapshot(messages) == frozen, "the caller's messages were mutated"
    if replies is None:
        return
    for call in wrapped.calls:
        assert_sent_ok(call.messages, messages, store)
    assert all("headroom" in r.response_metadata for r in replies)
    again, _, _, _ = run()
    assert [dump(c.messages) for c in again.calls] == [dump(c.messages) for c in wrapped.calls]


def _dump_tool(output: Any) -> StructuredTool:
    return StructuredTool.from_function(func=lambda: output, name="dump", description="Dump the raw records.")


def _tool_result(seed: int) -> Any:
    rng = random.Random(seed)
    text = tool_output(rng)
    if rng.random() < 0.2:  # a tool that answers with content blocks
        return [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]
    return text


@settings(FUZZ, max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), use_async=st.booleans())
def test_middleware_inside_create_agent(seed: int, use_async: bool) -> None:
    history = to_langchain(conversation(seed))
    messages = [*history, HumanMessage("Use the dump tool now.", id="ask")]
    frozen = _snapshot(messages)
    output = _tool_result(seed)

    def run() -> tuple[ScriptedChatModel, CompressionStore, list[BaseMessage]]:
        store, model = _store(), ScriptedChatModel()
        agent = create_agent(model, [_dump_tool(output)], middleware=[HeadroomMiddleware(store=store)])
        state = {"messages": messages}
        limit = {"recursion_limit": 12}  # a looping agent fails fast
        final = asyncio.run(agent.ainvoke(state, limit)) if use_async else agent.invoke(state, limit)
        return model, store, final["messages"]

    model, store, state = run()
    assert _snapshot(messages) == frozen
    tool_results = [m for m in state[len(messages) :] if isinstance(m, ToolMessage)]
    assert len(tool_results) == 1 and tool_results[0].name == "dump"
    original = ToolMessage(output, tool_call_id=tool_results[0].tool_call_id, name="dump")
    sent_tool, orig_tool = to_engine_messages([tool_results[0], original])
    assert_message_intact(orig_tool, sent_tool, store)
    for call in model.calls:
        assert_sent_ok(call.messages, state, store)
    again, _, state_again = run()
    assert dump(state_again) == dump(state)
    assert [dump(c.messages) for c in again.calls] == [dump(c.messages) for c in model.calls]


@settings(FUZZ, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), budget=st.sampled_from([None, 800, 5000]), use_async=st.booleans())
def test_langgraph_pre_model_hook(seed: int, budget: int | None, use_async: bool) -> None:
    messages = to_langchain(conversation(seed, secrets=True))
    frozen = _snapshot(messages)

    def run() -> tuple[CompressionStore, list[BaseMessage]]:
        store = _store()
        hook = create_pre_model_hook(token_budget=budget, store=store)
        state = {"messages": messages}
        out = asyncio.run(hook.ainvoke(state)) if use_async else hook.invoke(state)
        return store, out["llm_input_messages"]

    store, sent = run()
    assert _snapshot(messages) == frozen
    assert_sent_ok(sent, messages, store)
    assert dump(run()[1]) == dump(sent)


def _graph(store: CompressionStore) -> Any:
    graph = StateGraph(MessagesState)
    graph.add_node("headroom", create_compression_node(store=store))
    graph.add_edge(START, "headroom")
    graph.add_edge("headroom", END)
    return graph.compile()


@settings(FUZZ, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), use_async=st.booleans())
def test_langgraph_compression_node_in_a_graph(seed: int, use_async: bool) -> None:
    messages = to_langchain(conversation(seed))
    frozen = _snapshot(messages)

    def run() -> tuple[CompressionStore, list[BaseMessage]]:
        store = _store()
        app, state = _graph(store), {"messages": messages}
        return store, (asyncio.run(app.ainvoke(state)) if use_async else app.invoke(state))["messages"]

    store, out = run()
    assert _snapshot(messages) == frozen
    assert [m.id for m in out] == [m.id for m in messages], "the node must replace by id, never add or drop"
    assert_sent_ok(out, messages, store)
    assert dump(run()[1]) == dump(out)


def test_middleware_budget_keeps_the_current_tool_result() -> None:
    """With token_budget, fitting keeps the result of the call the model just made (else the agent loops).

    Reproducer: seed 0's history + "Use the dump tool now.", budget 1500: every request the model gets
    ends with the user's ask and no tool result, so it calls the tool again until the recursion limit.
    """
    messages = [*to_langchain(conversation(0)), HumanMessage("Use the dump tool now.", id="ask")]
    agent = create_agent(
        ScriptedChatModel(),
        [_dump_tool(_tool_result(0))],
        middleware=[HeadroomMiddleware(store=_store(), token_budget=1500)],
    )
    final = agent.invoke({"messages": messages}, {"recursion_limit": 12})
    assert isinstance(final["messages"][-1].content, str)
