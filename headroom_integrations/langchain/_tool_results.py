"""Compress tool results once, against the question they answer, so they stay byte-stable.

A tool result is compressed with a query made of the user turn it answers and
the arguments of the call that produced it, never the latest turn: the same
result then compresses to the same bytes on every later turn (the engine is
deterministic), and a provider's prompt cache keeps hitting the prefix.
A compressed :class:`ToolMessage` is a copy whose ``response_metadata``
carries ``"headroom"`` (what was saved, the refs to get the rest back); that
key also marks it as done, so nothing is compressed twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from ..engine.options import EngineOptions
from ..engine.tool_results import ToolOutput, compress_tool_outputs

__all__ = [
    "HEADROOM_KEY",
    "ToolResult",
    "compress_tool_message",
    "compress_tool_results",
    "is_compressed",
    "tool_query",
]

HEADROOM_KEY = "headroom"
# Argument text beyond this adds noise, not relevance (e.g. a file body passed to a write tool).
_MAX_ARGS_CHARS = 2_000
# Persisted with the message: deterministic fields only (no timings), so state stays byte-stable.
_PERSISTED = ("tokens_before", "tokens_after", "tokens_saved", "savings_percent", "transforms", "refs")


@dataclass(frozen=True)
class ToolResult:
    """A tool message after compression and the per-call savings summary (None if it failed open)."""

    message: BaseMessage
    summary: dict[str, Any] | None

    @property
    def changed(self) -> bool:
        return self.summary is not None and HEADROOM_KEY in self.message.response_metadata


def is_compressed(message: BaseMessage) -> bool:
    """Whether Headroom already compressed this tool message, by the account it carries.

    Not the engine's text-marker check (which still applies): the persisted
    account also marks output that carries no marker, and spares the engine call.
    """
    return isinstance(message, ToolMessage) and HEADROOM_KEY in (message.response_metadata or {})


def _scalars(value: Any) -> Iterator[str]:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, (str, int, float)):
        yield str(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _scalars(item)


def tool_query(history: Sequence[BaseMessage], args: Mapping[str, Any] | None) -> str:
    """The latest user turn in ``history`` plus the call's argument values."""
    human = next((m.text for m in reversed(history) if isinstance(m, HumanMessage)), "")
    call = " ".join(_scalars(args or {}))[:_MAX_ARGS_CHARS]
    return "\n".join(part for part in (human, call) if part)


def compress_tool_message(message: ToolMessage, query: str, options: EngineOptions, model: str) -> ToolResult:
    """``message`` compressed through the engine (itself when nothing changed or on failure)."""
    output = ToolOutput(message.content, message.name, message.tool_call_id)
    out = compress_tool_outputs([output], query=query, options=options, model=model)
    if out.summary is None or not out.changed[0]:
        return ToolResult(message, out.summary)
    persisted = {key: out.summary[key] for key in _PERSISTED}
    metadata = {**(message.response_metadata or {}), HEADROOM_KEY: persisted}
    compressed = message.model_copy(update={"content": out.contents[0], "response_metadata": metadata})
    return ToolResult(compressed, out.summary)


def _call_args(history: Sequence[BaseMessage], tool_call_id: str) -> Mapping[str, Any] | None:
    for message in reversed(history):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call.get("id") == tool_call_id:
                    return call.get("args")
    return None


def compress_tool_results(
    messages: Sequence[BaseMessage], options: EngineOptions, model: str
) -> tuple[list[BaseMessage], list[ToolResult]]:
    """Every not yet compressed tool message compressed against its own turn; plus each outcome."""
    out = list(messages)
    results: list[ToolResult] = []
    for index, message in enumerate(messages):
        if not isinstance(message, ToolMessage) or is_compressed(message):
            continue
        history = messages[:index]
        query = tool_query(history, _call_args(history, message.tool_call_id))
        result = compress_tool_message(message, query, options, model)
        out[index] = result.message
        results.append(result)
    return out, results
