"""simulate(): the same plan as compress(), plus diagnostics, and no side effects."""

from __future__ import annotations

from headroom_integrations import CompressionStore, compress, get_default_store, set_default_store, simulate
from tests.support.fixtures import api_json, tool_conversation

SYSTEM = {
    "role": "system",
    "content": (
        "You are a support agent. Be brief.\nToday is 2026-11-21. Request id 3f2a9c1e-1111-2222-3333-444455556666."
    ),
}


def test_simulate_matches_compress_and_writes_nothing() -> None:
    previous = get_default_store()
    fresh = CompressionStore()
    set_default_store(fresh)
    try:
        messages = [SYSTEM, *tool_conversation(api_json(300))[1:]]
        plan = simulate(messages)
        assert len(fresh) == 0
        done = compress(messages, store=CompressionStore())
        assert (plan.tokens_before, plan.tokens_after, plan.transforms) == (
            done.tokens_before,
            done.tokens_after,
            done.transforms_applied,
        )
        assert plan.refs == done.refs
    finally:
        set_default_store(previous)


def test_simulate_reports_where_tokens_sit_and_what_is_wasted() -> None:
    messages = [SYSTEM, *tool_conversation(api_json(300))[1:]]
    plan = simulate(messages)
    assert plan.messages_optimized == 1
    assert plan.block_breakdown["tool:json"]["tokens"] > 0.9 * plan.tokens_before
    assert plan.waste_signals.json_bloat > 0 and plan.waste_signals.dynamic_dates > 0
    assert len(plan.stable_prefix_hash) == 64
    assert 0 < plan.cache_alignment_score < 1
    assert "%" in plan.estimated_savings and "$" in plan.estimated_savings


def test_stable_prefix_hash_ignores_dynamic_values() -> None:
    other_day = {**SYSTEM, "content": SYSTEM["content"].replace("2026-11-21", "2026-11-22")}
    a = simulate([SYSTEM, {"role": "user", "content": "hi"}])
    b = simulate([other_day, {"role": "user", "content": "hi"}])
    assert a.stable_prefix_hash == b.stable_prefix_hash
    assert simulate([{"role": "user", "content": "hi"}]).cache_alignment_score == 1.0
