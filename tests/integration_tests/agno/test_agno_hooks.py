"""The tool hook compresses at the source; the post hook puts its savings on the run output."""

from __future__ import annotations

import pytest

from headroom_integrations.agno import (
    HeadroomPostHook,
    HeadroomRetrieveTools,
    HeadroomToolHook,
    headroom_tool_hook,
)
from headroom_integrations.engine.ccr.store import CompressionStore
from tests.support.fixtures import api_records
from tests.support.scripted_agno_model import ScriptedAgnoModel

from ._agents import (
    FAILURE,
    HOWS,
    LOG,
    ORDERS,
    last_ref,
    list_orders,
    make_agent,
    read_log,
    run_agent,
    session_tool_messages,
)


@pytest.mark.parametrize("how", HOWS)
async def test_tool_results_are_compressed_at_the_source(how: str) -> None:
    inner = ScriptedAgnoModel(plan=[[("list_orders", {}), ("read_log", {})]])
    hook = HeadroomToolHook(store=CompressionStore())
    agent = make_agent(inner, tool_hooks=[hook], post_hooks=[HeadroomPostHook(hook)])

    out = await run_agent(agent, how)

    sent = inner.calls[1].texts("tool")
    assert len(sent[0]) < len(ORDERS) / 10 and len(sent[1]) < len(LOG) / 10
    assert FAILURE in str(out.content)
    assert [t.result for t in out.tools] == sent == [m.content for m in session_tool_messages(agent)]
    report = out.metadata["headroom_tool_results"]
    assert report["calls"] == 2 and report["tokens_saved"] > 0 and report["refs"]
    assert out.metrics.additional_metrics["headroom_tool_results_tokens_saved"] == report["tokens_saved"]
    assert hook.get_savings_summary()["tokens_saved"] == report["tokens_saved"]


async def test_retrieved_originals_pass_through_the_hook() -> None:
    store = CompressionStore()
    inner = ScriptedAgnoModel(
        plan=[
            [("list_orders", {})],
            lambda seen: [("headroom_retrieve", {"ref": last_ref(seen)})],
        ]
    )
    hook = HeadroomToolHook(store=store)
    agent = make_agent(inner, [list_orders, HeadroomRetrieveTools(store=store)], tool_hooks=[hook])
    await run_agent(agent, "run")
    assert inner.calls[2].texts("tool")[1] == ORDERS


async def test_the_default_hooks_work_together() -> None:
    inner = ScriptedAgnoModel(plan=[[("list_orders", {})]])
    agent = make_agent(inner, tool_hooks=[headroom_tool_hook], post_hooks=[HeadroomPostHook()])
    out = await run_agent(agent, "run")
    assert out.metadata["headroom_tool_results"]["tokens_saved"] > 0


async def test_results_that_are_not_text_pass_through() -> None:
    def order_count() -> int:
        """Count the orders."""
        return 500

    inner = ScriptedAgnoModel(plan=[[("order_count", {})]])
    hook = HeadroomToolHook(store=CompressionStore())
    out = await run_agent(make_agent(inner, [order_count], tool_hooks=[hook]), "run")
    assert inner.calls[1].texts("tool") == ["500"] and out.tools[0].result == "500"
    assert hook.get_savings_summary()["calls"] == 0


async def test_json_objects_are_compressed_as_json() -> None:
    def list_records() -> list:
        """List the order records."""
        return api_records(500)

    inner = ScriptedAgnoModel(plan=[[("list_records", {})]])
    hook = HeadroomToolHook(store=CompressionStore())
    out = await run_agent(make_agent(inner, [list_records], tool_hooks=[hook]), "run")
    sent = inner.calls[1].texts("tool")[0]
    assert FAILURE in sent and "_headroom_ref" in sent and FAILURE in str(out.content)


async def test_the_hook_keeps_what_the_user_asked_about() -> None:
    inner = ScriptedAgnoModel(plan=[[("list_orders", {})]])
    agent = make_agent(inner, tool_hooks=[HeadroomToolHook(store=CompressionStore())])
    out = await run_agent(agent, "arun", question="What is the status of order 48311?")
    assert '"id": 48311' in inner.calls[1].texts("tool")[0] and "48311" in str(out.content)


@pytest.mark.parametrize("with_retrieve", [False, True])
async def test_markers_name_headroom_retrieve_only_when_the_agent_has_it(with_retrieve: bool) -> None:
    store = CompressionStore()
    inner = ScriptedAgnoModel(plan=[[("read_log", {})]])
    tools = [read_log, HeadroomRetrieveTools(store=store)] if with_retrieve else [read_log]
    agent = make_agent(inner, tools, tool_hooks=[HeadroomToolHook(store=store)])
    await run_agent(agent, "run")
    (sent,) = inner.calls[1].texts("tool")
    assert len(sent) < len(LOG) / 10 and ("headroom_retrieve" in sent) is with_retrieve
    assert store.retrieve(last_ref(inner.calls[1].messages)) in LOG  # the bare ref gets the lines back all the same
