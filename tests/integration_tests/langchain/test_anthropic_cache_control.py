"""``anthropic_cache_control=True``: real ``ChatAnthropic`` requests carry cache breakpoints on the stable prefix.

The real langchain-anthropic model talks to the loopback Anthropic server, which
records each request body and models prompt caching (a breakpoint's prefix seen
before is read back). We check what a user of the option cares about: where the
breakpoints are, that there are never more than four, that the prefix of the next
request is byte-identical (so it is read from the cache), and that the cache tokens
the provider reported show in LangSmith, in ``get_savings_summary()`` and in the
metrics store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver

from headroom_integrations import CompressionStore, ConfigurationError, MetricsStore
from headroom_integrations.langchain import HeadroomChatModel, HeadroomMiddleware
from tests.support.fixtures import api_json
from tests.support.langsmith_recorder import LangSmithRecorder
from tests.support.provider_servers import ProviderServer, strip_cache_control
from tests.support.scripted_chat_model import ScriptedChatModel

MODEL = "claude-sonnet-4-5"
MESSAGES = "/v1/messages"
SYSTEM = "You are a support agent. Answer from the tool results."
QUESTION = "Please list orders of 'customer-6865': why did order 48137 fail?"
EPHEMERAL = {"type": "ephemeral"}


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return api_json(300)


@tool
def refund(order: int) -> str:
    """Refund an order."""
    return json.dumps({"order": order, "status": "refunded"})


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer() as server:
        yield server


@pytest.fixture
def recorder() -> Iterator[LangSmithRecorder]:
    with LangSmithRecorder() as recorder:
        yield recorder


def _claude(server: ProviderServer, **kwargs: Any) -> ChatAnthropic:
    return ChatAnthropic(model=MODEL, api_key="test-key", base_url=server.anthropic_base_url, max_retries=0, **kwargs)  # type: ignore[call-arg]


def _tool_results(body: dict[str, Any]) -> int:
    return sum(
        1
        for m in body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_result"
    )


def _agent_script(body: dict[str, Any]) -> Any:
    """List the orders, then refund the failed one, then answer."""
    done = _tool_results(body)
    if done == 0:
        return {"tool": "list_orders", "input": {"customer": "customer-6865"}}
    if done == 1:
        return {"tool": "refund", "input": {"order": 48137}}
    return "Order 48137 failed on a payment gateway timeout; it is refunded."


def _breakpoints(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Where the request's cache_control markers are: ("tool", i), ("system", i), ("message", i, j)."""
    found: list[tuple[Any, ...]] = []
    found += [("tool", i) for i, t in enumerate(body.get("tools") or []) if "cache_control" in t]
    system = body.get("system")
    if isinstance(system, list):
        found += [("system", i) for i, b in enumerate(system) if "cache_control" in b]
    for i, message in enumerate(body["messages"]):
        if isinstance(message["content"], list):
            found += [("message", i, j) for j, b in enumerate(message["content"]) if "cache_control" in b]
    assert json.dumps(body).count('"cache_control"') == len(found)  # none anywhere else
    return found


def _assert_stable_prefix(previous: dict[str, Any], current: dict[str, Any]) -> None:
    """The earlier request is, byte for byte and markers aside, the start of the later one."""
    for key in ("tools", "system"):
        assert json.dumps(strip_cache_control(current.get(key))) == json.dumps(strip_cache_control(previous.get(key)))
    head = current["messages"][: len(previous["messages"])]
    assert json.dumps(strip_cache_control(head)) == json.dumps(strip_cache_control(previous["messages"]))


def _last_block(body: dict[str, Any], index: int) -> tuple[Any, ...]:
    return ("message", index, len(body["messages"][index]["content"]) - 1)


