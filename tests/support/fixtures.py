"""Deterministic, realistic tool outputs for tests (no dependency on ../shared)."""

from __future__ import annotations

import json
import random
from typing import Any


def api_records(n: int = 500, *, errors: tuple[int, ...] = (137, 402), seed: int = 7) -> list[dict[str, Any]]:
    """``n`` order records like a REST API returns; the given indices are failures."""
    rng = random.Random(seed)
    cities = ["Berlin", "Oslo", "Lisbon", "Austin", "Osaka"]
    records = []
    for i in range(n):
        record: dict[str, Any] = {
            "id": 48000 + i,
            "status": "delivered",
            "customer": f"customer-{rng.randrange(10_000):04d}",
            "city": cities[i % len(cities)],
            "amount_usd": round(20 + rng.random() * 30, 2),
            "created_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "http_status": 200,
        }
        if i in errors:
            record.update(status="failed", http_status=502, error=f"payment gateway timeout on order {48000 + i}")
        records.append(record)
    return records


def api_json(n: int = 500, **kwargs: Any) -> str:
    return json.dumps(api_records(n, **kwargs), indent=2)


def tool_conversation(tool_output: str, query: str = "Why did order 48137 fail?") -> list[dict[str, Any]]:
    """[system, user, assistant tool call, tool result] around one tool output."""
    return [
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": query},
        {
            "role": "assistant",
            "content": None,
            "id": "msg-1",
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "list_orders", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "name": "list_orders", "content": tool_output},
    ]


def app_log(lines: int = 2000, seed: int = 3) -> str:
    """A service log with heavy repetition, one rare warning and one stack trace."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        ts = f"2026-11-20 10:{(i // 60) % 60:02d}:{i % 60:02d},{rng.randrange(1000):03d}"
        if i == lines // 2:
            out.append(f"{ts} ERROR worker-3 Failed to flush batch 9f3ac2 to shard 12: connection reset")
            out.append("Traceback (most recent call last):")
            out.append('  File "/srv/app/flush.py", line 88, in flush')
            out.append("    conn.send(batch)")
            out.append("ConnectionResetError: [Errno 104] Connection reset by peer")
        elif i == lines // 3:
            out.append(f"{ts} WARN scheduler queue depth 9812 above threshold 5000")
        else:
            out.append(
                f"{ts} INFO worker-{i % 4} processed request id={rng.randrange(10**6)} in {rng.randrange(5, 90)}ms"
            )
    return "\n".join(out)
