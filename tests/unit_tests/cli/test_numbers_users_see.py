"""What a user reads off the CLI and reports: honest prices, a simulate plan that agrees with itself, conventions."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from headroom_integrations.cli import main
from headroom_integrations.engine.history.waste import detect_waste
from headroom_integrations.engine.metrics import MetricsStore, RequestMetrics, summarize
from headroom_integrations.engine.models import price_for
from headroom_integrations.engine.simulate import simulate
from headroom_integrations.engine.tokens.tokenizer import get_tokenizer
from headroom_integrations.reports import generate_report, load_report_data
from tests.support.fixtures import api_json, tool_conversation


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _repetitive_log(lines: int = 5000) -> str:
    return "\n".join(
        f"2026-12-07T10:{i % 60:02d}:{i % 60:02d}Z INFO request {i} served GET /api/items status=200 in {i % 90} ms"
        for i in range(lines)
    )


def _record(model: str, saved: int) -> RequestMetrics:
    return RequestMetrics(f"r-{model}", 1_700_000_000.0, model, "optimize", 1000, 1000 - saved)


def test_unknown_model_has_no_price_and_no_cost_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert price_for("not-a-model") is None
    (tmp_path / "conv.json").write_text(json.dumps(tool_conversation(api_json(200))), encoding="utf-8")
    assert main(["compress", "conv.json", "--model", "not-a-model"]) == 0
    out = capsys.readouterr().out
    assert "no price for model not-a-model" in out
    assert "$" not in out
    assert main(["simulate", "conv.json", "--model", "not-a-model"]) == 0
    out = capsys.readouterr().out
    assert "no price for model not-a-model" in out and "$" not in out


def test_known_model_cost_is_flagged_as_an_estimate_with_its_date(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "conv.json").write_text(json.dumps(tool_conversation(api_json(200))), encoding="utf-8")
    assert main(["compress", "conv.json", "--model", "gpt-4o"]) == 0
    out = capsys.readouterr().out
    assert "(estimate) at gpt-4o list input prices as of 2026-11-01" in out


def test_summary_costs_only_priced_models_and_names_the_others(tmp_path: Path) -> None:
    summary = summarize([_record("gpt-4o", 400), _record("not-a-model", 300)])
    assert summary.total_cost_saved_usd == pytest.approx(400 * 2.50 / 1e6)
    assert summary.unpriced_models == ("not-a-model",)
    assert summary.by_model["not-a-model"].cost_saved_usd is None
    with MetricsStore(f"sqlite:///{tmp_path / 'm.db'}") as store:
        store.record(_record("not-a-model", 300))
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert load_report_data(url, "all").summary.total_cost_saved_usd is None
    markdown = generate_report(url, "markdown", "all")
    assert "no price" in markdown and "No price for model not-a-model" in markdown
    assert "$" not in markdown


def test_stats_names_the_models_without_a_price(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with MetricsStore(url) as store:
        store.record(_record("gpt-4o", 400))
        store.record(_record("not-a-model", 300))
    assert main(["stats", "--store", url, "--period", "all"]) == 0
    out = capsys.readouterr().out
    assert "No price for model not-a-model: its savings are not in any cost." in out
    assert "list input prices as of 2026-11-01" in out


def test_a_repetitive_log_shows_repetition_and_the_signal_covers_what_the_plan_removes() -> None:
    log = _repetitive_log()
    detected = detect_waste([{"role": "tool", "tool_call_id": "c", "content": log}], get_tokenizer("gpt-4o"))
    assert detected.repetition > 0
    messages = tool_conversation(log)
    result = simulate(messages, "gpt-4o", query="errors")
    assert result.tokens_saved > 0
    assert result.waste_signals.repetition >= result.tokens_saved
    assert result.waste_signals.total >= result.tokens_saved


def test_json_waste_covers_what_smart_crusher_removes() -> None:
    result = simulate(tool_conversation(api_json(300)), "gpt-4o", query="status")
    assert result.tokens_saved > 0
    assert result.waste_signals.json_bloat + result.waste_signals.repetition >= result.tokens_saved


def test_no_system_prompt_has_no_prefix_hash() -> None:
    assert simulate([{"role": "user", "content": "hello there"}], "gpt-4o").stable_prefix_hash is None
    with_system = simulate([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
    assert with_system.stable_prefix_hash is not None and len(with_system.stable_prefix_hash) == 64


def test_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    payload = json.dumps(tool_conversation(api_json(200))).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(payload)))
    assert main(["simulate", "-"]) == 0
    assert "tokens saved" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(_repetitive_log(50).encode())))
    assert main(["compress", "-", "--as-tool-output", "--no-metrics", "--store", "memory://"]) == 0


def test_a_raw_json_array_gets_the_as_tool_output_hint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "records.json").write_text(json.dumps([{"id": 1, "name": "a"}, {"id": 2}]), encoding="utf-8")
    assert main(["compress", "records.json"]) != 0
    assert "--as-tool-output" in capsys.readouterr().err


def test_output_file_gets_the_users_umask(tmp_path: Path) -> None:
    (tmp_path / "conv.json").write_text(json.dumps(tool_conversation(api_json(200))), encoding="utf-8")
    previous = os.umask(0o022)
    try:
        assert main(["compress", "conv.json", "-o", "out.json"]) == 0
        assert main(["compress", "conv.json", "--as-tool-output", "-o", "out.txt", "--no-metrics"]) == 0
        assert main(["report", "-o", "report.html"]) == 0
        os.umask(0o027)
        assert main(["report", "-o", "report.md"]) == 0
    finally:
        os.umask(previous)
    for name in ("out.json", "out.txt", "report.html"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o640


def test_stats_and_report_default_to_the_same_period(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from headroom_integrations.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["stats"]).period == parser.parse_args(["report"]).period == "week"