def _llm_runs(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    llm = [r for r in runs.values() if r.get("run_type") == "llm"]
    return sorted(llm, key=lambda r: str(r.get("start_time")))


# --- the middleware in a real create_agent loop ---------------------------------------------


def _agent(server: ProviderServer, middleware: HeadroomMiddleware) -> Any:
    server.reply = _agent_script
    return create_agent(
        _claude(server),
        [list_orders, refund],
        system_prompt=SYSTEM,
        middleware=[middleware],
        checkpointer=InMemorySaver(),
    )


def test_agent_requests_carry_breakpoints_and_the_next_request_reads_the_prefix_back(
    server: ProviderServer, recorder: LangSmithRecorder
) -> None:
    metrics = MetricsStore("memory://")
    middleware = HeadroomMiddleware(store=CompressionStore(), metrics_store=metrics, anthropic_cache_control=True)
    tracer = recorder.tracer()
    state = _agent(server, middleware).invoke(
        {"messages": [("user", QUESTION)]}, config={"configurable": {"thread_id": "t"}, "callbacks": [tracer]}
    )
    assert state["messages"][-1].content.startswith("Order 48137 failed")
    first, second, third = server.bodies(MESSAGES)

    tool = ("tool", len(first["tools"]) - 1)  # headroom_retrieve, list_orders, refund
    # First request: the last tool, the system prompt and the question.
    assert _breakpoints(first) == [tool, ("system", 0), _last_block(first, 0)]
    # Later ones: also the message the previous request ended with; four in all.
    for previous, body in ((first, second), (second, third)):
        marks = _breakpoints(body)
        end = len(previous["messages"]) - 1
        assert marks == [tool, ("system", 0), _last_block(body, end), _last_block(body, len(body["messages"]) - 1)]
        _assert_stable_prefix(previous, body)
    # The compressed tool result is what the prefix holds, on every later request.
    result = second["messages"][2]["content"][0]
    assert result["type"] == "tool_result" and len(json.dumps(result)) < len(api_json(300)) / 5

    # Everything a request wrote to the cache, the next one read back.
    usages = server.anthropic_usages
    assert usages[0]["cache_read_input_tokens"] == 0 and usages[0]["cache_creation_input_tokens"] > 0
    for before, after in zip(usages, usages[1:], strict=False):
        expected = before["cache_read_input_tokens"] + before["cache_creation_input_tokens"]
        assert after["cache_read_input_tokens"] == expected

    summary = middleware.get_savings_summary()["model_calls"]
    assert summary["cache_read_input_tokens"] == sum(u["cache_read_input_tokens"] for u in usages)
    assert summary["cache_creation_input_tokens"] == sum(u["cache_creation_input_tokens"] for u in usages)

    llm_runs = _llm_runs(recorder.wait_for_runs(tracer))
    assert len(llm_runs) == 3
    for run, usage in zip(llm_runs, usages, strict=True):
        traced = run["extra"]["metadata"]
        assert traced["headroom_cache_read_input_tokens"] == usage["cache_read_input_tokens"]
        assert traced["headroom_cache_creation_input_tokens"] == usage["cache_creation_input_tokens"]
        assert "headroom_tokens_saved" in traced  # beside the savings the middleware already reported

    # One row per model call with the provider's figures (the tool results have rows of their own).
    rows = sorted((r for r in metrics.get_metrics() if r.provider == "anthropic"), key=lambda r: r.timestamp)
    assert [(r.cache_read_input_tokens, r.cache_creation_input_tokens) for r in rows] == [
        (u["cache_read_input_tokens"], u["cache_creation_input_tokens"]) for u in usages
    ]
    assert metrics.get_summary().total_cache_read_input_tokens == summary["cache_read_input_tokens"]


async def test_async_agent_reports_the_same_cache_usage(server: ProviderServer) -> None:
    middleware = HeadroomMiddleware(store=CompressionStore(), anthropic_cache_control=True)
    await _agent(server, middleware).ainvoke(
        {"messages": [("user", QUESTION)]}, config={"configurable": {"thread_id": "t"}}
    )
    bodies = server.bodies(MESSAGES)
    assert len(bodies) == 3 and all(len(_breakpoints(b)) <= 4 for b in bodies)
    _assert_stable_prefix(bodies[1], bodies[2])
    summary = middleware.get_savings_summary()["model_calls"]
    assert summary["cache_read_input_tokens"] == sum(u["cache_read_input_tokens"] for u in server.anthropic_usages)
    assert summary["cache_read_input_tokens"] > 0


def test_option_off_sends_no_breakpoints_but_still_reports_usage(server: ProviderServer) -> None:
    middleware = HeadroomMiddleware(store=CompressionStore())
    _agent(server, middleware).invoke({"messages": [("user", QUESTION)]}, config={"configurable": {"thread_id": "t"}})
    assert all("cache_control" not in json.dumps(b) for b in server.bodies(MESSAGES))
    summary = middleware.get_savings_summary()["model_calls"]
    assert summary["cache_read_input_tokens"] == 0 and summary["cache_creation_input_tokens"] == 0


def test_middleware_with_another_provider_changes_nothing_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedChatModel()
    agent = create_agent(model, [list_orders], middleware=[HeadroomMiddleware(anthropic_cache_control=True)])
    with caplog.at_level(logging.INFO, logger="headroom_integrations"):
        agent.invoke({"messages": [("user", QUESTION)]})
    assert model.calls and all("cache_control" not in json.dumps([m.content for m in c.messages]) for c in model.calls)
    assert any("anthropic_cache_control=True has no effect" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("value", [1, "yes", None])
def test_the_option_takes_only_a_bool(value: Any) -> None:
    with pytest.raises(ConfigurationError) as middleware_error:
        HeadroomMiddleware(anthropic_cache_control=value)
    assert middleware_error.value.details["field"] == "anthropic_cache_control"
    with pytest.raises(ConfigurationError) as model_error:
        HeadroomChatModel(ScriptedChatModel(), anthropic_cache_control=value)
    assert model_error.value.details["field"] == "anthropic_cache_control"


def test_misspelt_option_names_the_right_one() -> None:
    with pytest.raises(ConfigurationError, match="anthropic_cache_control"):
        HeadroomMiddleware(anthropic_cache_contrl=True)  # type: ignore[call-arg]


# --- HeadroomChatModel in a chain ---------------------------------------------------------------


def _history() -> list[BaseMessage]:
    call = {"name": "list_orders", "args": {"customer": "customer-6865"}, "id": "toolu_h1"}
    return [
        HumanMessage(QUESTION),
        AIMessage("", tool_calls=[call]),
        ToolMessage(api_json(300), tool_call_id="toolu_h1"),
    ]


def _chain(model: Any) -> Any:
    prompt = ChatPromptTemplate.from_messages([("system", SYSTEM), MessagesPlaceholder("history")])
    return prompt | model


def test_chat_model_in_a_chain_marks_the_prefix_and_reports_cache_tokens_everywhere(
    server: ProviderServer, recorder: LangSmithRecorder
) -> None:
    metrics = MetricsStore("memory://")
    model = HeadroomChatModel(
        _claude(server), store=CompressionStore(), metrics_store=metrics, anthropic_cache_control=True
    )
    chain = _chain(model.bind_tools([list_orders, refund]))
    tracer = recorder.tracer()
    history = _history()
    reply = chain.invoke({"history": history}, config={"callbacks": [tracer]})
    history += [reply, HumanMessage("And was it refunded?")]
    chain.invoke({"history": history}, config={"callbacks": [tracer]})

    first, second = server.bodies(MESSAGES)
    # The question ended the request that produced the tool call: it is marked too.
    assert _breakpoints(first) == [("tool", 1), ("system", 0), _last_block(first, 0), _last_block(first, 2)]
    assert _breakpoints(second) == [("tool", 1), ("system", 0), _last_block(second, 2), _last_block(second, 4)]
    _assert_stable_prefix(first, second)
    assert len(json.dumps(first["messages"][2])) < len(api_json(300)) / 5  # compressed, then cached

    usages = server.anthropic_usages
    assert usages[1]["cache_read_input_tokens"] == sum(
        usages[0][k] for k in ("cache_read_input_tokens", "cache_creation_input_tokens")
    )
    summary = model.get_savings_summary()
    assert summary["cache_read_input_tokens"] == usages[1]["cache_read_input_tokens"] > 0
    assert summary["cache_creation_input_tokens"] == sum(u["cache_creation_input_tokens"] for u in usages)

    llm_runs = _llm_runs(recorder.wait_for_runs(tracer))
    assert [r["extra"]["metadata"]["headroom_cache_read_input_tokens"] for r in llm_runs] == [
        u["cache_read_input_tokens"] for u in usages
    ]
    assert all(r["extra"]["metadata"]["headroom_tokens_saved"] > 0 for r in llm_runs)

    rows = sorted(metrics.get_metrics(), key=lambda r: r.timestamp)
    assert [(r.cache_read_input_tokens, r.cache_creation_input_tokens) for r in rows] == [
        (u["cache_read_input_tokens"], u["cache_creation_input_tokens"]) for u in usages
    ]
    assert {r.provider for r in rows} == {"anthropic"} and {r.integration for r in rows} == {"langchain"}


def test_streaming_reports_the_usage_of_the_last_event(server: ProviderServer) -> None:
    metrics = MetricsStore("memory://")
    model = HeadroomChatModel(
        _claude(server), store=CompressionStore(), metrics_store=metrics, anthropic_cache_control=True
    )
    for _ in range(2):
        text = "".join(str(chunk.text) for chunk in _chain(model).stream({"history": _history()}))
        assert text == "ok"
    first, second = server.bodies(MESSAGES)
    assert first["stream"] is True and _breakpoints(first) == _breakpoints(second)
    read = server.anthropic_usages[1]["cache_read_input_tokens"]
    assert read > 0 and model.get_savings_summary()["cache_read_input_tokens"] == read
    assert sorted(r.cache_read_input_tokens for r in metrics.get_metrics()) == [0, read]


async def test_async_invoke_and_astream_report_cache_tokens(server: ProviderServer) -> None:
    model = HeadroomChatModel(_claude(server), store=CompressionStore(), anthropic_cache_control=True)
    await _chain(model).ainvoke({"history": _history()})
    async for _ in _chain(model).astream({"history": _history()}):
        pass
    read = server.anthropic_usages[1]["cache_read_input_tokens"]
    assert read > 0 and model.get_savings_summary()["cache_read_input_tokens"] == read
    first, second = server.bodies(MESSAGES)
    assert json.dumps(strip_cache_control(first["messages"])) == json.dumps(strip_cache_control(second["messages"]))


def test_callers_breakpoints_count_and_the_total_stays_at_four(server: ProviderServer) -> None:
    model = HeadroomChatModel(_claude(server), store=CompressionStore(), anthropic_cache_control=True)
    own = SystemMessage([{"type": "text", "text": SYSTEM, "cache_control": EPHEMERAL}])
    history = _history()
    history[0] = HumanMessage([{"type": "text", "text": QUESTION, "cache_control": EPHEMERAL}])
    _chain(model.bind_tools([list_orders])).invoke({"history": history})
    prompt = ChatPromptTemplate.from_messages([own, MessagesPlaceholder("history")])
    (prompt | model).invoke({"history": [*history, AIMessage("It timed out."), HumanMessage("Refund it.")]})
    first, second = server.bodies(MESSAGES)
    assert len(_breakpoints(first)) == 4  # the caller's one on the question, then tool, system, last message
    assert ("message", 0, 0) in _breakpoints(first)
    # Two of the caller's own (system, question) leave two: the last message, then the previous request's end.
    assert _breakpoints(second) == [("system", 0), ("message", 0, 0), _last_block(second, 2), _last_block(second, 4)]


def test_option_off_adds_nothing_to_the_chat_models_request(server: ProviderServer) -> None:
    model = HeadroomChatModel(_claude(server), store=CompressionStore())
    _chain(model.bind_tools([list_orders])).invoke({"history": _history()})
    (body,) = server.bodies(MESSAGES)
    assert "cache_control" not in json.dumps(body)
    assert isinstance(body["system"], str)  # sent as the user wrote it


def test_chat_model_refuses_the_option_for_a_model_that_is_not_anthropic() -> None:
    with pytest.raises(ConfigurationError) as error:
        HeadroomChatModel(ScriptedChatModel(), anthropic_cache_control=True)
    assert error.value.details == {
        "field": "anthropic_cache_control",
        "value": True,
        "allowed": "True only with ChatAnthropic",
    }


def test_openai_cached_tokens_reach_the_summary_and_the_metrics(server: ProviderServer) -> None:
    server.openai_cached_tokens = 640
    metrics = MetricsStore("memory://")
    openai = ChatOpenAI(model="gpt-4o", api_key="test-key", base_url=server.openai_base_url, max_retries=0)  # type: ignore[arg-type]
    model = HeadroomChatModel(openai, store=CompressionStore(), metrics_store=metrics)
    _chain(model).invoke({"history": _history()})
    assert model.get_savings_summary()["cache_read_input_tokens"] == 640
    (row,) = metrics.get_metrics()
    assert (row.cache_read_input_tokens, row.provider) == (640, "openai")
