"""Savings land in the run output additively, without touching shared metadata."""

from __future__ import annotations

from dataclasses import replace

from agno.metrics import RunMetrics
from agno.run.agent import RunOutput

from headroom_integrations.agno._savings import attach_to_run
from headroom_integrations.engine.savings import Savings

SUMMARY = Savings(
    mode="optimize",
    tokens_before=1000,
    tokens_after=100,
    potential_tokens_saved=900,
    compression_ms=2.5,
    transforms=("smart_crusher:300->15",),
    refs=("r1",),
)


def test_two_calls_add_up_in_metrics_and_metadata() -> None:
    shared = {"team": "support"}
    run = RunOutput(run_id="r", metadata=shared, metrics=RunMetrics())
    attach_to_run(run, SUMMARY, "model")
    attach_to_run(run, replace(SUMMARY, transforms=("log:2000->80",), refs=("r2", "r1")), "model")

    assert shared == {"team": "support"}  # Agno may share this dict with the agent
    assert run.metadata["team"] == "support"
    headroom = run.metadata["headroom"]
    assert headroom["calls"] == 2 and headroom["tokens_saved"] == 1800 and headroom["savings_percent"] == 90.0
    assert headroom["transforms"] == {"log": 1, "smart_crusher": 1} and headroom["refs"] == ["r1", "r2"]
    assert run.metrics.additional_metrics == {
        "headroom_calls": 2,
        "headroom_tokens_before": 2000,
        "headroom_tokens_after": 200,
        "headroom_tokens_saved": 1800,
        "headroom_potential_tokens_saved": 1800,
    }


def test_scopes_stay_apart_and_agno_sums_runs() -> None:
    first, second = RunOutput(metrics=RunMetrics()), RunOutput(metrics=RunMetrics())
    attach_to_run(first, SUMMARY, "tool_results")
    attach_to_run(second, SUMMARY, "model")
    total = first.metrics + second.metrics
    assert total.additional_metrics["headroom_tool_results_tokens_saved"] == 900
    assert total.additional_metrics["headroom_tokens_saved"] == 900
