"""Agno ``Message`` objects <-> the engine's OpenAI-format dicts, without losing anything.

The engine only rewrites text. So the way back never rebuilds a message from
its dict: a changed message is a copy of the original Agno message with only
``content`` replaced (the engine already wrote the new text into a copy of
the original content, block layout included). Images, audio, files, videos,
tool calls, ``tool_call_id``, ``tool_name``, metrics, provider data and every
other field ride along untouched; unchanged messages come back as the very
same objects, and the caller's list and messages are never mutated.

A tool result Agno already compressed (``compressed_content``, sent when the
agent runs with ``compress_tool_results``) is read as what the provider will
see; after Headroom rewrites it, the copy carries the new text as ``content``
and no ``compressed_content``, so the provider sends Headroom's text either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agno.models.message import Message

from ..engine.compress import CompressResult, compress
from ..engine.messages import tool_result_query, turn_query
from ..engine.models import DEFAULT_MODEL

__all__ = ["CompressedAgnoMessages", "compress_agno_messages", "tool_query", "turn_queries", "to_engine_messages"]


def _sent_content(message: Message, use_compressed_content: bool) -> Any:
    """The content a provider sends for ``message`` (Agno's own rule, ``Message.get_content``)."""
    return message.get_content(use_compressed_content=use_compressed_content and message.role == "tool")


def to_engine_message(message: Message, *, use_compressed_content: bool = False) -> dict[str, Any]:
    """One Agno message as the OpenAI-format dict the engine reads (content is not copied)."""
    out: dict[str, Any] = {"role": message.role, "content": _sent_content(message, use_compressed_content)}
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id
        name = message.tool_name or message.name
        if name:
            out["name"] = name
    elif message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = message.tool_calls
    return out


def to_engine_messages(messages: Sequence[Message], *, use_compressed_content: bool = False) -> list[dict[str, Any]]:
    """Agno messages as engine dicts, index for index."""
    return [to_engine_message(m, use_compressed_content=use_compressed_content) for m in messages]


def tool_query(history: Sequence[Message] | None, args: Any) -> str:
    """The engine's query for a tool result that follows ``history``, from a call with ``args``."""
    return tool_result_query(to_engine_messages(history or ()), args)


def turn_queries(messages: Sequence[Message], results: Sequence[Message]) -> list[str]:
    """The engine's query of each of ``results`` (tool messages within ``messages``): its own turn."""
    view = to_engine_messages(messages)
    position = {id(m): i for i, m in enumerate(messages)}
    return [turn_query(view, position[id(m)]) for m in results]


def _back(originals: Sequence[Message], sent: Sequence[Mapping[str, Any]], result: CompressResult) -> list[Message]:
    out: list[Message] = []
    for message, source in zip(result.messages, result.source_indices, strict=True):
        if source is None:  # a note the engine inserted (history management)
            out.append(Message(role=str(message.get("role") or "user"), content=message.get("content")))
        elif message is sent[source]:
            out.append(originals[source])
        else:
            out.append(
                originals[source].model_copy(update={"content": message.get("content"), "compressed_content": None})
            )
    return out


@dataclass(frozen=True)
class CompressedAgnoMessages:
    """Agno messages ready to send plus the engine's account of what changed."""

    messages: list[Message]
    result: CompressResult


def compress_agno_messages(
    messages: Sequence[Message],
    model: str = DEFAULT_MODEL,
    *,
    use_compressed_content: bool = False,
    **options: Any,
) -> CompressedAgnoMessages:
    """Compress a conversation of Agno messages (``options`` as for ``engine.compress``).

    Results of the retrieve tool are always sent whole (the engine never recompresses them).
    """
    originals = list(messages)
    sent = to_engine_messages(originals, use_compressed_content=use_compressed_content)
    result = compress(sent, model, **options)
    return CompressedAgnoMessages(_back(originals, sent, result), result)
