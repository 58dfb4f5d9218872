"""The retrieval feedback loop's rules: what is learned, its window, threshold and bounds, and the switches."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headroom_integrations.engine import compress
from headroom_integrations.engine.ccr.store import CompressionStore, retrieve
from headroom_integrations.engine.compressors.json.smart_crusher import SmartCrusher
from headroom_integrations.engine.config import HeadroomConfig, SmartCrusherConfig
from headroom_integrations.engine.feedback import (
    MAX_FACTOR,
    MAX_ITEMS,
    MAX_TERMS,
    MIN_RETRIEVALS,
    RATE_THRESHOLD,
    WINDOW_OUTPUTS,
    LearnedAdjustment,
    budget_factor,
    learn,
    query_terms,
)
from headroom_integrations.engine.metrics import MetricsStore


def _output(tool: str, n: int) -> dict[str, Any]:
    return {"event": "output", "tool": tool, "key": f"{tool}-{n}", "refs": [f"{tool}-ref-{n}"], "overrides": {}}


def _retrieval(ref: str, *terms: str) -> dict[str, Any]:
    return {"event": "retrieval", "ref": ref, "tool": None, "path": "$.items", "terms": list(terms)}


def test_query_terms_keep_the_words_that_pick_items_out() -> None:
    assert query_terms("show the items with status BACKORDER, sku 'SKU-0042'") == (
        "status",
        "BACKORDER",
        "sku",
        "SKU-0042",
    )
    assert query_terms(None) == () and query_terms("an id of 42") == ()
    assert len(query_terms(" ".join(f"word{i}" for i in range(30)))) == MAX_TERMS


def test_the_budget_grows_in_documented_steps_only_past_the_threshold() -> None:
    assert budget_factor(10.0, MIN_RETRIEVALS - 1) == 1  # one retrieval is no pattern
    assert budget_factor(RATE_THRESHOLD - 0.01, 100) == 1
    assert budget_factor(RATE_THRESHOLD, MIN_RETRIEVALS) == 2
    assert budget_factor(2 * RATE_THRESHOLD, MIN_RETRIEVALS) == 3
    assert budget_factor(1000.0, MIN_RETRIEVALS) == MAX_FACTOR


@given(st.floats(0, 1e6, allow_nan=False), st.integers(0, 10_000), st.integers(1, 10_000))
def test_adjustments_are_bounded_and_never_keep_less(rate: float, retrievals: int, base_items: int) -> None:
    factor = budget_factor(rate, retrievals)
    assert 1 <= factor <= MAX_FACTOR
    assert budget_factor(rate * 2, retrievals) >= factor  # monotone in the rate
    adjustment = LearnedAdjustment("t", 1, retrievals, rate, factor, ("x",))
    base = SmartCrusherConfig(max_items_after_crush=base_items, keep_first=0, keep_last=0)
    overrides = adjustment.overrides(base)
    if factor == 1:
        assert overrides == {}
    else:
        assert base_items <= overrides["max_items_after_crush"] <= max(base_items, MAX_ITEMS)
        assert overrides["keep_terms"] == ["x"]


def test_the_rate_is_measured_over_the_tools_last_outputs_only() -> None:
    old = [_output("search", n) for n in range(WINDOW_OUTPUTS, WINDOW_OUTPUTS + 40)]  # older than the window
    recent = [_output("search", n) for n in range(WINDOW_OUTPUTS)]
    # Newest first, as the store returns them: retrievals of outdated refs do not count.
    events = [_retrieval("search-ref-0", "sku")] * 30 + [_retrieval(o["refs"][0]) for o in old] + recent + old
    learned = learn(events)["search"]
    assert (learned.outputs, learned.retrievals) == (WINDOW_OUTPUTS, 30)
    assert learned.rate == pytest.approx(30 / WINDOW_OUTPUTS) and learned.factor == 2
    assert learned.keep_terms == ("sku",) and learned.paths == ("$.items",)


def test_terms_are_ranked_by_how_often_they_were_asked_for_and_outputs_counted_once() -> None:
    events = [
        _retrieval("t-ref-1", "rare"),
        _retrieval("t-ref-1", "often", "often"),
        _retrieval("t-ref-1", "often"),
        _retrieval("elsewhere", "ignored"),
        _output("t", 1),
        _output("t", 1),  # the same output compressed twice is one output
    ]
    learned = learn(events)["t"]
    assert learned.outputs == 1 and learned.retrievals == 3 and learned.keep_terms == ("often", "rare")
    assert learn(list(events)) == learn(events)  # a pure function of the events


def test_keep_terms_keep_the_items_that_hold_them() -> None:
    items = [{"id": i, "state": "held" if i % 10 == 7 else "ok", "note": f"row {i}"} for i in range(100)]
    text = json.dumps(items)
    plain = SmartCrusher(SmartCrusherConfig()).crush(text, store=CompressionStore())
    kept = SmartCrusher(SmartCrusherConfig(keep_terms=["held"])).crush(text, store=CompressionStore())
    assert plain.compressed.count('"held"') < 10 == kept.compressed.count('"held"')
    # A term most items hold picks nothing out and keeps nothing extra.
    broad = SmartCrusher(SmartCrusherConfig(keep_terms=["row"])).crush(text, store=CompressionStore())
    assert broad.compressed == plain.compressed


def _tool_conversation(tool: str, call_id: str, rows: int = 80) -> list[dict[str, Any]]:
    items = [{"id": i, "state": "held" if i % 8 == 3 else "ok", "owner": f"team-{i % 5}"} for i in range(rows)]
    call = {"id": call_id, "type": "function", "function": {"name": tool, "arguments": "{}"}}
    return [
        {"role": "user", "content": "what is in the queue?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "name": tool, "content": json.dumps(items)},
    ]


def _taught(metrics: MetricsStore, store: CompressionStore, tool: str) -> None:
    result = compress(_tool_conversation(tool, f"{tool}-first"), metrics_store=metrics, store=store)
    for _ in range(3):
        retrieve(result.refs[0], "held", store=store, metrics_store=metrics)


def test_a_tool_profile_can_turn_the_hints_off_for_one_tool() -> None:
    metrics, store = MetricsStore("memory://"), CompressionStore()
    _taught(metrics, store, "queue")
    profiles = {"queue": {"use_feedback_hints": False}}
    off = compress(_tool_conversation("queue", "q2"), metrics_store=metrics, store=store, tool_profiles=profiles)
    on = compress(_tool_conversation("queue", "q3"), metrics_store=metrics, store=store)
    base = compress(_tool_conversation("queue", "q4"), store=store)  # no metrics store: nothing learned
    assert off.messages[2]["content"] == base.messages[2]["content"] != on.messages[2]["content"]
    assert on.messages[2]["content"].count('"held"') == 10


def test_audit_mode_applies_what_was_learned_but_records_nothing() -> None:
    metrics, store = MetricsStore("memory://"), CompressionStore()
    _taught(metrics, store, "queue")
    before = metrics.feedback_events()
    audit = compress(_tool_conversation("queue", "a1"), metrics_store=metrics, store=store, mode="audit")
    assert audit.messages[2]["content"] == _tool_conversation("queue", "a1")[2]["content"]  # the original goes out
    assert metrics.feedback_events() == before


def test_the_switches_are_honoured_options_now() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = HeadroomConfig(smart_crusher={"use_feedback_hints": False}, ccr={"feedback_enabled": False})
    assert config.smart_crusher.use_feedback_hints is False and config.ccr.feedback_enabled is False


def test_record_feedback_rejects_what_is_not_an_event() -> None:
    from headroom_integrations.engine.errors import ValidationError

    with MetricsStore("memory://") as metrics, pytest.raises(ValidationError):
        metrics.record_feedback({"event": "something else"})
