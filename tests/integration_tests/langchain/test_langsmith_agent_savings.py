"""The recommended agent setup shows its savings in LangSmith: on the tool run and on the model runs after it.

``create_agent(model, tools, middleware=[HeadroomMiddleware()])`` compresses a tool result once, when it is
produced; the real langsmith client posts the traces to a loopback recorder and we read them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from headroom_integrations import CompressionStore, retrieve
from headroom_integrations.langchain import HeadroomChatModel, HeadroomMiddleware
from tests.support.fixtures import api_json
from tests.support.langsmith_recorder import LangSmithRecorder
from tests.support.scripted_chat_model import ScriptedChatModel

QUESTION = "Please list orders of 'customer-6865': why did order 48137 fail?"


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return api_json(300)


@pytest.fixture
def recorder() -> Iterator[LangSmithRecorder]:
    with LangSmithRecorder() as recorder:
        yield recorder


def _run(model: Any, recorder: LangSmithRecorder, store: CompressionStore) -> tuple[dict[str, Any], list[Any]]:
    agent = create_agent(
        model, [list_orders], middleware=[HeadroomMiddleware(store=store)], checkpointer=InMemorySaver()
    )
    tracer = recorder.tracer()
    state = agent.invoke(
        {"messages": [("user", QUESTION)]}, config={"configurable": {"thread_id": "t"}, "callbacks": [tracer]}
    )
    return recorder.wait_for_runs(tracer), state["messages"]


def _by_type(runs: dict[str, dict[str, Any]], run_type: str) -> list[dict[str, Any]]:
    return sorted((r for r in runs.values() if r.get("run_type") == run_type), key=lambda r: str(r.get("start_time")))


@pytest.mark.parametrize("wrap", [False, True], ids=["plain model", "HeadroomChatModel"])
def test_tool_run_and_next_model_run_carry_the_savings(recorder: LangSmithRecorder, wrap: bool) -> None:
    store = CompressionStore()
    model = HeadroomChatModel(ScriptedChatModel(), store=store) if wrap else ScriptedChatModel()
    runs, messages = _run(model, recorder, store)
    (result,) = [m for m in messages if isinstance(m, ToolMessage)]
    account = result.response_metadata["headroom"]
    assert account["tokens_saved"] > 5_000

    (tool_run,) = [r for r in _by_type(runs, "tool") if r.get("name") == "list_orders"]
    traced = tool_run["extra"]["metadata"]
    assert traced["headroom_tokens_saved"] == account["tokens_saved"]
    assert traced["headroom_tokens_before"] == account["tokens_before"]
    assert traced["headroom_transforms"] == account["transforms"]
    (ref,) = traced["headroom_refs"]
    assert "48137" in retrieve(ref, store=store)
    assert len(str(tool_run["outputs"])) < len(api_json(300)) / 5  # the traced output is the compressed one

    first, after_tool = _by_type(runs, "llm")
    assert first["extra"]["metadata"]["headroom_tokens_saved"] == 0  # nothing to save before the tool ran
    seen = after_tool["extra"]["metadata"]
    assert seen["headroom_tool_results_tokens_saved"] == account["tokens_saved"]
    assert seen["headroom_tokens_saved"] >= account["tokens_saved"]
    assert seen["headroom_tokens_before"] - seen["headroom_tokens_after"] == seen["headroom_tokens_saved"]
    assert any(t.startswith("smart_crusher:") for t in seen["headroom_transforms"])
