"""Record kinds: validated, kept by every file backend, defaulted for old rows, totalled apart."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.errors import ConfigurationError, ValidationError
from headroom_integrations.engine.metrics import RECORD_KINDS, MetricsStore, RequestMetrics, summarize
from tests.support.fixtures import api_json

QUESTION = "Why did order 48137 fail?"


def _row(i: int, kind: str, before: int, after: int) -> RequestMetrics:
    return RequestMetrics(f"r{i}", 1_700_000_000.0 + i, "gpt-4o", "optimize", before, after, kind=kind)  # type: ignore[arg-type]


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        _row(0, "tool", 10, 5)
    assert info.value.details["field"] == "RequestMetrics.kind"
    with pytest.raises(ConfigurationError) as error:
        compress([{"role": "user", "content": "hi"}], record_kind="tool")  # type: ignore[arg-type]
    assert error.value.details["allowed"] == list(RECORD_KINDS)


@pytest.mark.parametrize("scheme", ["sqlite", "jsonl"])
def test_every_file_backend_keeps_the_kind(tmp_path: Path, scheme: str) -> None:
    url = f"{scheme}:///{tmp_path / 'metrics'}"
    with MetricsStore(url) as store:
        store.record(_row(1, "tool_result", 1000, 100))
        store.record(_row(2, "model_call", 500, 400))
    with MetricsStore(url) as store:
        assert sorted(r.kind for r in store.get_metrics()) == ["model_call", "tool_result"]


def test_rows_written_before_kinds_existed_read_as_model_calls(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with MetricsStore(f"sqlite:///{path}") as store:
        store.record(_row(1, "tool_result", 1000, 100))
    old = _row(0, "model_call", 800, 200).to_dict()
    del old["kind"]  # what an earlier version wrote
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO metrics_requests (timestamp, data) VALUES (?, ?)", (old["timestamp"], json.dumps(old))
        )
    with MetricsStore(f"sqlite:///{path}") as store:
        summary = store.get_summary()
    assert summary.by_kind["model_call"].total_tokens_saved == 600
    assert summary.by_kind["tool_result"].total_tokens_saved == 900
    assert summary.total_tokens_saved == 600


def test_engine_rows_say_which_kind_they_are() -> None:
    store = MetricsStore("memory://")
    tool = [{"role": "tool", "tool_call_id": "c1", "name": "list_orders", "content": api_json(200)}]
    compress(tool, query=QUESTION, metrics_store=store, record_kind="tool_result")
    conversation = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Looking."}]
    compress(conversation + tool, metrics_store=store)
    assert sorted(r.kind for r in store.get_metrics()) == ["model_call", "tool_result"]


_rows = st.lists(st.tuples(st.sampled_from(RECORD_KINDS), st.integers(0, 10_000), st.integers(0, 10_000)), max_size=30)


@given(_rows)
def test_totals_are_never_added_across_kinds(rows: list[tuple[str, int, int]]) -> None:
    records = [_row(i, kind, before, after) for i, (kind, before, after) in enumerate(rows)]
    summary = summarize(records)
    assert summary.total_records == len(records)
    for kind, totals in summary.by_kind.items():
        mine = [r for r in records if r.kind == kind]
        assert totals.total_requests == len(mine)
        assert totals.total_tokens_before == sum(r.tokens_before for r in mine)
        assert totals.total_tokens_saved == sum(r.tokens_saved for r in mine)
        assert totals.by_kind == {}
    calls = [r for r in records if r.kind == "model_call"]
    assert summary.total_tokens_before == sum(r.tokens_before for r in calls)
    assert summary.total_requests == len(calls)
    assert list(summary.by_kind) == [k for k in RECORD_KINDS if any(r.kind == k for r in records)]
