"""Typed savings and running totals: honest in every mode, real per-tool numbers, exact under concurrency."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.savings import PartSavings, Savings, SavingsTotals, SavingsTracker, describe_transform
from tests.support.fixtures import api_json, app_log

# A call that saved 900 of 1000 tokens with one transform.
SAVED = Savings(
    mode="optimize", tokens_before=1000, tokens_after=100, compression_ms=2.5, transforms=("smart_crusher:300->15",)
)


def _two_tools(rows: int = 300, lines: int = 1500) -> list[dict[str, object]]:
    return [
        {"role": "user", "content": "Why did order 48137 fail?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "list_orders", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "read_log", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": api_json(rows)},
        {"role": "tool", "tool_call_id": "b", "content": app_log(lines)},
    ]


def test_an_optimized_call_reports_what_it_saved_and_where_the_rest_is() -> None:
    result = compress(_two_tools(), store=CompressionStore())
    savings = result.savings
    assert savings.tokens_saved == result.tokens_before - result.tokens_after > 0
    assert savings.potential_tokens_saved == savings.tokens_saved
    assert savings.mode == "optimize" and list(savings.refs) == result.refs != []
    assert list(savings.transforms) == result.transforms_applied
    assert (savings.messages_before, savings.messages_after) == (4, 4)


def test_per_tool_numbers_are_each_tools_own() -> None:
    result = compress(_two_tools(), store=CompressionStore())
    tools = {part.name: part for part in result.savings.tools}
    assert set(tools) == {"list_orders", "read_log"}
    reports = {r.tool_name: r for r in result.message_reports}
    for name, part in tools.items():
        assert (part.tokens_before, part.tokens_after) == (reports[name].tokens_before, reports[name].tokens_after)
        assert part.parts == 1 and part.tokens_saved > 0
    assert tools["list_orders"].families == ("smart_crusher",)
    assert tools["list_orders"].items_before == 300 > tools["list_orders"].items_after
    # The tools' own savings add up to no more than the request saved.
    assert sum(p.tokens_saved for p in tools.values()) <= result.tokens_before - result.tokens_after + 50


def test_a_call_that_sent_the_original_claims_no_savings() -> None:
    savings = compress(_two_tools(), mode="simulate").savings
    assert savings.tokens_after == savings.tokens_before
    assert (savings.tokens_saved, savings.savings_percent, savings.refs, savings.tools) == (0, 0.0, (), ())
    assert savings.potential_tokens_saved > 0 and savings.mode == "simulate"
    assert savings.transforms  # what optimize would apply


def test_savings_round_trip_through_json() -> None:
    savings = compress(_two_tools(), store=CompressionStore()).savings
    data = json.loads(json.dumps(savings.to_dict()))
    back = Savings.from_dict(data)
    assert back.to_dict() == savings.to_dict()
    assert back.tools == savings.tools


def test_transforms_are_described_in_one_place() -> None:
    assert describe_transform("smart_crusher:412->15") == ("smart_crusher", 412, 15)
    assert describe_transform("cache_align:2") == ("cache_align", None, None)
    assert describe_transform("compressed") == ("compressed", None, None)


def test_totals_round_trip_and_never_report_negative_savings() -> None:
    totals = SavingsTotals()
    totals.add(Savings(mode="optimize", tokens_before=1000, tokens_after=1200))
    data = totals.to_dict()
    assert data["tokens_saved"] == 0 and data["savings_percent"] == 0.0
    assert SavingsTotals.from_dict(data).to_dict() == data
    assert SavingsTotals.from_dict(None).to_dict()["calls"] == 0


def test_totals_count_transforms_by_family_and_tools_by_name() -> None:
    totals = SavingsTotals()
    part = PartSavings("list_orders", 1, 500, 50, 300, 15, ("smart_crusher",))
    totals.add(
        Savings(mode="optimize", tokens_before=1000, tokens_after=100, transforms=SAVED.transforms, tools=(part,))
    )
    totals.add(
        Savings(
            mode="optimize",
            tokens_before=1000,
            tokens_after=100,
            transforms=("smart_crusher:40->4", "log:2000->80"),
            tools=(part,),
        )
    )
    data = totals.to_dict()
    assert data["transforms"] == {"log": 1, "smart_crusher": 2}
    assert data["tools"]["list_orders"]["tokens_saved"] == 900 and data["tools"]["list_orders"]["parts"] == 2


def test_tracker_totals_are_exact_under_concurrency() -> None:
    tracker = SavingsTracker()
    one = Savings(
        mode="optimize",
        tokens_before=1000,
        tokens_after=100,
        potential_tokens_saved=900,
        compression_ms=2.5,
        transforms=SAVED.transforms,
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: tracker.record(one), range(1000)))
    summary = tracker.summary()
    assert (summary["calls"], summary["tokens_saved"], summary["potential_tokens_saved"]) == (1000, 900_000, 900_000)
    assert summary["savings_percent"] == 90.0 and summary["compression_ms"] == 2500.0
    assert summary["transforms"] == {"smart_crusher": 1000}
