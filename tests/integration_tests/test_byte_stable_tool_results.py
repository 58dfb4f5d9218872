"""Issue 9 §1: an earlier tool result reaches the provider as the same bytes on every later turn.

For every integration a real multi-turn run (one thread / session, a different
question each turn) is driven against a scripted provider that records what it
received. Two properties are checked on those provider requests:

* every tool result has byte-identical content in every request that carries it;
* each request starts with the previous one, byte for byte (the provider-facing
  prefix only grows, so prompt caches keep hitting).

The questions are chosen so that the test has teeth: compressing the first
tool result against a *later* question (``query_scope="latest"``) gives other
bytes, so an integration that re-compressed history against the newest
question would fail here.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

import pytest
from agno.models.message import Message
from langchain.agents import create_agent
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition

from headroom_integrations.agno import HeadroomAgnoModel, HeadroomCompressionManager, HeadroomToolHook
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import QueryScope, compress
from headroom_integrations.langchain import HeadroomChatModel
from headroom_integrations.langchain.langgraph import create_compression_node, create_pre_model_hook
from headroom_integrations.langchain.memory import HeadroomChatMessageHistory
from headroom_integrations.langchain.middleware import HeadroomMiddleware
from tests.integration_tests.agno import _agents as agno
from tests.support.fixtures import api_json, app_log, tool_conversation
from tests.support.scripted_agno_model import ScriptedAgnoModel
from tests.support.scripted_chat_model import ScriptedChatModel

SYSTEM = "You are a support agent."
ORDERS = api_json(300)
LOG = app_log(1500)
FAILED = "payment gateway timeout on order 48137"
# Each later question names an order that *is* in the data (48250, 48299): compressed
# against it instead of its own turn, the first result would keep other rows.
TURNS = (
    "Please list orders of 'customer-6865': why did order 48137 fail?",
    "Now read the log of the 'worker' service: did order 48250 ship?",
    "Thanks. What about order 48299 and batch 9f3ac2?",
)
LATER_ORDER = '"id": 48250'
LC_HOWS = ("invoke", "ainvoke", "stream", "astream")

Wire = list[dict[str, Any]]


# --- what a provider received, canonically ------------------------------------------


def _lc_wire(messages: Iterable[BaseMessage]) -> Wire:
    """LangChain messages as a provider reads them: role, content, tool calls, tool call id."""
    return [
        {
            "role": m.type,
            "content": m.content,
            "tool_calls": [
                {"name": c["name"], "args": c["args"], "id": c["id"]} for c in getattr(m, "tool_calls", None) or ()
            ],
            "tool_call_id": getattr(m, "tool_call_id", None),
        }
        for m in messages
    ]


def _dump(request: Wire) -> list[str]:
    return [json.dumps(m, sort_keys=True, ensure_ascii=False) for m in request]


def _tool_results(request: Wire) -> dict[int, str]:
    """Tool-result contents by position (call ids may repeat across turns; positions never move)."""
    return {i: m["content"] for i, m in enumerate(request) if m["role"] == "tool"}


def _first_tool_result(request: Wire) -> str:
    return next(iter(_tool_results(request).values()))


def _questions(request: Wire) -> list[str]:
    return [m["content"] for m in request if m["role"] in ("human", "user")]


def assert_byte_stable(requests: Sequence[Wire], questions: Sequence[str]) -> None:
    """Each request extends the previous one byte for byte; every tool result keeps its bytes.

    Also checks the run really was multi-turn: the last request carries every
    question, and the first tool result was sent under every one of them.
    """
    assert _questions(requests[-1]) == list(questions)
    for before, after in zip(requests, requests[1:], strict=False):
        assert _dump(after)[: len(before)] == _dump(before)
    first: dict[int, str] = {}
    asked_with: dict[int, set[int]] = {}
    for request in requests:
        for position, content in _tool_results(request).items():
            assert first.setdefault(position, content) == content, position
            asked_with.setdefault(position, set()).add(len(_questions(request)))
    assert asked_with[min(first)] == set(range(1, len(questions) + 1))


def _call(call_id: str, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAI-format assistant message calling ``name`` once."""
    function = {"name": name, "arguments": json.dumps(args or {})}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": function}],
    }


