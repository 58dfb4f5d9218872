"""LangGraph: the persistent compression node and the transient pre_model_hook in real graphs."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.tokens.tokenizer import Tokenizer
from headroom_integrations.langchain._convert import to_engine_messages
from headroom_integrations.langchain.langgraph import create_compression_node, create_pre_model_hook
from tests.support.fixtures import api_json
from tests.support.scripted_chat_model import ScriptedChatModel

FAILED = "payment gateway timeout on order 48137"


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


class HookState(State, total=False):
    llm_input_messages: list[AnyMessage]


def _tools(state: dict[str, Any]) -> dict[str, Any]:
    calls = state["messages"][-1].tool_calls
    return {"messages": [ToolMessage(api_json(300), tool_call_id=c["id"], name=c["name"]) for c in calls]}


def _graph(seen: list[list[BaseMessage]], before_model: Any, state: type = State) -> Any:
    def model(state: dict[str, Any]) -> dict[str, Any]:
        sent = state.get("llm_input_messages") or state["messages"]
        seen.append(list(sent))
        last = sent[-1]
        if isinstance(last, HumanMessage):
            call = {"name": "list_orders", "args": {"order_id": 48137}, "id": f"call_{len(seen)}"}
            return {"messages": [AIMessage("", tool_calls=[call])]}
        return {"messages": [AIMessage(f"read {len(last.text)} characters")]}

    graph = StateGraph(state)
    graph.add_node("headroom", before_model)
    graph.add_node("model", model)
    graph.add_node("tools", _tools)
    graph.add_edge(START, "headroom")
    graph.add_edge("headroom", "model")
    graph.add_conditional_edges("model", lambda s: "tools" if s["messages"][-1].tool_calls else END)
    graph.add_edge("tools", "headroom")
    return graph.compile(checkpointer=InMemorySaver())


def _per_call(messages: list[BaseMessage]) -> Counter[str]:
    return Counter(m.tool_call_id for m in messages if isinstance(m, ToolMessage))


@pytest.fixture
def store() -> CompressionStore:
    return CompressionStore()


def test_persistent_node_replaces_tool_messages_in_place(store: CompressionStore) -> None:
    seen: list[list[BaseMessage]] = []
    node = create_compression_node(store=store)
    app = _graph(seen, node)
    config = {"configurable": {"thread_id": "p"}}
    for turn in range(1, 4):
        messages = app.invoke({"messages": [HumanMessage(f"Why did order 48137 fail? ({turn})")]}, config)["messages"]
        assert len(messages) == 4 * turn
        assert set(_per_call(messages).values()) == {1}
    tools = [m for m in messages if isinstance(m, ToolMessage)]
    assert all(FAILED in m.content and len(m.content) < len(api_json(300)) / 5 for m in tools)
    assert [m.id for m in tools] == [m.id for m in app.get_state(config).values["messages"] if m.type == "tool"]
    # the model only ever saw the compressed results
    assert all(len(m.content) < 2000 for sent in seen for m in sent if isinstance(m, ToolMessage))
    assert node.get_savings_summary()["calls"] == 3  # each result compressed once, not once per turn


async def test_persistent_node_async(store: CompressionStore) -> None:
    app = _graph([], create_compression_node(store=store))
    config = {"configurable": {"thread_id": "pa"}}
    for _ in range(2):
        messages = (await app.ainvoke({"messages": [HumanMessage("Why did order 48137 fail?")]}, config))["messages"]
    assert len(messages) == 8 and set(_per_call(messages).values()) == {1}
    assert all("headroom" in m.response_metadata for m in messages if isinstance(m, ToolMessage))


def test_transient_hook_leaves_state_alone_and_fits_the_budget(store: CompressionStore) -> None:
    seen: list[list[BaseMessage]] = []
    hook = create_pre_model_hook(store=store, token_budget=900)
    app = _graph(seen, hook, HookState)
    config = {"configurable": {"thread_id": "t"}}
    for turn in range(3):
        app.invoke({"messages": [HumanMessage(f"Why did order 48137 fail? ({turn})")]}, config)
    state = app.get_state(config).values["messages"]
    assert len(state) == 12 and set(_per_call(state).values()) == {1}
    assert all(m.content == api_json(300) for m in state if isinstance(m, ToolMessage))  # originals kept
    counter = Tokenizer("gpt-4o")
    assert all(counter.count_messages(to_engine_messages(sent)) <= 900 for sent in seen)
    assert FAILED in "\n".join(m.text for m in seen[-1])
    summary = hook.get_savings_summary()
    assert summary["calls"] == len(seen) and summary["tokens_saved"] > 0


def test_transient_hook_is_stable_across_turns(store: CompressionStore) -> None:
    seen: list[list[BaseMessage]] = []
    app = _graph(seen, create_pre_model_hook(store=store), HookState)
    config = {"configurable": {"thread_id": "s"}}
    for turn in range(2):
        app.invoke({"messages": [HumanMessage(f"Why did order 48137 fail? Attempt {turn}.")]}, config)
    # later requests start with the earlier ones, byte for byte
    for before, after in zip(seen, seen[1:], strict=False):
        assert [m.content for m in after[: len(before)]] == [m.content for m in before]


def test_pre_model_hook_of_create_react_agent(store: CompressionStore) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

    @tool
    def list_orders(customer: str) -> str:
        """List the customer's orders."""
        return api_json(300)

    model = ScriptedChatModel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agent = create_react_agent(model, [list_orders], pre_model_hook=create_pre_model_hook(store=store))
    result = agent.invoke({"messages": [HumanMessage("list orders of 'customer-6865': why did 48137 fail?")]})
    assert result["messages"][2].content == api_json(300)
    sent_tool = model.calls[-1].messages[-1]
    assert isinstance(sent_tool, ToolMessage) and FAILED in sent_tool.content
    assert len(sent_tool.content) < len(api_json(300)) / 5


def test_options_are_checked_when_built() -> None:
    with pytest.raises(ConfigurationError):
        create_pre_model_hook(token_budget=-1)
    with pytest.raises(ConfigurationError):
        create_compression_node(mode="loud")
    with pytest.raises(ConfigurationError, match="retrieve_tool must be a bool"):
        create_compression_node(retrieve_tool="no")  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [create_pre_model_hook, create_compression_node])
@pytest.mark.parametrize("retrieve_tool", [True, False])
def test_markers_name_headroom_retrieve_only_when_the_graph_binds_it(
    make: Any, retrieve_tool: bool, store: CompressionStore
) -> None:
    seen: list[list[BaseMessage]] = []
    app = _graph(seen, make(store=store, token_budget=900, retrieve_tool=retrieve_tool), HookState)
    config = {"configurable": {"thread_id": f"r-{retrieve_tool}"}}
    for turn in range(3):
        app.invoke({"messages": [HumanMessage(f"Why did order 48137 fail? ({turn})")]}, config)
    sent = "\n".join(m.text for call in seen for m in call)
    assert "_headroom_ref" in sent and ("headroom_retrieve" in sent) is retrieve_tool
