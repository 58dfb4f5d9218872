"""A real agent run writes tool-result and model-call rows that stats and the report never add together.

``create_agent(HeadroomChatModel(model), tools, middleware=[HeadroomMiddleware(...)])``: the middleware
compresses the tool result (a tool-result row: the raw output's tokens) and the model wrapper, in audit
mode, records every model call (model-call rows: the conversation carrying the compressed result). Added
up, the tool result's tokens would be counted twice (raw and compressed). The rows go to a real SQLite file
and are read back by the CLI (``stats --json``, ``report``) as a user would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from headroom_integrations import MetricsStore
from headroom_integrations.cli import main
from headroom_integrations.langchain import HeadroomChatModel, HeadroomMiddleware
from tests.support.fixtures import api_json
from tests.support.scripted_chat_model import ScriptedChatModel

QUESTION = "Please list orders of 'customer-6865': why did order 48137 fail?"


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return api_json(300)


def test_agent_rows_are_totalled_per_kind_in_stats_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    with MetricsStore(url) as metrics:
        model = HeadroomChatModel(ScriptedChatModel(), mode="audit", metrics_store=metrics)
        middleware = HeadroomMiddleware(metrics_store=metrics)
        agent = create_agent(model, [list_orders], middleware=[middleware], checkpointer=InMemorySaver())
        state = agent.invoke({"messages": [("user", QUESTION)]}, config={"configurable": {"thread_id": "t"}})
        rows = metrics.get_metrics(limit=None)
    (result,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    compressed_tokens = result.response_metadata["headroom"]["tokens_after"]

    tool_rows = [r for r in rows if r.kind == "tool_result"]
    call_rows = [r for r in rows if r.kind == "model_call"]
    assert [r.tool_names for r in tool_rows] == [("list_orders",)]
    (tool_row,) = tool_rows
    assert tool_row.tokens_saved > 5_000
    # the model call after the tool carries the compressed result: its tokens are in that row's "before" too
    (carrying,) = [r for r in call_rows if r.tool_names == ("list_orders",)]
    assert compressed_tokens <= carrying.tokens_before < tool_row.tokens_before
    assert len(call_rows) == 2

    assert main(["stats", "--json", "--store", url, "--period", "day"]) == 0
    document = json.loads(capsys.readouterr().out)
    summary = document["summary"]
    assert document["headline_kind"] == "model_call"
    kinds = summary["by_kind"]
    assert set(kinds) == {"model_call", "tool_result"}
    assert kinds["tool_result"]["total_requests"] == 1
    assert kinds["tool_result"]["total_tokens_saved"] == tool_row.tokens_saved
    assert kinds["tool_result"]["by_tool"]["list_orders"]["tokens_saved"] == tool_row.tokens_saved
    assert kinds["model_call"]["total_requests"] == len(call_rows)
    assert kinds["model_call"]["total_tokens_saved"] == sum(r.tokens_saved for r in call_rows)
    # the headline is the model calls' figure, never the sum over kinds
    assert summary["total_tokens_saved"] == kinds["model_call"]["total_tokens_saved"]
    assert summary["total_tokens_before"] == sum(r.tokens_before for r in call_rows)
    assert summary["total_tokens_before"] != sum(r.tokens_before for r in rows)

    assert main(["report", "--store", url, "--period", "day", "--format", "markdown"]) == 0
    report = capsys.readouterr().out
    assert "| Metric | Model calls | Tool results |" in report
    assert f"| Requests | {len(call_rows)} | 1 |" in report
    saved = kinds["model_call"]["total_tokens_saved"]
    assert f"| Tokens saved | {saved:,} (" in report and f"| {tool_row.tokens_saved:,} (" in report
    assert "## Savings by tool (tool results)" in report
    assert "never added" in report
    assert re.search(r"^\| Compression time p50 \| [\d.,]+ ms \| [\d.,]+ ms \|$", report, re.MULTILINE)  # per kind
