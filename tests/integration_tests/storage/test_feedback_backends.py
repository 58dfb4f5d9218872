"""Retrieval feedback events in every metrics backend: the same events give the same learned adjustments."""

from __future__ import annotations

from pathlib import Path

import pytest

from headroom_integrations.engine.metrics import MetricsStore

EVENTS = [
    {"event": "output", "tool": "search", "key": "k1", "refs": ["r1"], "overrides": {}},
    {"event": "output", "tool": "logs", "key": "k2", "refs": ["r2"], "overrides": {}},
    {"event": "retrieval", "ref": "r1", "tool": "search", "path": "$.hits", "terms": ["sku-9"]},
    {"event": "retrieval", "ref": "r1", "tool": "search", "path": "$.hits", "terms": ["sku-9", "price"]},
]


def _learned(url: str) -> dict[str, object]:
    with MetricsStore(url) as store:
        for event in EVENTS:
            store.record_feedback(event)
    with MetricsStore(url) as reopened:  # durable: a later process reads what this one wrote
        events = reopened.feedback_events()
        assert [e["event"] for e in events] == ["retrieval", "retrieval", "output", "output"]
        assert reopened.get_summary().total_requests == 0  # feedback events are not request records
        return reopened.get_summary().learned_adjustments


@pytest.mark.parametrize("scheme", ["sqlite", "jsonl", "postgres"])
def test_every_backend_keeps_feedback_events_and_learns_the_same(
    scheme: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    urls = {"sqlite": f"sqlite:///{tmp_path / 'm.db'}", "jsonl": f"jsonl:///{tmp_path / 'm.jsonl'}"}
    url = request.getfixturevalue("postgres_url") if scheme == "postgres" else urls[scheme]
    learned = _learned(url)
    assert learned == _learned(f"sqlite:///{tmp_path / 'reference.db'}")
    assert learned["search"]["factor"] == 4 and learned["search"]["keep_terms"] == ["sku-9", "price"]
    assert "logs" not in learned  # no retrievals, nothing to show
    if scheme == "jsonl":
        assert (tmp_path / "m.feedback.jsonl").exists()  # beside the request records, not among them
