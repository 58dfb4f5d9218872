"""Per-call savings summaries and running totals: honest in every mode, exact under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.savings import SavingsTotals, SavingsTracker, call_summary, transform_family
from tests.support.fixtures import api_json, tool_conversation

# A call that saved 900 of 1000 tokens with one transform.
SUMMARY = {"tokens_before": 1000, "tokens_after": 100, "compression_ms": 2.5, "transforms": ["smart_crusher:300->15"]}


def test_an_optimized_call_reports_what_it_saved_and_where_the_rest_is() -> None:
    result = compress(tool_conversation(api_json(300)), store=CompressionStore())
    summary = call_summary(result, sent_original=False)
    assert summary["tokens_saved"] == result.tokens_before - result.tokens_after > 0
    assert summary["potential_tokens_saved"] == summary["tokens_saved"]
    assert summary["mode"] == "optimize" and summary["refs"] == result.refs != []
    assert summary["transforms"] == result.transforms_applied


def test_a_call_that_sent_the_original_claims_no_savings() -> None:
    result = compress(tool_conversation(api_json(300)), mode="simulate")
    summary = call_summary(result, sent_original=True)
    assert summary["tokens_after"] == summary["tokens_before"] == result.tokens_before
    assert (summary["tokens_saved"], summary["savings_percent"], summary["refs"]) == (0, 0.0, [])
    assert summary["potential_tokens_saved"] > 0 and summary["mode"] == "simulate"
    assert summary["transforms"]  # what optimize would apply


def test_totals_round_trip_and_never_report_negative_savings() -> None:
    totals = SavingsTotals()
    totals.add({**SUMMARY, "tokens_after": 1200})
    data = totals.to_dict()
    assert data["tokens_saved"] == 0 and data["savings_percent"] == 0.0
    assert SavingsTotals.from_dict(data).to_dict() == data
    assert SavingsTotals.from_dict(None).to_dict()["calls"] == 0


def test_totals_count_transforms_by_family() -> None:
    totals = SavingsTotals()
    totals.add(SUMMARY)
    totals.add({**SUMMARY, "transforms": ["smart_crusher:40->4", "log:2000->80"]})
    assert totals.to_dict()["transforms"] == {"log": 1, "smart_crusher": 2}
    assert transform_family("cache_align:2") == "cache_align" and transform_family("compressed") == "compressed"


def test_tracker_totals_are_exact_under_concurrency() -> None:
    tracker = SavingsTracker()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: tracker.record_call({**SUMMARY, "potential_tokens_saved": 900}), range(1000)))
    summary = tracker.summary()
    assert (summary["calls"], summary["tokens_saved"], summary["potential_tokens_saved"]) == (1000, 900_000, 900_000)
    assert summary["savings_percent"] == 90.0 and summary["compression_ms"] == 2500.0
    assert summary["transforms"] == {"smart_crusher": 1000}
