"""The LangChain half of the demo: ``create_agent`` with ``HeadroomMiddleware`` and ``HeadroomChatModel``.

The middleware compresses each tool result once, when it is produced, and
registers ``headroom_retrieve``; ``HeadroomChatModel`` compresses what each
model call is sent and reports it. The rows compare every model call with
what a plain agent would have sent (the tools re-run for their original
outputs, which are deterministic), so the savings are the real difference
in the bill, not Headroom's own bookkeeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolCall, ToolMessage
from langchain_core.tools import StructuredTool
from langgraph.checkpoint.memory import InMemorySaver

from ..engine.ccr.store import RETRIEVE_TOOL_NAME
from ..engine.tokens.tokenizer import count_tokens_messages
from ..langchain import HeadroomChatModel, HeadroomMiddleware, to_engine_messages
from .outcome import AgentRun, CallRow, RetrieveCall
from .scenario import QUESTION, SYSTEM_PROMPT, TOOLS

__all__ = ["run_langchain_agent"]

TITLE = "LangChain: create_agent + HeadroomMiddleware + HeadroomChatModel"


class _SentToolResults(BaseCallbackHandler):
    """The tool results the latest model call was sent (the compressed conversation's)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.texts = [m.text for batch in messages for m in batch if isinstance(m, ToolMessage)]


def _headroom(message: BaseMessage) -> dict[str, Any] | None:
    summary = message.response_metadata.get("headroom")
    return summary if isinstance(summary, dict) else None


def _calls_by_id(messages: Sequence[BaseMessage]) -> dict[str, ToolCall]:
    return {c["id"]: c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls if c["id"]}


def _tokens(messages: Sequence[BaseMessage], model: str) -> int:
    return int(count_tokens_messages(to_engine_messages(messages), model))


def _as_sent_without_headroom(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """``messages`` with every compressed tool result replaced by the tool's original output."""
    calls = _calls_by_id(messages)
    out: list[BaseMessage] = []
    for message in messages:
        call = calls.get(message.tool_call_id) if isinstance(message, ToolMessage) else None
        if call is not None and _headroom(message) is not None and call["name"] in TOOLS:
            message = message.model_copy(update={"content": TOOLS[call["name"]](**call["args"])})
        out.append(message)
    return out


def _model_call_row(number: int, conversation: Sequence[BaseMessage], reply: AIMessage, model: str) -> CallRow:
    """What a plain agent would have sent for this call, against what Headroom sent."""
    summary = _headroom(reply)
    after = summary["tokens_after"] if summary else _tokens(conversation, model)
    tools = [m for m in conversation if isinstance(m, ToolMessage)]
    shaped = [t for m in tools for t in (_headroom(m) or {}).get("transforms", ())]
    shaped += summary["transforms"] if summary else []
    before = _tokens(_as_sent_without_headroom(conversation), model)
    return CallRow(f"model call {number}", before, int(after), tuple(dict.fromkeys(shaped)))


def _tool_row(name: str, message: ToolMessage, model: str) -> CallRow:
    """The tool result as produced and as the middleware stored it (unchanged when not compressed)."""
    summary = _headroom(message)
    if summary is None:
        size = _tokens([message], model)
        return CallRow(f"tool {name}", size, size, is_tool=True)
    before, after = summary["tokens_before"], summary["tokens_after"]
    return CallRow(f"tool {name}", before, after, tuple(summary["transforms"]), is_tool=True)


def _rows(messages: Sequence[BaseMessage], model: str) -> list[CallRow]:
    """A row per model call (as sent) and per tool result (compressed once, kept in the state)."""
    calls = _calls_by_id(messages)
    conversation: list[BaseMessage] = [SystemMessage(SYSTEM_PROMPT)]
    rows: list[CallRow] = []
    for message in messages:
        if isinstance(message, AIMessage):
            rows.append(_model_call_row(sum(not r.is_tool for r in rows) + 1, conversation, message, model))
        elif isinstance(message, ToolMessage):
            call = calls.get(message.tool_call_id)
            rows.append(_tool_row(call["name"] if call else message.name or "tool", message, model))
        conversation.append(message)
    return rows


def _retrievals(messages: Sequence[BaseMessage]) -> list[RetrieveCall]:
    calls = _calls_by_id(messages)
    out = []
    for message in messages:
        call = calls.get(message.tool_call_id) if isinstance(message, ToolMessage) else None
        if call is not None and call["name"] == RETRIEVE_TOOL_NAME:
            out.append(RetrieveCall(str(call["args"].get("ref")), call["args"].get("query"), message.text))
    return out


def run_langchain_agent(model: BaseChatModel, *, store: Any, metrics_store: Any, count_model: str) -> AgentRun:
    """Run the demo question through a Headroom-equipped ``create_agent`` agent around ``model``."""
    tools = [StructuredTool.from_function(f, parse_docstring=True) for f in TOOLS.values()]
    agent = create_agent(
        HeadroomChatModel(model, store=store, metrics_store=metrics_store),
        tools,
        system_prompt=SYSTEM_PROMPT,
        middleware=[HeadroomMiddleware(store=store, metrics_store=metrics_store)],
        checkpointer=InMemorySaver(),
    )
    sent = _SentToolResults()
    state = agent.invoke(
        {"messages": [HumanMessage(QUESTION)]},
        {"configurable": {"thread_id": "headroom-demo"}, "callbacks": [sent], "recursion_limit": 30},
    )
    messages = state["messages"]
    return AgentRun(
        title=TITLE,
        rows=tuple(_rows(messages, count_model)),
        sent_tool_results=tuple(sent.texts),
        retrievals=tuple(_retrievals(messages)),
        answer=messages[-1].text,
    )
