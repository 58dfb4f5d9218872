"""wrap_tools / HeadroomToolWrapper: same tool for the model, outputs compressed at the source."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, InjectedToolCallId, tool

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.langchain.tools import HeadroomToolWrapper, create_retrieve_tool, wrap_tools
from tests.support.fixtures import api_json, api_records
from tests.support.scripted_chat_model import ScriptedChatModel

FAILED = "payment gateway timeout on order 48137"


@tool
def list_orders(order_id: int, customer: str = "") -> str:
    """List recent orders; the order id focuses the listing."""
    return api_json(300)


@tool(response_format="content_and_artifact")
def orders_with_raw(order_id: int) -> tuple[str, dict[str, Any]]:
    """Orders as text plus the raw response as artifact."""
    return api_json(300), {"status": 200, "rows": 300}


@tool
def order_records(order_id: int) -> list[dict[str, Any]]:
    """Orders as Python records (LangChain turns them into JSON text)."""
    return api_records(300)


@tool
def tiny(order_id: int) -> str:
    """A small answer that needs no compression."""
    return f"order {order_id} is fine"


@tool
def echo_call_id(order_id: int, tool_call_id: Annotated[str, InjectedToolCallId]) -> ToolMessage:
    """Returns its own ToolMessage (with an artifact)."""
    return ToolMessage(api_json(300), tool_call_id=tool_call_id, artifact={"id": order_id}, name="echo_call_id")


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": "call_1", "name": name, "args": args}


@pytest.fixture
def store() -> CompressionStore:
    return CompressionStore()


def test_the_model_sees_the_same_tool(store: CompressionStore) -> None:
    for original, wrapped in zip(
        [list_orders, orders_with_raw, echo_call_id],
        wrap_tools([list_orders, orders_with_raw, echo_call_id], store=store),
        strict=True,
    ):
        assert (wrapped.name, wrapped.description) == (original.name, original.description)
        assert wrapped.args == original.args
        assert wrapped.tool_call_schema.model_json_schema() == original.tool_call_schema.model_json_schema()
        assert wrapped.response_format == original.response_format


def test_output_is_compressed_keeping_the_answer_and_a_working_ref(store: CompressionStore) -> None:
    (wrapped,) = wrap_tools([list_orders], store=store)
    message = wrapped.invoke(_call("list_orders", order_id=48137))
    assert isinstance(message, ToolMessage) and message.tool_call_id == "call_1"
    assert len(message.content) < len(api_json(300)) / 5
    assert FAILED in message.content
    ref = re.search(r'"_headroom_ref": "(\w+)"', message.content).group(1)
    retrieve = create_retrieve_tool(store)
    assert retrieve.invoke({"ref": ref}) == api_json(300)
    assert '"id": 48250' in retrieve.invoke({"ref": ref, "query": "48250"})
    summary = wrapped.get_savings_summary()
    assert summary["calls"] == 1 and summary["tokens_saved"] > 0


async def test_async_and_artifacts_survive(store: CompressionStore) -> None:
    (wrapped,) = wrap_tools([orders_with_raw], store=store)
    message = await wrapped.ainvoke(_call("orders_with_raw", order_id=48137))
    assert message.artifact == {"status": 200, "rows": 300}
    assert FAILED in message.content and len(message.content) < len(api_json(300)) / 5
    sync_message = wrapped.invoke(_call("orders_with_raw", order_id=48137))
    assert sync_message.content == message.content  # deterministic


def test_data_outputs_and_tool_messages_are_compressed(store: CompressionStore) -> None:
    records, own = wrap_tools([order_records, echo_call_id], store=store)
    data = records.invoke(_call("order_records", order_id=48137))
    assert FAILED in data.content and len(data.content) < len(json.dumps(api_records(300))) / 5
    message = own.invoke(_call("echo_call_id", order_id=48137))
    assert message.artifact == {"id": 48137} and message.tool_call_id == "call_1"
    assert FAILED in message.content and message.response_metadata["headroom"]["tokens_saved"] > 0


def test_small_outputs_are_the_same_object_and_plain_invoke_works(store: CompressionStore) -> None:
    (wrapped,) = wrap_tools([tiny], store=store)
    assert wrapped.invoke({"order_id": 7}) == "order 7 is fine"
    assert wrap_tools([wrapped]) == [wrapped]  # never wrapped twice


def test_functions_are_made_tools_and_bad_input_is_a_configuration_error() -> None:
    def lookup(order_id: int) -> str:
        """Look an order up."""
        return "ok"

    (wrapped,) = wrap_tools([lookup])
    assert isinstance(wrapped, BaseTool) and wrapped.name == "lookup"
    with pytest.raises(ConfigurationError):
        HeadroomToolWrapper(lambda: "x")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        HeadroomToolWrapper(tiny, mode="fastest")


def test_audit_mode_measures_but_changes_nothing(store: CompressionStore) -> None:
    (wrapped,) = wrap_tools([list_orders], store=store, mode="audit")
    assert wrapped.invoke({"order_id": 48137}) == api_json(300)
    summary = wrapped.get_savings_summary()
    assert summary["tokens_saved"] == 0 and summary["potential_tokens_saved"] > 0
    assert len(store) == 0


def test_retrieve_tool_explains_a_missing_ref(store: CompressionStore) -> None:
    answer = create_retrieve_tool(store).invoke({"ref": "0" * 24})
    assert answer.startswith("[headroom_retrieve:") and "never stored" in answer


def test_wrapped_tools_run_in_an_agent_with_injected_runtime(store: CompressionStore) -> None:
    seen: list[str] = []

    @tool
    def orders_for(customer: str, runtime: ToolRuntime) -> str:
        """List the orders of a customer."""
        seen.append(runtime.tool_call_id)
        return api_json(300)

    (wrapped,) = wrap_tools([orders_for], store=store)
    assert "runtime" not in wrapped.args
    agent = create_agent(ScriptedChatModel(), [wrapped])
    messages = agent.invoke({"messages": [{"role": "user", "content": "orders for 'customer-6865' 48137"}]})
    result = messages["messages"][2]
    assert seen == [result.tool_call_id] and FAILED in result.content
    assert len(result.content) < len(api_json(300)) / 5
