"""Tool profiles in the LangChain integration: the same ``tool_profiles`` as HeadroomClient, on every component.

A profile names a tool: ``skip_compression`` passes its results through byte for byte, other keys
override SmartCrusher settings for that tool only. The agent and the chat model see real tool results.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from headroom_integrations import CompressionStore, ConfigurationError
from headroom_integrations.langchain import HeadroomChatModel, HeadroomMiddleware
from tests.support.fixtures import api_json
from tests.support.scripted_chat_model import ScriptedChatModel

QUESTION = "Please list orders of 'customer-6865': why did order 48137 fail?"


@tool
def list_orders(customer: str) -> str:
    """List the customer's recent orders."""
    return api_json(300)


def _tool_results(middleware: HeadroomMiddleware, question: str = QUESTION) -> list[ToolMessage]:
    agent = create_agent(ScriptedChatModel(), [list_orders], middleware=[middleware])
    state = agent.invoke({"messages": [("user", question)]})
    return [m for m in state["messages"] if isinstance(m, ToolMessage)]


def test_the_middleware_leaves_a_skipped_tools_results_byte_for_byte() -> None:
    (plain,) = _tool_results(HeadroomMiddleware(store=CompressionStore()))
    assert len(str(plain.content)) < len(api_json(300)) / 5
    profiles = {"list_orders": {"skip_compression": True}}
    (kept,) = _tool_results(HeadroomMiddleware(store=CompressionStore(), tool_profiles=profiles))
    assert kept.content == api_json(300)


def test_crusher_overrides_apply_to_that_tool_only() -> None:
    question = "Use the list_orders tool."
    (default,) = _tool_results(HeadroomMiddleware(store=CompressionStore()), question)
    profiles = {"list_orders": {"keep_first": 10, "max_items": 30}, "other_tool": {"skip_compression": True}}
    (looser,) = _tool_results(HeadroomMiddleware(store=CompressionStore(), tool_profiles=profiles), question)
    kept_default, kept_looser = (str(m.content).count('"id": 48') for m in (default, looser))
    assert kept_default < kept_looser < 300
    assert '"id": 48009' in str(looser.content) and '"id": 48009' not in str(default.content)


def _conversation() -> list[Any]:
    call = {"name": "list_orders", "args": {"customer": "customer-6865"}, "id": "call_1"}
    return [HumanMessage(QUESTION), AIMessage("", tool_calls=[call]), ToolMessage(api_json(300), tool_call_id="call_1")]


def test_the_chat_model_takes_the_same_profiles() -> None:
    wrapped = ScriptedChatModel()
    profiles = {"list_orders": {"skip_compression": True}}
    HeadroomChatModel(wrapped, store=CompressionStore(), tool_profiles=profiles).invoke(_conversation())
    HeadroomChatModel(wrapped, store=CompressionStore()).invoke(_conversation())
    skipped, compressed = (call.messages[-1].content for call in wrapped.calls)
    assert skipped == api_json(300) and len(str(compressed)) < len(api_json(300)) / 5


def test_a_misspelt_profile_key_fails_at_construction_naming_the_closest() -> None:
    with pytest.raises(ConfigurationError, match="skip_compression"):
        HeadroomMiddleware(tool_profiles={"list_orders": {"skip_compresion": True}})
    with pytest.raises(ConfigurationError, match="skip_compression"):
        HeadroomChatModel(ScriptedChatModel(), tool_profiles={"list_orders": {"skip_compresion": True}})


def test_a_wrapped_tool_takes_the_same_profiles() -> None:
    from headroom_integrations.langchain import HeadroomToolWrapper

    kept = HeadroomToolWrapper(
        list_orders, store=CompressionStore(), tool_profiles={"list_orders": {"skip_compression": True}}
    )
    assert kept.invoke({"customer": "customer-6865"}) == api_json(300)
    assert len(str(HeadroomToolWrapper(list_orders, store=CompressionStore()).invoke({"customer": "c"}))) < 20_000
