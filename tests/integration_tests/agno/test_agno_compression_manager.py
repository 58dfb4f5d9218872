"""Headroom in Agno's own compression slot: compressed_content for the model, originals in the session."""

from __future__ import annotations

import pytest

from headroom_integrations.agno import HeadroomAgnoModel, HeadroomCompressionManager, compression
from headroom_integrations.engine.ccr.store import CompressionStore
from tests.support.scripted_agno_model import ScriptedAgnoModel

from ._agents import FAILURE, HOWS, LOG, ORDERS, make_agent, run_agent, session_tool_messages

PLAN = [[("list_orders", {}), ("read_log", {})]]


@pytest.mark.parametrize("how", HOWS)
async def test_the_manager_compresses_each_new_result_before_the_next_hop(how: str) -> None:
    inner = ScriptedAgnoModel(plan=PLAN)
    manager = HeadroomCompressionManager(store=CompressionStore())
    agent = make_agent(inner, compress_tool_results=True, compression_manager=manager)

    out = await run_agent(agent, how)

    assert len(inner.calls) == 2  # no LLM call of its own: only the agent's two hops
    sent_orders, sent_log = inner.calls[1].texts("tool")
    assert len(sent_orders) < len(ORDERS) / 10 and len(sent_log) < len(LOG) / 10
    assert FAILURE in sent_orders and FAILURE in str(out.content)
    stored = session_tool_messages(agent)
    assert [m.content for m in stored] == [ORDERS, LOG]
    assert [m.compressed_content for m in stored] == [sent_orders, sent_log]
    extra = out.metrics.additional_metrics
    assert extra["headroom_tool_results_tokens_saved"] > 0
    summary = manager.get_savings_summary()
    assert summary["tokens_saved"] == extra["headroom_tool_results_tokens_saved"]
    assert summary["transforms"] == {"log": 1, "smart_crusher": 1}
    assert manager.stats["tool_results_compressed"] == 2
    assert manager.stats["compressed_size"] == len(sent_orders) + len(sent_log)


async def test_small_results_are_left_alone_and_not_redone_every_hop() -> None:
    def ping() -> str:
        """Ping the service."""
        return "pong"

    inner = ScriptedAgnoModel(plan=[[("ping", {})], [("ping", {})]])
    manager = HeadroomCompressionManager(store=CompressionStore())
    out = await run_agent(make_agent(inner, [ping], compress_tool_results=True, compression_manager=manager), "run")

    assert inner.calls[2].texts("tool") == ["pong", "pong"]
    assert manager.get_savings_summary()["calls"] == 2  # one per new result, none for the old one
    assert out.metrics.additional_metrics["headroom_tool_results_tokens_saved"] == 0


async def test_audit_mode_measures_without_touching_the_results() -> None:
    inner = ScriptedAgnoModel(plan=PLAN)
    manager = HeadroomCompressionManager(mode="audit", store=CompressionStore())
    agent = make_agent(inner, compress_tool_results=True, compression_manager=manager)
    out = await run_agent(agent, "run")
    assert inner.calls[1].texts("tool") == [ORDERS, LOG]
    assert all(m.compressed_content is None for m in session_tool_messages(agent))
    assert out.metrics.additional_metrics["headroom_tool_results_potential_tokens_saved"] > 0


async def test_with_the_wrapped_model_the_manager_output_is_not_squeezed_twice() -> None:
    inner = ScriptedAgnoModel(plan=PLAN)
    model = HeadroomAgnoModel(wrapped_model=inner, store=CompressionStore())
    manager = HeadroomCompressionManager(store=CompressionStore())
    out = await run_agent(make_agent(model, compress_tool_results=True, compression_manager=manager), "run")
    assert inner.calls[1].texts("tool") == [m.compressed_content for m in out.messages if m.role == "tool"]
    assert out.metadata["headroom"]["transforms"] == {}


async def test_agno_thresholds_apply_when_set() -> None:
    inner = ScriptedAgnoModel(plan=[[("list_orders", {})]])
    manager = HeadroomCompressionManager(compress_tool_results_limit=2, store=CompressionStore())
    await run_agent(make_agent(inner, compress_tool_results=True, compression_manager=manager), "run")
    assert inner.calls[1].texts("tool") == [ORDERS]  # one result is below the limit of two


async def test_the_manager_keeps_what_the_user_asked_about() -> None:
    inner = ScriptedAgnoModel(plan=[[("list_orders", {})]])
    manager = HeadroomCompressionManager(store=CompressionStore())
    agent = make_agent(inner, compress_tool_results=True, compression_manager=manager)
    out = await run_agent(agent, "run", question="What is the status of order 48311?")
    assert '"id": 48311' in inner.calls[1].texts("tool")[0] and "48311" in str(out.content)


async def test_an_engine_failure_sends_the_originals(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(compression, "compress_tool_outputs", broken)
    inner = ScriptedAgnoModel(plan=PLAN)
    manager = HeadroomCompressionManager(store=CompressionStore())
    out = await run_agent(make_agent(inner, compress_tool_results=True, compression_manager=manager), "run")
    assert inner.calls[1].texts("tool") == [ORDERS, LOG] and FAILURE in str(out.content)


async def test_a_tool_profile_keeps_one_tools_results_as_they_are() -> None:
    inner = ScriptedAgnoModel(plan=PLAN)
    manager = HeadroomCompressionManager(
        store=CompressionStore(), tool_profiles={"list_orders": {"skip_compression": True}}
    )
    await run_agent(make_agent(inner, compress_tool_results=True, compression_manager=manager), "run")
    sent_orders, sent_log = inner.calls[1].texts("tool")
    assert sent_orders == ORDERS and len(sent_log) < len(LOG) / 10
