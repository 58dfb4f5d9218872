"""LangChain messages <-> the engine's OpenAI-format dicts, without losing anything.

The engine only ever rewrites *text*. So the way back does not rebuild messages
from dicts: it copies the original LangChain message and writes the changed text
parts into the copy (found with the engine's own text-slot walker). ids, names,
``additional_kwargs``, ``response_metadata``, tool calls, ``tool_call_id``,
``status``, ``artifact`` and every non-text content block (images, files,
``tool_use``, thinking) survive untouched. Unchanged messages come back as the
very same objects.

Typical use (any integration)::

    out = compress_messages(messages, "gpt-4o", token_budget=8000)
    out.messages          # list[BaseMessage] to send
    out.result.summary()  # what it saved
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)

from ..engine.compress import CompressResult, compress
from ..engine.messages import iter_text_slots
from ..engine.models import DEFAULT_MODEL

__all__ = ["CompressedMessages", "compress_messages", "from_engine_messages", "to_engine_messages"]


def _role(message: BaseMessage) -> str:
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, FunctionMessage):
        return "function"
    if isinstance(message, ChatMessage):
        return message.role
    return message.type


def _openai_tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    calls = [
        {
            "id": call.get("id"),
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": json.dumps(call.get("args", {}), ensure_ascii=False),
            },
        }
        for call in message.tool_calls
    ]
    calls.extend(
        {
            "id": call.get("id"),
            "type": "function",
            "function": {"name": call.get("name") or "", "arguments": call.get("args") or ""},
        }
        for call in message.invalid_tool_calls
    )
    return calls


def to_engine_message(message: BaseMessage) -> dict[str, Any]:
    """One LangChain message as an OpenAI-format dict the engine reads.

    ``content`` is the message's own string or block list (not copied: the
    engine never mutates its input), so block indices match one to one.
    """
    out: dict[str, Any] = {"role": _role(message), "content": message.content}
    if message.name:
        out["name"] = message.name
    if isinstance(message, AIMessage):
        calls = _openai_tool_calls(message)
        if calls:
            out["tool_calls"] = calls
    elif isinstance(message, ToolMessage):
        out["tool_call_id"] = message.tool_call_id
    return out


def to_engine_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages as OpenAI-format dicts, index for index."""
    return [to_engine_message(m) for m in messages]


def _replace_at(container: Any, path: tuple[Any, ...], text: str) -> Any:
    """``container`` with the string at ``path`` replaced, copying only along the path."""
    if not path:
        return text
    head, rest = path[0], path[1:]
    copied = list(container) if isinstance(container, list) else dict(container)
    copied[head] = _replace_at(container[head], rest, text)
    return copied


def _with_engine_text(original: BaseMessage, before: Mapping[str, Any], after: Mapping[str, Any]) -> BaseMessage:
    """A copy of ``original`` whose text parts are those of the engine's ``after``."""
    old = {slot.path: slot.text for slot in iter_text_slots([before])}
    new = {slot.path: slot.text for slot in iter_text_slots([after])}
    if old.keys() != new.keys():
        # The engine only rewrites text; if the block layout differs anyway, its content wins whole.
        content: Any = after.get("content")
    else:
        content = original.content
        for path, text in new.items():
            if old[path] != text:
                content = _replace_at(content, path[1:], text)
    return original.model_copy(update={"content": content})


def from_engine_messages(
    originals: Sequence[BaseMessage],
    sent: Sequence[Mapping[str, Any]],
    returned: Sequence[Mapping[str, Any]],
    source_indices: Sequence[int | None],
) -> list[BaseMessage]:
    """Map the engine's output back onto the original LangChain messages.

    ``sent`` is what :func:`to_engine_messages` produced for ``originals``;
    ``returned``/``source_indices`` come from the engine's result. A returned
    dict that *is* the sent one maps to the original object; a changed one to a
    copy with new text; ``None`` (a note the engine inserted) to a new message.
    """
    out: list[BaseMessage] = []
    for message, source in zip(returned, source_indices, strict=False):
        if source is None:
            out.append(convert_to_messages([dict(message)])[0])
        elif message is sent[source]:
            out.append(originals[source])
        else:
            out.append(_with_engine_text(originals[source], sent[source], message))
    return out


@dataclass(frozen=True)
class CompressedMessages:
    """LangChain messages ready to send plus the engine's account of what changed."""

    messages: list[BaseMessage]
    result: CompressResult


def compress_messages(
    messages: Sequence[BaseMessage], model: str = DEFAULT_MODEL, **options: Any
) -> CompressedMessages:
    """Compress LangChain messages through the engine (``options`` as for ``engine.compress``)."""
    originals = list(messages)
    sent = to_engine_messages(originals)
    result = compress(sent, model, **options)
    return CompressedMessages(from_engine_messages(originals, sent, result.messages, result.source_indices), result)
