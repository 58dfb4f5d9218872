"""A file viewed twice in one agent run: the second result reaches the model as a pointer plus the change.

Real agent loops (LangChain ``create_agent`` with ``HeadroomMiddleware``; a
LangGraph graph with Headroom's pre-model hook or compression node; an Agno
``Agent`` with ``HeadroomToolHook`` or ``HeadroomCompressionManager``) over scripted offline models that
view the same file on two turns, with an edit in between. The second tool
result is compressed when it is produced, against the conversation so far, so
it becomes a short pointer to the first result plus the changed line; the
full text comes back by its ref, and every result keeps its bytes in every
later request.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypedDict

import pytest
from agno.agent import Agent
from agno.db.in_memory import InMemoryDb
from langchain.agents import create_agent
from langchain_core.messages import AnyMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition

from headroom_integrations.agno import HeadroomCompressionManager, HeadroomToolHook
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.langchain.langgraph import create_compression_node, create_pre_model_hook
from headroom_integrations.langchain.middleware import HeadroomMiddleware
from tests.support.scripted_agno_model import ScriptedAgnoModel
from tests.support.scripted_chat_model import ScriptedChatModel

SYSTEM = "You are a coding agent."
BUGGY = "return dispatch(request, route=7, retries=3)"
FIXED = "return dispatch(request, route=7, retries=5)"
TURNS = (
    "Use view_file on 'app.py': what does handler_7 return?",
    "I edited it. Use view_file on 'app.py' again: does handler_7 retry 5 times now?",
    "Thanks, that is all.",
)
_REF = re.compile(r"; (?:headroom_retrieve )?ref=([0-9a-f]+)")


def _source(line_7: str) -> str:
    """``cat -n`` of a 40-line module whose line 7 is ``line_7``."""
    lines = [f"def handler_{i}(request):  return dispatch(request, route={i}, retries=3)" for i in range(1, 41)]
    lines[6] = f"def handler_7(request):  {line_7}"
    return "\n".join(f"{n:6}\t{line}" for n, line in enumerate(lines, 1))


class Workspace:
    """The file the tool shows; the test edits it between turns."""

    def __init__(self) -> None:
        self.text = _source(BUGGY)

    def view_file(self, path: str) -> str:
        """Show a file with line numbers."""
        return self.text


def _check(results: list[list[str]], store: CompressionStore) -> None:
    """``results``: the tool-result contents of each model request, in order."""
    first, second = results[-1]
    assert first == _source(BUGGY)  # a numbered excerpt the agent may edit from: kept whole
    assert "that repeat the view_file result (" in second and FIXED in second and "handler_20" not in second
    assert len(second) < len(_source(FIXED)) / 4
    (ref,) = _REF.findall(second)
    assert store.retrieve(ref) == _source(FIXED)  # the full second view, by its ref
    for request in results:  # each result keeps its bytes in every later request
        assert request == results[-1][: len(request)]
    assert sum(len(r) == 2 for r in results) >= 2  # the pointer was sent again on a later request


def test_create_agent_with_middleware_sends_the_second_view_as_a_pointer() -> None:
    workspace = Workspace()
    view_file = tool(workspace.view_file)
    provider = ScriptedChatModel()
    store = CompressionStore()
    agent = create_agent(
        provider,
        [view_file],
        system_prompt=SYSTEM,
        middleware=[HeadroomMiddleware(store=store)],
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "views"}}
    for turn, question in enumerate(TURNS):
        if turn == 1:
            workspace.text = _source(FIXED)
        agent.invoke({"messages": [{"role": "user", "content": question}]}, config)

    requests = [[m.content for m in call.messages if m.type == "tool"] for call in provider.calls]
    _check([r for r in requests if r], store)
    state = agent.get_state(config).values["messages"]
    assert [m.content for m in state if m.type == "tool"] == requests[-1]  # persisted as sent


class _State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    llm_input_messages: list[AnyMessage]


@pytest.mark.parametrize("step", ["pre_model_hook", "compression_node"])
def test_langgraph_steps_send_the_second_view_as_a_pointer(step: str) -> None:
    workspace = Workspace()
    view_file = tool(workspace.view_file)
    provider = ScriptedChatModel()
    store = CompressionStore()
    bound = provider.bind_tools([view_file])

    def model(state: _State) -> dict[str, Any]:
        return {"messages": [bound.invoke(state.get("llm_input_messages") or state["messages"])]}

    graph = StateGraph(_State)
    graph.add_node(
        "headroom",
        create_pre_model_hook(store=store) if step == "pre_model_hook" else create_compression_node(store=store),
    )
    graph.add_node("model", model)
    graph.add_node("tools", ToolNode([view_file]))
    graph.add_edge(START, "headroom")
    graph.add_edge("headroom", "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "headroom")
    app = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": step}}
    for turn, question in enumerate(TURNS):
        if turn == 1:
            workspace.text = _source(FIXED)
        new: list[BaseMessage] = [SystemMessage(SYSTEM)] if turn == 0 else []
        app.invoke({"messages": [*new, HumanMessage(question)]}, config)

    requests = [[m.content for m in call.messages if m.type == "tool"] for call in provider.calls]
    _check([r for r in requests if r], store)


@pytest.mark.parametrize("slot", ["tool_hook", "compression_manager"])
def test_agno_agent_sends_the_second_view_as_a_pointer(slot: str) -> None:
    workspace = Workspace()
    model = ScriptedAgnoModel(plan=[[("view_file", {"path": "app.py"})]])
    store = CompressionStore()
    headroom: dict[str, Any] = (
        {"tool_hooks": [HeadroomToolHook(store=store)]}
        if slot == "tool_hook"
        else {"compress_tool_results": True, "compression_manager": HeadroomCompressionManager(store=store)}
    )
    agent = Agent(
        model=model,
        tools=[workspace.view_file],
        instructions=SYSTEM,
        db=InMemoryDb(),
        add_history_to_context=True,
        telemetry=False,
        **headroom,
    )
    for turn, question in enumerate(TURNS[:2]):
        if turn == 1:
            workspace.text = _source(FIXED)
        agent.run(question, session_id="views")
    model.plan = []  # the last turn only answers
    agent.run(TURNS[2], session_id="views")

    requests = [call.texts("tool") for call in model.calls]
    _check([r for r in requests if r], store)
