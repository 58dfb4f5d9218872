"""HeadroomAgnoModel inside a real Agno Agent, fed hostile tool outputs."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from agno.agent import Agent
from agno.db.in_memory import InMemoryDb
from agno.tools import tool
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations import CCRConfig, CompressionStore
from headroom_integrations.agno import HeadroomAgnoModel
from tests.reliability._checks import FUZZ, assert_message_intact
from tests.reliability._hostile import tool_output
from tests.support.scripted_agno_model import ScriptedAgnoModel


def _agent(output: str, store: CompressionStore) -> tuple[Agent, ScriptedAgnoModel]:
    @tool(name="dump", description="Dump the raw records.")
    def dump() -> str:
        return output

    wrapped = ScriptedAgnoModel(plan=[[("dump", {})]])
    model = HeadroomAgnoModel(wrapped_model=wrapped, store=store)
    return Agent(model=model, tools=[dump], db=InMemoryDb(), telemetry=False), wrapped


def _run(agent: Agent, how: str) -> None:
    question = "Why did order 48077 fail?"
    if how == "run":
        agent.run(question)
    elif how == "stream":
        for _ in agent.run(question, stream=True):
            pass
    else:
        asyncio.run(agent.arun(question))


@settings(FUZZ, max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["run", "stream", "arun"]))
def test_agno_agent_with_hostile_tool_output(seed: int, how: str) -> None:
    output = tool_output(random.Random(seed))

    def once() -> tuple[Agent, ScriptedAgnoModel, CompressionStore]:
        store = CompressionStore(CCRConfig(store_max_entries=100_000))
        agent, wrapped = _agent(output, store)
        _run(agent, how)
        return agent, wrapped, store

    agent, wrapped, store = once()
    assert len(wrapped.calls) == 2
    sent: list[Any] = [text for role, text in wrapped.calls[-1].messages if role == "tool"]
    assert len(sent) == 1
    tool_msg = {"role": "tool", "tool_call_id": "c", "content": output}
    assert_message_intact(tool_msg, {**tool_msg, "content": sent[0]}, store)
    session = [m for m in agent.get_session_messages() if m.role == "tool"]
    assert [m.content for m in session] == [output], "the session must keep the original"
    _, again, _ = once()
    assert again.calls[-1].messages == wrapped.calls[-1].messages
