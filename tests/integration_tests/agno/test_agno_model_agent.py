"""Real Agno agents running on HeadroomAgnoModel (offline scripted provider)."""

from __future__ import annotations

import pytest

from headroom_integrations.agno import HeadroomAgnoModel, HeadroomRetrieveTools
from headroom_integrations.engine.ccr.store import CompressionStore
from tests.support.scripted_agno_model import ScriptedAgnoModel

from ._agents import (
    FAILURE,
    HOWS,
    LOG,
    ORDERS,
    QUESTION,
    last_ref,
    list_orders,
    make_agent,
    run_agent,
    session_tool_messages,
)


def _model(plan: list, **options: object) -> tuple[HeadroomAgnoModel, ScriptedAgnoModel]:
    inner = ScriptedAgnoModel(plan=plan)
    return HeadroomAgnoModel(wrapped_model=inner, store=CompressionStore(), **options), inner


@pytest.mark.parametrize("how", HOWS)
async def test_every_hop_after_a_tool_gets_compressed_results_and_the_run_reports_it(how: str) -> None:
    model, inner = _model([[("list_orders", {"status": "failed"}), ("read_log", {"service": "worker"})]])
    agent = make_agent(model)

    out = await run_agent(agent, how)

    assert [c.streamed for c in inner.calls] == [how in ("stream", "astream")] * 2
    assert inner.calls[0].texts("tool") == []
    sent_orders, sent_log = inner.calls[1].texts("tool")
    assert len(sent_orders) < len(ORDERS) / 10 and len(sent_log) < len(LOG) / 10
    assert FAILURE in sent_orders and "ConnectionResetError" in sent_log and "_headroom_ref" in sent_orders
    assert "headroom_retrieve" not in sent_orders + sent_log  # this agent has no retrieve tool to name
    # the agent finishes with the right answer, its tools' real results and an untouched session
    assert FAILURE in str(out.content)
    assert [t.tool_args for t in out.tools] == [{"status": "failed"}, {"service": "worker"}]
    assert [t.result for t in out.tools] == [ORDERS, LOG]
    assert [m.content for m in session_tool_messages(agent)] == [ORDERS, LOG]
    # savings where Agno users look
    headroom = out.metadata["headroom"]
    extra = out.metrics.additional_metrics
    assert headroom["calls"] == extra["headroom_calls"] == 2
    assert headroom["tokens_saved"] == extra["headroom_tokens_saved"] > 0
    assert headroom["tokens_saved"] == headroom["tokens_before"] - headroom["tokens_after"]
    assert set(headroom["transforms"]) == {"smart_crusher", "log"} and headroom["refs"]
    assert model.get_savings_summary()["tokens_saved"] == headroom["tokens_saved"]


async def test_streamed_run_completed_event_carries_the_savings() -> None:
    model, _ = _model([[("list_orders", {})]])
    events = list(make_agent(model).run(QUESTION, stream=True, stream_events=True))
    completed = [e for e in events if e.event == "RunCompleted"]
    assert completed and completed[0].metadata["headroom"]["tokens_saved"] > 0


async def test_audit_mode_sends_originals_and_reports_potential_savings() -> None:
    model, inner = _model([[("list_orders", {})]], mode="audit")
    out = await run_agent(make_agent(model), "run")
    assert inner.calls[1].texts("tool") == [ORDERS]
    assert out.metadata["headroom"]["tokens_saved"] == 0
    assert out.metadata["headroom"]["potential_tokens_saved"] > 0


async def test_the_same_conversation_is_sent_byte_for_byte_the_same() -> None:
    sent = []
    for _ in range(2):
        model, inner = _model([[("list_orders", {})]])
        await run_agent(make_agent(model), "run")
        sent.append(inner.calls[1].messages)
    assert sent[0] == sent[1]


@pytest.mark.parametrize("query", ["48311", ""])
async def test_the_agent_can_retrieve_what_was_left_out(query: str) -> None:
    store = CompressionStore()
    inner = ScriptedAgnoModel(
        plan=[
            [("list_orders", {})],
            lambda seen: [("headroom_retrieve", {"ref": last_ref(seen), "query": query})],
        ]
    )
    model = HeadroomAgnoModel(wrapped_model=inner, store=store)
    agent = make_agent(model, tools=[list_orders, HeadroomRetrieveTools(store=store)])

    await run_agent(agent, "run", question="Which orders failed?")

    compressed, retrieved = inner.calls[2].texts("tool")
    assert '"id": 48311' not in compressed
    assert '"id": 48311' in retrieved
    if not query:  # a full retrieval reaches the model whole, not compressed again
        assert retrieved == ORDERS


async def test_a_long_session_is_fitted_into_the_budget_while_the_session_keeps_everything() -> None:
    inner = ScriptedAgnoModel(plan=[[("read_log", {})]])
    model = HeadroomAgnoModel(wrapped_model=inner, store=CompressionStore(), token_budget=500)
    agent = make_agent(model, add_history_to_context=True, num_history_runs=10)
    for order in range(48130, 48137):
        await run_agent(agent, "run", question=f"Did order {order} fail?")
    out = await run_agent(agent, "arun")

    first_hop = inner.calls[-2]  # the last run's first call: history plus the new question
    assert first_hop.messages[-1] == ("user", QUESTION)
    assert len(first_hop.texts("tool")) < 7 and any("omitted" in t for t in first_hop.texts("user"))
    assert "intelligent_context" in out.metadata["headroom"]["transforms"]
    assert len(session_tool_messages(agent)) == 8 and all(m.content == LOG for m in session_tool_messages(agent))
