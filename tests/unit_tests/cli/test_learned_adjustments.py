"""``stats`` (table and ``--json``) and the report show what retrievals taught, per tool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom_integrations import CompressionStore, MetricsStore, compress
from headroom_integrations.cli import main
from headroom_integrations.engine.ccr.store import retrieve
from headroom_integrations.reports import generate_report
from tests.support.fixtures import api_json, tool_conversation


@pytest.fixture
def metrics_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'headroom.db'}"
    store = CompressionStore()
    with MetricsStore(url) as metrics:
        result = compress(tool_conversation(api_json(300)), store=store, metrics_store=metrics)
        for _ in range(3):
            retrieve(result.refs[0], "declined", store=store, metrics_store=metrics)
    return url


def test_stats_show_the_learned_adjustments(metrics_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--store", metrics_url]) == 0
    out = capsys.readouterr().out
    assert "Learned adjustments (from headroom_retrieve calls)" in out
    assert "list_orders" in out and "4x item budget; items with declined" in out
    assert main(["stats", "--store", metrics_url, "--json"]) == 0
    learned = json.loads(capsys.readouterr().out)["summary"]["learned_adjustments"]["list_orders"]
    assert sorted(learned) == [
        "factor",
        "keep_terms",
        "keeps_more",
        "outputs",
        "paths",
        "rate",
        "retrievals",
        "tool",
        "window",
    ]
    assert (learned["retrievals"], learned["outputs"], learned["rate"], learned["window"]) == (3, 1, 3.0, 50)


def test_the_report_has_a_learned_adjustments_table(metrics_url: str) -> None:
    markdown = generate_report(metrics_url, "markdown")
    assert "## Learned adjustments (from headroom_retrieve calls)" in markdown
    assert "list_orders" in markdown.split("## Learned adjustments")[1]
    assert "Learned adjustments" in generate_report(metrics_url, "html")
