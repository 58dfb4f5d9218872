"""The Agno half of the demo: an ``Agent`` whose model is wrapped by ``HeadroomAgnoModel``.

Agno's session keeps the original tool results; every model call is sent a
compressed copy. A row per model call: tokens of the conversation as Agno
would send it (counted from the session), and as Headroom sent it (the
record ``HeadroomAgnoModel`` wrote to the metrics store for that call; a call
with nothing to compress writes none and was sent as it was).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from agno.agent import Agent
from agno.models.base import Model
from agno.models.message import Message

from ..agno import HeadroomAgnoModel, HeadroomRetrieveTools
from ..agno._convert import to_engine_messages
from ..engine.ccr.store import RETRIEVE_TOOL_NAME
from ..engine.metrics import RequestMetrics
from ..engine.tokens.tokenizer import count_tokens_messages
from .outcome import AgentRun, CallRow, RetrieveCall
from .scenario import QUESTION, SYSTEM_PROMPT, TOOLS

__all__ = ["run_agno_agent"]

TITLE = "Agno: Agent + HeadroomAgnoModel"


def _rows(messages: Sequence[Message], records: Sequence[RequestMetrics], model: str) -> list[CallRow]:
    """A row per model call (each assistant message), with its record when Headroom compressed it."""
    pending = list(records)
    rows: list[CallRow] = []
    for index, message in enumerate(messages):
        if message.role != "assistant":
            continue
        before = int(count_tokens_messages(to_engine_messages(messages[:index]), model))
        record = pending.pop(0) if pending and pending[0].tokens_before == before else None
        after, transforms = (record.tokens_after, tuple(record.transforms)) if record else (before, ())
        rows.append(CallRow(f"model call {len(rows) + 1}", before, after, transforms))
    return rows


def run_agno_agent(model: Model, *, store: Any, metrics_store: Any, sent_tool_results: list[str] | None) -> AgentRun:
    """Run the demo question through an Agno agent whose model is wrapped by Headroom.

    ``sent_tool_results`` is the list the (scripted) model fills with what it
    was sent, or None when that cannot be observed (a live provider model).
    """
    agent = Agent(
        model=HeadroomAgnoModel(wrapped_model=model, store=store, metrics_store=metrics_store),
        tools=[*TOOLS.values(), HeadroomRetrieveTools(store=store)],
        instructions=SYSTEM_PROMPT,
        telemetry=False,  # the demo runs offline
    )
    started = time.time()
    run = agent.run(QUESTION)
    records = [
        r for r in reversed(metrics_store.get_metrics(start_time=started, limit=None)) if r.integration == "agno"
    ]
    rows = _rows(run.messages or [], records, model.id or "gpt-4o")
    retrievals = [
        RetrieveCall(str((m.tool_args or {}).get("ref")), (m.tool_args or {}).get("query"), str(m.content))
        for m in run.messages or ()
        if m.role == "tool" and m.tool_name == RETRIEVE_TOOL_NAME
    ]
    return AgentRun(
        title=TITLE,
        rows=tuple(rows),
        sent_tool_results=None if sent_tool_results is None else tuple(sent_tool_results),
        retrievals=tuple(retrievals),
        answer=str(run.content or ""),
    )
