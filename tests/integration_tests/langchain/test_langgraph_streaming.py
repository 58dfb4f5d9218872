"""HeadroomChatModel inside LangGraph: token streaming (stream_mode="messages") and a create_agent loop."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage, convert_to_messages
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph

from headroom_integrations.langchain import HeadroomChatModel
from tests.support.fixtures import api_json, api_records, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel

TOOL_OUTPUT = api_json(300)


def _graph(model: HeadroomChatModel) -> Any:
    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def aagent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", RunnableLambda(agent, afunc=aagent))
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder.compile()


def _check(scripted: ScriptedChatModel, chunks: list[Any]) -> None:
    assert len(chunks) > 2 and all(isinstance(c, AIMessageChunk) for c in chunks)  # token by token
    assert sum("headroom" in c.response_metadata for c in chunks) == 1
    sent_tool = scripted.calls[-1].messages[3]
    assert len(sent_tool.content) < len(TOOL_OUTPUT) / 5


def test_messages_stream_mode_streams_a_compressed_call() -> None:
    scripted = ScriptedChatModel()
    graph = _graph(HeadroomChatModel(scripted))
    history = convert_to_messages(tool_conversation(TOOL_OUTPUT))
    chunks = [message for message, _ in graph.stream({"messages": history}, stream_mode="messages")]
    _check(scripted, chunks)


async def test_messages_stream_mode_streams_a_compressed_call_async() -> None:
    scripted = ScriptedChatModel()
    graph = _graph(HeadroomChatModel(scripted))
    history = convert_to_messages(tool_conversation(TOOL_OUTPUT))
    chunks = [message async for message, _ in graph.astream({"messages": history}, stream_mode="messages")]
    _check(scripted, chunks)


@tool
def list_orders() -> list[dict[str, Any]]:
    """List all recent orders with their status."""
    return api_records(300)


def test_create_agent_loop_sends_compressed_tool_results_and_keeps_state_whole() -> None:
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted)
    agent = create_agent(model, tools=[list_orders])
    state = agent.invoke({"messages": [HumanMessage("Use list_orders: why did order 48137 fail?")]})
    messages = state["messages"]
    assert [type(m).__name__ for m in messages] == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert "48137" in messages[-1].content and "payment gateway timeout" in messages[-1].content
    tool_message = messages[2]
    assert isinstance(tool_message, ToolMessage)
    second_call = scripted.calls[1]
    assert len(second_call.messages[2].content) < len(tool_message.content) / 5  # the model saw it compressed
    assert second_call.messages[2].id == tool_message.id
    assert model.get_savings_summary()["calls"] == 2
