"""LangChain tool messages through the engine's tool-result policy, persisted so they stay byte-stable.

The engine decides what a tool result is compressed against (its own turn:
:func:`~headroom_integrations.engine.messages.tool_result_query`), so a
result compressed when it is produced has the same bytes it would get inside
the whole conversation on any later turn. A compressed :class:`ToolMessage`
is a copy whose ``response_metadata`` carries ``"headroom"`` (what was saved,
the refs to get the rest back); that key also marks it as done, so nothing is
compressed twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage

from ..engine.messages import tool_result_query, turn_query
from ..engine.options import EngineOptions
from ..engine.savings import Savings
from ..engine.tool_results import ToolOutput, compress_tool_outputs
from ._convert import to_engine_messages

__all__ = [
    "HEADROOM_KEY",
    "ToolResult",
    "compress_tool_message",
    "compress_tool_results",
    "is_compressed",
    "tool_query",
    "with_account",
]

HEADROOM_KEY = "headroom"
# Persisted with the message: deterministic fields only (no timings), so state stays byte-stable.
_PERSISTED = ("tokens_before", "tokens_after", "tokens_saved", "savings_percent", "transforms", "refs", "tools")


@dataclass(frozen=True)
class ToolResult:
    """A tool message after compression and its savings (None if it failed open)."""

    message: BaseMessage
    savings: Savings | None

    @property
    def changed(self) -> bool:
        return self.savings is not None and HEADROOM_KEY in self.message.response_metadata


def is_compressed(message: BaseMessage) -> bool:
    """Whether Headroom already compressed this tool message, by the account it carries.

    Not the engine's text-marker check (which still applies): the persisted
    account also marks output that carries no marker, and spares the engine call.
    """
    return isinstance(message, ToolMessage) and HEADROOM_KEY in (message.response_metadata or {})


def tool_query(history: Sequence[BaseMessage], args: Mapping[str, Any] | None) -> str:
    """The engine's query for a tool result that follows ``history``, from a call with ``args``."""
    return tool_result_query(to_engine_messages(history), args)


def compress_tool_message(
    message: ToolMessage,
    query: str,
    options: EngineOptions,
    model: str,
    history: Sequence[BaseMessage] = (),
    *,
    retrieve_tool: bool = True,
) -> ToolResult:
    """``message`` compressed through the engine (itself when nothing changed or on failure).

    ``history`` is the conversation before it as the model saw it: a repeat of one of its tool results
    becomes a pointer plus what changed. ``retrieve_tool``: the model has ``headroom_retrieve``.
    """
    output = ToolOutput(message.content, message.name, message.tool_call_id)
    earlier = to_engine_messages(history) if history else []
    out = compress_tool_outputs(
        [output], query=query, options=options, model=model, earlier=earlier, retrieve_tool=retrieve_tool
    )
    if out.savings is None or not out.changed[0]:
        return ToolResult(message, out.savings)
    return ToolResult(with_account(message, out.savings, content=out.contents[0]), out.savings)


def with_account(message: ToolMessage, savings: Savings, *, content: Any = None) -> ToolMessage:
    """A copy of ``message`` (with ``content`` when given) carrying its persisted account: done, never again."""
    account = savings.to_dict()
    persisted = {key: account[key] for key in _PERSISTED}
    metadata = {**(message.response_metadata or {}), HEADROOM_KEY: persisted}
    update: dict[str, Any] = {"response_metadata": metadata}
    if content is not None:
        update["content"] = content
    return message.model_copy(update=update)


def compress_tool_results(
    messages: Sequence[BaseMessage], options: EngineOptions, model: str, *, retrieve_tool: bool = True
) -> tuple[list[BaseMessage], list[ToolResult]]:
    """Every not yet compressed tool message compressed against its own turn; plus each outcome."""
    out = list(messages)
    results: list[ToolResult] = []
    engine_view = to_engine_messages(messages)
    for index, message in enumerate(messages):
        if not isinstance(message, ToolMessage) or is_compressed(message):
            continue
        query = turn_query(engine_view, index)
        result = compress_tool_message(message, query, options, model, out[:index], retrieve_tool=retrieve_tool)
        out[index] = result.message
        results.append(result)
    return out, results
