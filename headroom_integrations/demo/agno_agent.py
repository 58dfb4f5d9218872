"""The Agno half of the demo: an ``Agent`` whose model is wrapped by ``HeadroomAgnoModel``.

Agno's session keeps the original tool results; every model call is sent a
compressed copy. The rows are the per-call records ``HeadroomAgnoModel``
wrote to the metrics store: tokens of the conversation as Agno would send
it, and as Headroom sent it.
"""

from __future__ import annotations

import time
from typing import Any

from agno.agent import Agent
from agno.models.base import Model

from ..agno import HeadroomAgnoModel, HeadroomRetrieveTools
from ..engine.store import RETRIEVE_TOOL_NAME
from .outcome import AgentRun, CallRow, RetrieveCall
from .scenario import QUESTION, SYSTEM_PROMPT, TOOLS

__all__ = ["run_agno_agent"]

TITLE = "Agno: Agent + HeadroomAgnoModel"


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
    rows = [
        CallRow(f"model call {i}", r.tokens_before, r.tokens_after, tuple(r.transforms))
        for i, r in enumerate(records, 1)
    ]
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
