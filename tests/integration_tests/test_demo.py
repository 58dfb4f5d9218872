"""The offline demo (``make demo``) does what the README promises, with only the demo's extras."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from headroom_integrations.demo import main
from headroom_integrations.demo.agno_agent import run_agno_agent
from headroom_integrations.demo.agno_model import ScriptedAgnoModel
from headroom_integrations.demo.langchain_agent import run_langchain_agent
from headroom_integrations.demo.langchain_model import ScriptedChatModel
from headroom_integrations.demo.outcome import AgentRun
from headroom_integrations.demo.scenario import (
    BUILD_ID,
    CAUSE_ISSUE,
    FAILURE_LINE,
    QUERIED_SKU,
    REPO,
    get_ci_log,
    issue_record,
    list_issues,
    search_products,
)
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.metrics import MetricsStore

REPO_ROOT = Path(__file__).resolve().parents[2]
# `make demo` installs only the langchain and agno extras: no torch, no embedding model, no test tools.
_WITHOUT_TEST_EXTRAS = (
    "import sys; sys.modules.update(torch=None, sentence_transformers=None, langchain_tests=None); "
    "from headroom_integrations.demo import main; rc = main(sys.argv[1:]); "
    "assert not any(m == 'tests' or m.startswith('tests.') for m in sys.modules), 'demo imported tests/'; "
    "raise SystemExit(rc)"
)
_ROW = re.compile(r"^(tool \w+|model call \d+)\s+([\d,]+)\s+([\d,]+)\s+", re.MULTILINE)


def _rows(section: str) -> dict[str, tuple[int, int]]:
    return {m[1]: (int(m[2].replace(",", "")), int(m[3].replace(",", ""))) for m in _ROW.finditer(section)}


def _without_paths(text: str, out: Path) -> str:
    return text.replace(str(out), "<out>")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TEST_EXTRAS, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    return out, done


def test_demo_runs_offline_without_test_extras_and_saves_most_tool_tokens(demo_run) -> None:
    out, done = demo_run
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    langchain, agno = done.stdout.split("Agno: Agent + HeadroomAgnoModel")
    tools = {k: v for k, v in _rows(langchain).items() if k.startswith("tool ") and k != "tool headroom_retrieve"}
    assert set(tools) == {"tool search_products", "tool get_ci_log", "tool list_issues"}
    for name, (before, after) in tools.items():
        assert after < before / 2, name
    assert sum(a for _, a in tools.values()) < sum(b for b, _ in tools.values()) / 2
    calls = _rows(agno)
    assert len(calls) == 5
    assert sum(a for _, a in calls.values()) < sum(b for b, _ in calls.values()) / 2
    assert "FAILED" not in done.stdout  # every check of the demo held


def test_demo_records_metrics_and_writes_the_report(demo_run) -> None:
    out, done = demo_run
    with sqlite3.connect(out / "headroom_metrics.db") as conn:
        rows = [json.loads(data) for (data,) in conn.execute("SELECT data FROM metrics_requests")]
    assert {r["integration"] for r in rows} == {"langchain", "agno"}
    assert sum(r["tokens_before"] - r["tokens_after"] for r in rows) > 100_000
    report = out / "headroom_report.html"
    assert f"report: {report}" in done.stdout
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "search_products" in page


def test_demo_output_is_deterministic(demo_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first_out, first = demo_run
    assert main(["--out", str(tmp_path)]) == 0
    second = capsys.readouterr().out
    assert _without_paths(second, tmp_path) == _without_paths(first.stdout, first_out)


def _check_what_the_model_received(run: AgentRun) -> None:
    assert run.sent_tool_results is not None
    sent = "\n".join(run.sent_tool_results)
    raw = search_products(QUERIED_SKU) + get_ci_log(BUILD_ID) + list_issues(REPO)
    assert FAILURE_LINE in sent
    assert f'"sku": "{QUERIED_SKU}"' in sent
    assert len(sent) < len(raw) / 10
    listed = next(t for t in run.sent_tool_results if t.lstrip().startswith("[") and '"number"' in t)
    assert f'"number": {CAUSE_ISSUE},' not in listed  # compression left the cited issue out ...
    (round_trip,) = run.retrievals
    assert issue_record(CAUSE_ISSUE) in json.loads(round_trip.result)  # ... and retrieve brought it back whole
    assert f"#{CAUSE_ISSUE} (fetched back with headroom_retrieve): Move charge retries" in run.answer


def test_the_scripted_langchain_model_received_the_failure_and_the_product() -> None:
    run = run_langchain_agent(
        ScriptedChatModel(), store=CompressionStore(), metrics_store=MetricsStore("memory://"), count_model="gpt-4o"
    )
    _check_what_the_model_received(run)


def test_the_scripted_agno_model_received_the_failure_and_the_product() -> None:
    model = ScriptedAgnoModel()
    run = run_agno_agent(
        model,
        store=CompressionStore(),
        metrics_store=MetricsStore("memory://"),
        sent_tool_results=model.sent_tool_results,
    )
    _check_what_the_model_received(run)


def test_live_without_a_provider_explains_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["--live", "--out", str(tmp_path)]) == 2
    message = capsys.readouterr().out
    assert "OPENAI_API_KEY" in message and "langchain-openai" in message
    assert not (tmp_path / "headroom_report.html").exists()


def test_a_second_run_starts_fresh_so_its_count_is_what_stats_shows(
    demo_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from headroom_integrations.cli import main as cli

    first_out, first = demo_run
    assert main(["--out", str(first_out)]) == 0  # the same folder again: the earlier run's records are gone
    printed = re.search(r"metrics: (\d+) requests recorded", capsys.readouterr().out)
    assert printed and re.search(r"metrics: (\d+) requests recorded", first.stdout)[1] == printed[1]
    with sqlite3.connect(first_out / "headroom_metrics.db") as conn:
        (rows,) = conn.execute("SELECT COUNT(*) FROM metrics_requests").fetchone()
    assert rows == int(printed[1])
    calls, tools = (int(n) for n in re.search(r"\((\d+) model calls, (\d+) tool results\)", printed.string).groups())
    assert calls + tools == rows
    assert cli(["stats", "--store", f"sqlite:///{first_out / 'headroom_metrics.db'}"]) == 0
    assert re.search(rf"^Requests\s+{calls}\s+{tools}$", capsys.readouterr().out, re.MULTILINE)
