"""Hostile conversations as LangChain messages, and how to compare what a model was sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from headroom_integrations import CompressionStore
from headroom_integrations.langchain import to_engine_messages
from tests.reliability._checks import assert_message_intact, assert_valid_sequence, canonical

__all__ = ["assert_sent_ok", "dump", "to_langchain"]


def _message(index: int, message: Mapping[str, Any]) -> BaseMessage:
    """One engine dict as a LangChain message (None content is "": LangChain has no None content)."""
    role, content, ident = message.get("role"), message.get("content") or "", f"m{index}"
    if role == "system":
        return SystemMessage(content, id=ident)
    if role == "user":
        return HumanMessage(content, id=ident)
    if role == "assistant":
        calls = [{"name": c["function"]["name"], "args": {}, "id": c["id"]} for c in message.get("tool_calls") or ()]
        return AIMessage(content, id=ident, tool_calls=calls)
    if role == "tool":
        return ToolMessage(content, tool_call_id=message["tool_call_id"], name=message.get("name"), id=ident)
    return ChatMessage(content, role=str(role), id=ident)


def to_langchain(messages: Sequence[Mapping[str, Any]]) -> list[BaseMessage]:
    return [_message(i, m) for i, m in enumerate(messages)]


def dump(messages: Sequence[BaseMessage]) -> str:
    """What a model reads from ``messages`` (types, content, tool-call ids), as comparable text."""
    return canonical(
        [[type(m).__name__, m.content, getattr(m, "tool_call_id", None)] for m in messages]
        + [[c["id"] for c in m.tool_calls] for m in messages if isinstance(m, AIMessage)]
    )


def assert_sent_ok(sent: Sequence[BaseMessage], originals: Sequence[BaseMessage], store: CompressionStore) -> None:
    """``sent`` is a valid, lossless reduction of ``originals`` (messages paired by id)."""
    engine_originals = to_engine_messages(originals)
    assert_valid_sequence(to_engine_messages(sent), engine_originals)
    by_id = {m.id: e for m, e in zip(originals, engine_originals, strict=True) if m.id is not None}
    for message, engine in zip(sent, to_engine_messages(sent), strict=True):
        if message.id in by_id:
            assert_message_intact(by_id[message.id], engine, store)
