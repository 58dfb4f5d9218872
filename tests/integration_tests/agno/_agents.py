"""Tools, agents and run helpers shared by the Agno integration tests."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agno.agent import Agent, RunOutput
from agno.db.in_memory import InMemoryDb

from tests.support.fixtures import api_json, app_log

QUESTION = "Why did order 48137 fail?"
FAILURE = "payment gateway timeout on order 48137"
ORDERS = api_json(500)
LOG = app_log(2000)
HOWS = ("run", "stream", "arun", "astream")

_REF = re.compile(r'; (?:headroom_retrieve )?ref=([0-9a-f]+)|"_headroom_ref": "([0-9a-f]+)"')


def list_orders(status: str = "all") -> str:
    """List the shop's orders as JSON.

    Args:
        status: Which orders to list ("all", "failed", ...).
    """
    return ORDERS


def read_log(service: str = "worker") -> str:
    """Read a service's log.

    Args:
        service: The service whose log to read.
    """
    return LOG


def last_ref(seen: Sequence[tuple[str, str]]) -> str:
    """The first ref named in the latest tool result the model read."""
    text = [t for role, t in seen if role == "tool"][-1]
    match = _REF.search(text)
    assert match is not None, text[-400:]
    return match.group(1) or match.group(2)


def make_agent(model: Any, tools: Sequence[Any] = (list_orders, read_log), **options: Any) -> Agent:
    return Agent(model=model, tools=list(tools), db=InMemoryDb(), telemetry=False, **options)


async def run_agent(agent: Agent, how: str, question: str = QUESTION) -> RunOutput:
    """Run ``agent`` the way ``how`` says and return its run output."""
    if how == "run":
        agent.run(question)
    elif how == "stream":
        for _ in agent.run(question, stream=True):
            pass
    elif how == "arun":
        await agent.arun(question)
    else:
        async for _ in agent.arun(question, stream=True):
            pass
    output = agent.get_last_run_output()
    assert output is not None
    return output


def session_tool_messages(agent: Agent) -> list[Any]:
    return [m for m in agent.get_session_messages() if m.role == "tool"]