def _compressed_alone(
    output: str, question: str, tool_name: str, args: dict[str, Any], scope: QueryScope, retrieve_tool: bool
) -> str:
    """The engine's bytes for ``output`` as the only tool result after ``question`` (a call with ``args``)."""
    messages = [
        {"role": "user", "content": question},
        _call("call_1", tool_name, args),
        {"role": "tool", "tool_call_id": "call_1", "name": tool_name, "content": output},
    ]
    out = compress(messages, store=CompressionStore(), query_scope=scope, retrieve_tool=retrieve_tool)
    return str(out.messages[-1]["content"])


def assert_has_teeth(
    sent: str, original: str, own: str, later: str, tool_name: str, args: dict[str, Any], *, retrieve_tool: bool
) -> None:
    """``sent`` is the engine's per-turn compression of ``original``; a latest-question policy gives other bytes.

    ``retrieve_tool``: the model had ``headroom_retrieve``, so the markers name it.
    """
    assert len(sent) < len(original) / 5
    assert sent == _compressed_alone(original, own, tool_name, args, "turn", retrieve_tool)
    assert sent != _compressed_alone(original, later, tool_name, args, "latest", retrieve_tool)


# --- the engine ----------------------------------------------------------------------


def _engine_turns(q2: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    turn1 = tool_conversation(ORDERS)  # [system, user "Why did order 48137 fail?", call list_orders, result]
    turn2 = [*turn1, {"role": "assistant", "content": "Order 48137 failed: " + FAILED}, {"role": "user", "content": q2}]
    return turn1, turn2


def test_engine_keeps_an_earlier_tool_result_byte_identical_when_the_question_changes() -> None:
    turn1, turn2 = _engine_turns("And did order 48250 ship?")
    first = compress(turn1, store=CompressionStore())
    second = compress(turn2, store=CompressionStore())

    sent1, sent2 = first.messages[3]["content"], second.messages[3]["content"]
    assert sent1 == sent2 and FAILED in sent1 and len(sent1) < len(ORDERS) / 10
    assert second.messages[:4] == first.messages  # the provider-facing prefix of turn 1, unchanged
    assert first.savings.tools == second.savings.tools  # and so is its account, per tool
    assert first.savings.tools[0].name == "list_orders" and first.savings.tools[0].items_after < 300


def test_engine_with_the_latest_question_policy_changes_the_earlier_result() -> None:
    """The check above can fail: against the newest question the same result compresses differently."""
    turn1, turn2 = _engine_turns("And did order 48250 ship?")
    first = compress(turn1, store=CompressionStore(), query_scope="latest")
    second = compress(turn2, store=CompressionStore(), query_scope="latest")

    sent1, sent2 = first.messages[3]["content"], second.messages[3]["content"]
    assert sent1 != sent2
    assert LATER_ORDER not in sent1 and LATER_ORDER in sent2
    assert first.savings.tools != second.savings.tools


# --- LangChain: create_agent -----------------------------------------------------------


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return ORDERS


@tool
def read_log(service: str) -> str:
    """Read a service log."""
    return LOG


async def _run_turns(agent: Any, how: str, thread: str) -> list[BaseMessage]:
    """One thread, one turn per question, run the way ``how`` says; returns the final state's messages."""
    config = {"configurable": {"thread_id": thread}}
    for question in TURNS:
        request = {"messages": [{"role": "user", "content": question}]}
        if how == "invoke":
            agent.invoke(request, config)
        elif how == "ainvoke":
            await agent.ainvoke(request, config)
        elif how == "stream":
            for _ in agent.stream(request, config, stream_mode="messages"):
                pass
        else:
            async for _ in agent.astream(request, config, stream_mode="messages"):
                pass
    return list(agent.get_state(config).values["messages"])


def _check_langchain_run(provider: ScriptedChatModel, state: list[BaseMessage], *, retrieve_tool: bool) -> None:
    requests = [_lc_wire(call.messages) for call in provider.calls]
    assert len(requests) == 5  # tool call, answer; tool call, answer; answer
    assert requests[0][0] == {"role": "system", "content": SYSTEM, "tool_calls": [], "tool_call_id": None}
    assert_byte_stable(requests, TURNS)
    orders = _first_tool_result(requests[-1])
    assert_has_teeth(
        orders, ORDERS, TURNS[0], TURNS[1], "list_orders", {"customer": "customer-6865"}, retrieve_tool=retrieve_tool
    )
    assert "9f3ac2" in state[-1].text  # the agent still answered the last question


@pytest.mark.parametrize("how", LC_HOWS)
async def test_create_agent_with_headroom_chat_model(how: str) -> None:
    provider = ScriptedChatModel()
    model = HeadroomChatModel(provider, store=CompressionStore())
    agent = create_agent(model, [list_orders, read_log], system_prompt=SYSTEM, checkpointer=InMemorySaver())

    state = await _run_turns(agent, how, "chat-model")

    _check_langchain_run(provider, state, retrieve_tool=False)  # the agent's tools do not include it
    # the state keeps the originals: only what the provider got was compressed
    assert [m.content for m in state if m.type == "tool"] == [ORDERS, LOG]


@pytest.mark.parametrize("how", LC_HOWS)
async def test_create_agent_with_headroom_middleware(how: str) -> None:
    provider = ScriptedChatModel()
    middleware = HeadroomMiddleware(store=CompressionStore())
    agent = create_agent(
        provider, [list_orders, read_log], system_prompt=SYSTEM, middleware=[middleware], checkpointer=InMemorySaver()
    )

    state = await _run_turns(agent, how, "middleware")

    _check_langchain_run(provider, state, retrieve_tool=True)  # the middleware registers it
    # compressed once when produced and persisted: the state holds the bytes the provider got
    sent = _tool_results(_lc_wire(provider.calls[-1].messages))
    assert [m.content for m in state if m.type == "tool"] == list(sent.values())
    assert middleware.get_savings_summary()["tool_results"]["calls"] == 2


# --- LangGraph: the pre-model hook and the compression node -------------------------------


class _State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    llm_input_messages: list[AnyMessage]


def _graph(provider: ScriptedChatModel, before_model: Any) -> Any:
    """model <-> tools, with Headroom's step before every model call; the model reads the hook's view if any."""
    bound = provider.bind_tools([list_orders, read_log])

    def model(state: _State) -> dict[str, Any]:
        return {"messages": [bound.invoke(state.get("llm_input_messages") or state["messages"])]}

    graph = StateGraph(_State)
    graph.add_node("headroom", before_model)
    graph.add_node("model", model)
    graph.add_node("tools", ToolNode([list_orders, read_log]))
    graph.add_edge(START, "headroom")
    graph.add_edge("headroom", "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "headroom")
    return graph.compile(checkpointer=InMemorySaver())


@pytest.mark.parametrize("step", ["pre_model_hook", "compression_node"])
def test_langgraph_steps_on_a_growing_state(step: str) -> None:
    provider = ScriptedChatModel()
    store = CompressionStore()
    before_model = (
        create_pre_model_hook(store=store) if step == "pre_model_hook" else create_compression_node(store=store)
    )
    app = _graph(provider, before_model)
    config = {"configurable": {"thread_id": step}}
    for turn, question in enumerate(TURNS):
        new: list[BaseMessage] = [SystemMessage(SYSTEM)] if turn == 0 else []
        app.invoke({"messages": [*new, HumanMessage(question)]}, config)

    requests = [_lc_wire(call.messages) for call in provider.calls]
    assert len(requests) == 5
    assert_byte_stable(requests, TURNS)
    orders = _first_tool_result(requests[-1])
    args = {"customer": "customer-6865"}
    assert_has_teeth(orders, ORDERS, TURNS[0], TURNS[1], "list_orders", args, retrieve_tool=True)
    state = [m.content for m in app.get_state(config).values["messages"] if m.type == "tool"]
    # the hook leaves the state alone; the node replaces each result once, in place
    assert state == ([ORDERS, LOG] if step == "pre_model_hook" else list(_tool_results(requests[-1]).values()))


# --- LangChain: HeadroomChatMessageHistory -------------------------------------------------


@pytest.mark.filterwarnings("ignore::langchain_core._api.deprecation.LangChainDeprecationWarning")
def test_chat_message_history_reads_repeat_earlier_results_byte_for_byte() -> None:
    """A hand-written agent loop over the history: each model call reads ``history.messages``."""
    provider = ScriptedChatModel()
    bound = provider.bind_tools([list_orders, read_log])
    tools = {t.name: t for t in (list_orders, read_log)}
    history = HeadroomChatMessageHistory(InMemoryChatMessageHistory(), store=CompressionStore())
    history.add_message(SystemMessage(SYSTEM))
    reads: list[Wire] = []
    for question in TURNS:
        history.add_message(HumanMessage(question))
        while True:
            view = history.messages
            reads.append(_lc_wire(view))
            reply = bound.invoke(view)
            assert isinstance(reply, AIMessage)
            history.add_message(reply)
            if not reply.tool_calls:
                break
            history.add_messages([tools[c["name"]].invoke(c) for c in reply.tool_calls])

    assert reads == [_lc_wire(call.messages) for call in provider.calls]  # the model got exactly the reads
    assert_byte_stable(reads, TURNS)
    orders = _first_tool_result(reads[-1])
    # retrieve_tool_bound is off by default: the markers carry the bare ref
    args = {"customer": "customer-6865"}
    assert_has_teeth(orders, ORDERS, TURNS[0], TURNS[1], "list_orders", args, retrieve_tool=False)
    assert [m.content for m in history.full_messages if m.type == "tool"] == [ORDERS, LOG]


# --- Agno -------------------------------------------------------------------------------------

AGNO_TURNS = (
    "Why did order 48137 fail?",
    "Did order 48250 ship? Check the worker log too.",
    "And order 48299? What about batch 9f3ac2?",
)
# The tools each run's first hop calls (then the scripted model answers).
AGNO_CALLS = (
    [("list_orders", {"status": "all"})],
    [("read_log", {"service": "worker"})],
    [("read_log", {"service": "scheduler"})],
)


def _agno_step(seen: Sequence[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    return AGNO_CALLS[sum(role == "user" for role, _ in seen) - 1]


def _agno_wire(messages: Sequence[Message], compressed: bool) -> Wire:
    """Agno messages as the provider reads them (``compressed_content`` when Agno sends it)."""
    wire = []
    for m in messages:
        content = m.get_content(use_compressed_content=compressed and m.role == "tool")
        wire.append(
            {
                "role": m.role,
                "content": content if isinstance(content, str) or content is None else json.dumps(content),
                "tool_calls": m.tool_calls or [],
                "tool_call_id": m.tool_call_id,
            }
        )
    return wire


@dataclass
class _RecordingAgnoModel(ScriptedAgnoModel):
    """The scripted Agno provider, also recording each request's tool calls and call ids."""

    requests: list[Wire] = field(default_factory=list)

    def _reply(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # called with keywords only
        self.requests.append(_agno_wire(kwargs["messages"], bool(kwargs.get("compress_tool_results"))))
        return super()._reply(*args, **kwargs)


@pytest.fixture(autouse=True)
def _offline_agno(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGNO_TELEMETRY", "false")


def _agno_agent(path: str) -> tuple[Any, _RecordingAgnoModel]:
    provider = _RecordingAgnoModel(plan=[_agno_step])
    store = CompressionStore()
    options: dict[str, Any] = {"instructions": SYSTEM, "add_history_to_context": True, "num_history_runs": 10}
    model: Any = provider
    if path == "model":
        model = HeadroomAgnoModel(wrapped_model=provider, store=store)
    elif path == "compression_manager":
        options.update(compress_tool_results=True, compression_manager=HeadroomCompressionManager(store=store))
    else:
        options.update(tool_hooks=[HeadroomToolHook(store=store)])
    return agno.make_agent(model, [agno.list_orders, agno.read_log], **options), provider


@pytest.mark.parametrize("how", agno.HOWS)
@pytest.mark.parametrize("path", ["model", "compression_manager", "tool_hook"])
async def test_agno_agent_session(path: str, how: str) -> None:
    agent, provider = _agno_agent(path)
    for question in AGNO_TURNS:
        await agno.run_agent(agent, how, question)

    requests = provider.requests
    assert len(requests) == 6  # each run: a tool call, then an answer
    assert requests[0][0]["role"] == "system" and SYSTEM in requests[0][0]["content"]
    assert_byte_stable(requests, AGNO_TURNS)
    # the first run's result as sent on the last hop of the last run
    orders = _first_tool_result(requests[-1])
    # The model and the tool hook see the agent has no headroom_retrieve; the compression manager cannot tell.
    offered = path == "compression_manager"
    assert_has_teeth(
        orders, agno.ORDERS, AGNO_TURNS[0], AGNO_TURNS[1], "list_orders", {"status": "all"}, retrieve_tool=offered
    )
    assert len(next(m["content"] for m in requests[-1][::-1] if m["role"] == "tool")) < len(agno.LOG) / 5
    assert "9f3ac2" in str(agent.get_last_run_output().content)


# --- a later call that reuses an earlier call's id -------------------------------------------
# Some providers number tool calls per response ("call_0", ...), as the scripted Agno model
# does, so a later turn can reuse an earlier call's id. The earlier result must still
# compress as it did on its own turn.


def _node_status() -> str:
    """Mixed prose and key=value lines: ambiguous enough that a tool name ending in "log" tips it."""
    rng = random.Random(1)
    return "\n".join(
        f"Node n{i} reported {rng.randrange(100)} pending jobs and is healthy."
        if i % 3
        else f"n{i}: status=ok load={rng.random():.2f}"
        for i in range(600)
    )


def test_engine_a_reused_call_id_does_not_change_an_earlier_result() -> None:
    turn1 = [
        {"role": "user", "content": "How loaded is node n42?"},
        _call("call_0", "get_status"),
        {"role": "tool", "tool_call_id": "call_0", "name": "get_status", "content": _node_status()},
    ]
    turn2 = [
        *turn1,
        {"role": "assistant", "content": "Node n42 is fine."},
        {"role": "user", "content": "How loaded is node n42 now?"},
        _call("call_0", "read_log"),
        {"role": "tool", "tool_call_id": "call_0", "name": "read_log", "content": "10:00:00 INFO ok"},
    ]
    first = compress(turn1, store=CompressionStore())
    second = compress(turn2, store=CompressionStore())
    assert [r.tool_name for r in second.message_reports][:1] == ["get_status"]
    assert second.messages[2]["content"] == first.messages[2]["content"]


async def test_agno_session_whose_provider_reuses_call_ids() -> None:
    status = _node_status()

    def get_status(node: str = "all") -> str:
        """Get the cluster's node status.

        Args:
            node: Which node.
        """
        return status

    calls = ([("get_status", {"node": "all"})], [("read_log", {"service": "worker"})])
    provider = _RecordingAgnoModel(plan=[lambda seen: calls[sum(role == "user" for role, _ in seen) - 1]])
    model = HeadroomAgnoModel(wrapped_model=provider, store=CompressionStore())
    agent = agno.make_agent(model, [get_status, agno.read_log], add_history_to_context=True)
    questions = ("How loaded is node n42?", "Did the worker log show errors for n42?")
    for question in questions:
        await agno.run_agent(agent, "run", question)
    assert [m["tool_call_id"] for m in provider.requests[-1] if m["role"] == "tool"] == ["call_0_0", "call_0_0"]
    assert_byte_stable(provider.requests, questions)
