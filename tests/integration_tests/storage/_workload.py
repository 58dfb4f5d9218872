"""A tool-result conversation that always compresses (items dropped behind a ref), and a worker process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.config import CCRConfig
from headroom_integrations.engine.metrics import MetricsStore


def conversation(call: int, rows: int = 60, padding: int = 0) -> list[dict[str, Any]]:
    """A user question and one tool result of ``rows`` distinct records (``padding`` chars each)."""
    records = [
        {
            "id": i,
            "call": call,
            "service": f"svc-{i % 7}",
            "status": "error" if i == 41 else "ok",
            "note": "x" * padding,
        }
        for i in range(rows)
    ]
    return [
        {"role": "user", "content": "Which service failed?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "status", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "status", "content": json.dumps(records)},
    ]


def tool_text(messages: list[dict[str, Any]]) -> str:
    return str(messages[-1]["content"])


def worker(store_url: str, metrics_url: str, worker_id: int, calls: int, out: str) -> None:
    """Run ``calls`` compressions; write the refs each call reported to ``out`` (JSON)."""
    refs: list[list[str]] = []
    with (
        CompressionStore(CCRConfig(store_max_entries=100_000), url=store_url) as store,
        MetricsStore(metrics_url) as metrics,
    ):
        for call in range(calls):
            result = compress(conversation(worker_id * 100_000 + call), "gpt-4o", store=store, metrics_store=metrics)
            refs.append(list(result.refs))
    Path(out).write_text(json.dumps(refs))
