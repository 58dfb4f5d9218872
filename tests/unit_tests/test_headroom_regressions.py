"""Bugs found by running Headroom's own unit tests against this package; each stays fixed."""

from __future__ import annotations

import json

import pytest

from headroom_integrations import (
    CacheAligner,
    CompressionStore,
    SmartCrusher,
    SmartCrusherConfig,
    TransformPipeline,
    compress,
    retrieve,
)


@pytest.mark.parametrize("position", [0, 1, 7, 14, 15, 22, 28, 29])
@pytest.mark.parametrize("query", ["", "metric values", "id 3"])
@pytest.mark.parametrize(("max_items", "keep_first", "keep_last"), [(15, 3, 2), (5, 3, 2), (6, 1, 1), (3, 0, 0)])
def test_a_numeric_spike_among_near_identical_rows_is_always_kept(
    position: int, query: str, max_items: int, keep_first: int, keep_last: int
) -> None:
    rows = [{"id": i, "metric": 100 + 0.1 * i} for i in range(30)]
    rows[position]["metric"] = 500.0
    config = SmartCrusherConfig(max_items_after_crush=max_items, keep_first=keep_first, keep_last=keep_last)
    result = SmartCrusher(config).crush(json.dumps(rows), query, store=CompressionStore(url="memory://"))
    assert result.was_modified
    assert {"id": position, "metric": 500.0} in json.loads(result.compressed)


@pytest.mark.parametrize("position", [0, 9, 20, 39])
@pytest.mark.parametrize("where", ["level", "message"])
def test_critical_counts_as_an_error_signal(position: int, where: str) -> None:
    rows = [{"id": i, "level": "info", "message": f"request {i} served"} for i in range(40)]
    if where == "level":
        rows[position]["level"] = "critical"
    else:
        rows[position]["message"] = f"critical: disk pressure on node {position}"
    result = SmartCrusher().crush(json.dumps(rows), "", store=CompressionStore(url="memory://"))
    assert result.was_modified and rows[position] in json.loads(result.compressed)


@pytest.mark.parametrize(
    "static",
    ["You are the assistant of Team A.", "Use plan B.", "Report to Dr. Smith.", "Ask John F."],
)
def test_static_text_before_a_current_date_stays_in_the_stable_prefix(static: str) -> None:
    system = f"{static} Current date: 2025-06-02. Be brief."
    aligned = CacheAligner().align([{"role": "system", "content": system}]).messages[0]["content"]
    stable, tail = aligned.split("\n\n[Dynamic context]\n")
    assert stable == f"{static} Be brief."
    assert tail == "Current date: 2025-06-02."
    tomorrow = CacheAligner().align([{"role": "system", "content": system.replace("02.", "03.")}])
    assert tomorrow.messages[0]["content"].split("\n\n[Dynamic context]\n")[0] == stable


def test_smart_crusher_is_a_transform_of_the_pipeline() -> None:
    rows = [{"id": i, "name": f"item {i}", "status": "ok"} for i in range(100)]
    messages = [
        {"role": "user", "content": "find item 42"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "search", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": json.dumps(rows)},
    ]
    store = CompressionStore(url="memory://")
    result = TransformPipeline([SmartCrusher()]).transform(messages, store=store)
    assert result.transforms_applied == ["smart_crusher:100->3"] and not result.warnings
    kept = json.loads(result.messages[2]["content"])
    assert {"id": 42, "name": "item 42", "status": "ok"} in kept
    assert '"item 77"' in retrieve(result.refs[0], store=store)
    assert result.messages[:2] == messages[:2] and result.timing["smart_crusher"] >= 0
    same = compress(messages, store=CompressionStore(url="memory://"))
    assert same.messages[2]["content"] == result.messages[2]["content"]
