"""Savings in LangSmith, end to end: the real langsmith client posting to a loopback recorder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, convert_to_messages
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from pydantic import BaseModel

from headroom_integrations.langchain import HeadroomChatModel
from tests.support.fixtures import api_json, tool_conversation
from tests.support.langsmith_recorder import LangSmithRecorder
from tests.support.scripted_chat_model import ScriptedChatModel

TOOL_OUTPUT = api_json(300)
HEADROOM_KEYS = ("tokens_before", "tokens_after", "tokens_saved", "savings_percent", "transforms")


@pytest.fixture
def recorder() -> Iterator[LangSmithRecorder]:
    with LangSmithRecorder() as recorder:
        yield recorder


def _conversation() -> list[Any]:
    return convert_to_messages(tool_conversation(TOOL_OUTPUT))


def _llm_runs(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs.values() if r.get("run_type") == "llm"]


def _with_usage(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in runs.values() if "usage_metadata" in r.get("extra", {}).get("metadata", {})]


def _assert_priced_and_annotated(run: dict[str, Any], headroom: dict[str, Any]) -> None:
    metadata = run["extra"]["metadata"]
    for key in HEADROOM_KEYS:
        assert metadata[f"headroom_{key}"] == headroom[key], key
    assert metadata["headroom_tokens_saved"] > 0
    assert (metadata["ls_provider"], metadata["ls_model_name"]) == ("scripted", "scripted-1")
    # the traced inputs are what the provider received: the compressed tool output
    traced_tool = run["inputs"]["messages"][0][3]["kwargs"]["content"]
    assert len(traced_tool) < len(TOOL_OUTPUT) / 5


def test_invoke_traces_one_llm_run_with_savings_metadata_and_usage(recorder: LangSmithRecorder) -> None:
    tracer = recorder.tracer()
    reply = HeadroomChatModel(ScriptedChatModel()).invoke(_conversation(), config={"callbacks": [tracer]})
    runs = recorder.wait_for_runs(tracer)
    assert ("GET", "/info") in recorder.requests and ("POST", "/runs/multipart") in recorder.requests
    (llm,) = _llm_runs(runs)
    _assert_priced_and_annotated(llm, reply.response_metadata["headroom"])
    assert _with_usage(runs) == [llm]
    assert llm["extra"]["metadata"]["usage_metadata"] == reply.usage_metadata


def test_a_chain_has_exactly_one_llm_run_carrying_usage(recorder: LangSmithRecorder) -> None:
    tracer = recorder.tracer()
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    chain = prompt | HeadroomChatModel(ScriptedChatModel()) | StrOutputParser()
    answer = chain.invoke(
        {"history": _conversation(), "question": "Why did order 48137 fail?"}, config={"callbacks": [tracer]}
    )
    assert "48137" in answer
    runs = recorder.wait_for_runs(tracer)
    (llm,) = _llm_runs(runs)
    assert _with_usage(runs) == [llm]
    assert {r["run_type"] for r in runs.values()} == {"chain", "prompt", "llm", "parser"}
    assert llm["extra"]["metadata"]["headroom_tokens_saved"] > 0


def test_streaming_traces_the_savings_once(recorder: LangSmithRecorder) -> None:
    tracer = recorder.tracer()
    chunks = list(HeadroomChatModel(ScriptedChatModel()).stream(_conversation(), config={"callbacks": [tracer]}))
    (carrier,) = [c for c in chunks if "headroom" in c.response_metadata]
    runs = recorder.wait_for_runs(tracer)
    (llm,) = _llm_runs(runs)
    _assert_priced_and_annotated(llm, carrier.response_metadata["headroom"])
    assert _with_usage(runs) == [llm]


async def test_async_calls_are_traced_the_same_way(recorder: LangSmithRecorder) -> None:
    tracer = recorder.tracer()
    model = HeadroomChatModel(ScriptedChatModel())
    reply = await model.ainvoke(_conversation(), config={"callbacks": [tracer]})
    chunks = [c async for c in model.astream(_conversation(), config={"callbacks": [tracer]})]
    runs = recorder.wait_for_runs(tracer)
    llms = _llm_runs(runs)
    assert len(llms) == 2 and _with_usage(runs) == llms
    for run in llms:
        _assert_priced_and_annotated(run, reply.response_metadata["headroom"])
    assert sum("headroom" in c.response_metadata for c in chunks) == 1


class Diagnosis(BaseModel):
    """Why an order failed."""

    order_id: int
    reason: str


def test_tools_and_structured_output_trace_one_llm_run_per_call(recorder: LangSmithRecorder) -> None:
    tracer = recorder.tracer()
    model = HeadroomChatModel(ScriptedChatModel())

    def refund(order_id: int) -> str:
        """Refund an order."""
        return "ok"

    question = HumanMessage("Refund order 48137")
    model.bind_tools([refund]).invoke([*_conversation(), question], config={"callbacks": [tracer]})
    model.with_structured_output(Diagnosis).invoke([*_conversation(), question], config={"callbacks": [tracer]})
    runs = recorder.wait_for_runs(tracer)
    llms = _llm_runs(runs)
    assert len(llms) == 2 and _with_usage(runs) == llms
    assert all(r["extra"]["metadata"]["headroom_tokens_saved"] > 0 for r in llms)
    assert model.get_savings_summary()["calls"] == 2
