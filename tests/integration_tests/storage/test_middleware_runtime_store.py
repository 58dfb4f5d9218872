"""HeadroomMiddleware keeps refs in the agent's own LangGraph store when no store is given."""

from __future__ import annotations

import re
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from headroom_integrations.engine.ccr.store import CompressionStore, get_default_store, set_default_store
from headroom_integrations.engine.storage.langgraph_store import NAMESPACE
from headroom_integrations.langchain.middleware import HeadroomMiddleware
from tests.support.scripted_chat_model import ScriptedChatModel
from tests.unit_tests.langchain.test_middleware import TURNS, list_orders, read_log


def _agent(middleware: HeadroomMiddleware, store: Any) -> Any:
    return create_agent(
        ScriptedChatModel(),
        [list_orders, read_log],
        system_prompt="You are a support agent.",
        middleware=[middleware],
        checkpointer=InMemorySaver(),
        store=store,
    )


def test_refs_go_to_the_agent_store_and_the_agent_retrieves_them(base_store: Any) -> None:
    set_default_store(None)  # a fresh process default: earlier tests may have stored the same content there
    agent = _agent(HeadroomMiddleware(), base_store)
    config = {"configurable": {"thread_id": "runtime-store"}}
    first = agent.invoke({"messages": [{"role": "user", "content": TURNS[0]}]}, config)["messages"]
    ref = re.search(r'"_headroom_ref": "(\w+)"', first[2].content).group(1)
    assert base_store.get(NAMESPACE, ref) is not None
    assert ref not in get_default_store()
    question = f"Use headroom retrieve with '{ref}' and '48250' please."
    messages = agent.invoke({"messages": [{"role": "user", "content": question}]}, config)["messages"]
    retrieved = messages[-2]
    assert isinstance(retrieved, ToolMessage) and retrieved.name == "headroom_retrieve"
    assert '"id": 48250' in retrieved.content


def test_an_explicit_store_wins_over_the_agent_store() -> None:
    base_store, explicit = InMemoryStore(), CompressionStore()
    agent = _agent(HeadroomMiddleware(store=explicit), base_store)
    first = agent.invoke({"messages": [{"role": "user", "content": TURNS[0]}]}, {"configurable": {"thread_id": "x"}})
    ref = re.search(r'"_headroom_ref": "(\w+)"', first["messages"][2].content).group(1)
    assert ref in explicit and base_store.get(NAMESPACE, ref) is None
