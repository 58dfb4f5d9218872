"""Reading and editing OpenAI-format messages without losing anything.

The engine speaks OpenAI chat dicts (``role``, ``content`` as a string or a list
of content blocks, ``tool_calls``, ``tool_call_id``, ``name``) and also reads
Anthropic-style ``tool_use`` / ``tool_result`` blocks. Compression only ever
changes *text*; these helpers find every text part (a :class:`TextSlot`) and
write new text back into copies, so every other key survives untouched.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TextSlot",
    "group_units",
    "iter_text_slots",
    "latest_user_text",
    "message_text",
    "replace_texts",
    "result_call_id",
    "tool_names_by_call_id",
    "tool_result_query",
    "turn_query",
]

# Argument text beyond this adds noise, not relevance (e.g. a file body passed to a write tool).
_MAX_ARGS_CHARS = 2_000

Message = Mapping[str, Any]
Path = tuple[Any, ...]


@dataclass(frozen=True)
class TextSlot:
    """One text part of one message.

    ``kind`` is ``"tool"`` for tool results (OpenAI ``role: tool`` content or an
    Anthropic ``tool_result`` block), otherwise the message role.
    ``path`` locates the string inside the message (e.g. ``("content",)`` or
    ``("content", 2, "text")``).
    """

    index: int
    path: Path
    kind: str
    text: str
    tool_name: str | None = None


def _block_type(block: Any) -> str | None:
    return block.get("type") if isinstance(block, Mapping) else None


def _calls_of(msg: Any) -> Iterator[tuple[str, str]]:
    """(call id, function name) of every tool call one message makes."""
    if not isinstance(msg, Mapping):
        return
    for call in msg.get("tool_calls") or ():
        if isinstance(call, Mapping) and isinstance(call.get("id"), str):
            fn = call.get("function")
            name = fn.get("name") if isinstance(fn, Mapping) else call.get("name")
            if isinstance(name, str):
                yield call["id"], name
    content = msg.get("content")
    if isinstance(content, list):
        for block in content:
            if _block_type(block) == "tool_use" and isinstance(block.get("id"), str):
                yield block["id"], str(block.get("name") or "")


def tool_names_by_call_id(messages: Sequence[Message]) -> dict[str, str]:
    """Map tool-call ids to the function name that produced them (the last call of an id wins)."""
    return {call_id: name for msg in messages for call_id, name in _calls_of(msg)}


def iter_text_slots(messages: Sequence[Message]) -> Iterator[TextSlot]:
    """Every text part of every message, in order (malformed messages are skipped).

    A tool result is named after the latest call with its id *before* it, so a
    provider that reuses call ids on a later turn never renames an earlier
    result (a result before any call of its id falls back to the last one).
    """
    later = tool_names_by_call_id(messages)
    seen: dict[str, str] = {}
    for index, msg in enumerate(messages):
        seen.update(_calls_of(msg))
        names = _NamesSoFar(seen, later)
        if not isinstance(msg, Mapping):
            continue
        role = str(msg.get("role") or "")
        kind = "tool" if role in ("tool", "function") else role
        tool_name = names.get(msg.get("tool_call_id") or "") or msg.get("name") if kind == "tool" else None
        content = msg.get("content")
        if isinstance(content, str):
            yield TextSlot(index, ("content",), kind, content, tool_name)
            continue
        if not isinstance(content, list):
            continue
        for i, block in enumerate(content):
            btype = _block_type(block)
            if btype == "text" and isinstance(block.get("text"), str):
                yield TextSlot(index, ("content", i, "text"), kind, block["text"], tool_name)
            elif btype == "tool_result":
                result_name = names.get(block.get("tool_use_id") or "")
                inner = block.get("content")
                if isinstance(inner, str):
                    yield TextSlot(index, ("content", i, "content"), "tool", inner, result_name)
                elif isinstance(inner, list):
                    for j, part in enumerate(inner):
                        if _block_type(part) == "text" and isinstance(part.get("text"), str):
                            yield TextSlot(
                                index, ("content", i, "content", j, "text"), "tool", part["text"], result_name
                            )


class _NamesSoFar:
    """Call-id lookups that prefer the calls seen so far over the conversation's last ones."""

    __slots__ = ("later", "seen")

    def __init__(self, seen: Mapping[str, str], later: Mapping[str, str]) -> None:
        self.seen, self.later = seen, later

    def get(self, call_id: Any, default: str | None = None) -> str | None:
        if not isinstance(call_id, str):
            return default
        return self.seen.get(call_id) or self.later.get(call_id) or default


def replace_texts(messages: Sequence[Message], new_texts: Mapping[tuple[int, Path], str]) -> list[Any]:
    """A new message list with the given slots' text replaced.

    Messages without changes are the same objects (cheap, and callers never
    mutate them); changed messages are deep copies, so the input is never touched.
    """
    by_index: dict[int, list[tuple[Path, str]]] = {}
    for (index, path), text in new_texts.items():
        by_index.setdefault(index, []).append((path, text))
    out: list[Any] = list(messages)
    for index, edits in by_index.items():
        msg = copy.deepcopy(messages[index])
        for path, text in edits:
            target: Any = msg
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = text
        out[index] = msg
    return out


def message_text(msg: Any) -> str:
    """All the text a model reads from one message: content, tool-call names and arguments."""
    if not isinstance(msg, Mapping):
        return ""
    parts: list[str] = []
    content = msg.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        for block in content:
            btype = _block_type(block)
            if btype == "text" and isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif btype == "tool_use":
                parts.append(f"{block.get('name', '')} {json.dumps(block.get('input'), sort_keys=True)}")
            elif btype == "tool_result":
                inner = block.get("content")
                if isinstance(inner, str):
                    parts.append(inner)
                elif isinstance(inner, list):
                    parts.extend(
                        p["text"] for p in inner if _block_type(p) == "text" and isinstance(p.get("text"), str)
                    )
    for call in msg.get("tool_calls") or ():
        if isinstance(call, Mapping):
            function = call.get("function")
            fn = function if isinstance(function, Mapping) else call
            args = fn.get("arguments", fn.get("args", ""))
            parts.append(f"{fn.get('name', '')} {args if isinstance(args, str) else json.dumps(args)}")
    return "\n".join(parts)


def _is_tool_result_carrier(msg: Message) -> bool:
    content = msg.get("content")
    return isinstance(content, list) and any(_block_type(b) == "tool_result" for b in content)


def latest_user_text(messages: Sequence[Message]) -> str:
    """Text of the most recent user turn (ignoring user messages that only carry tool results)."""
    for msg in reversed(messages):
        if isinstance(msg, Mapping) and msg.get("role") == "user" and not _is_tool_result_carrier(msg):
            return message_text(msg)
    return ""


def _call_ids(msg: Message) -> list[str]:
    ids = [c["id"] for c in msg.get("tool_calls") or () if isinstance(c, Mapping) and isinstance(c.get("id"), str)]
    content = msg.get("content")
    if isinstance(content, list):
        ids.extend(b["id"] for b in content if _block_type(b) == "tool_use" and isinstance(b.get("id"), str))
    return ids


def _result_ids(msg: Message) -> list[str]:
    if msg.get("role") in ("tool", "function") and isinstance(msg.get("tool_call_id"), str):
        return [msg["tool_call_id"]]
    content = msg.get("content")
    if isinstance(content, list):
        return [b["tool_use_id"] for b in content if _block_type(b) == "tool_result" and "tool_use_id" in b]
    return []


def group_units(messages: Sequence[Message]) -> list[list[int]]:
    """Split messages into units that must be kept or dropped together.

    An assistant message with tool calls and the messages carrying their
    results form one unit (OpenAI ``tool`` messages or Anthropic ``tool_result``
    blocks), so dropping a unit can never orphan a call or a result. When other
    messages stand between a call and its result (an odd order), the whole span
    is one unit. Every other message is a unit of its own. Indices are in order
    and cover every message.
    """
    units: list[list[int]] = []
    open_calls: dict[str, int] = {}  # unanswered call id -> position of the unit holding the call
    for index, msg in enumerate(messages):
        if not isinstance(msg, Mapping):
            units.append([index])
            continue
        owners = [open_calls.pop(r) for r in _result_ids(msg) if r in open_calls]
        if owners:
            first = min(owners)
            units[first:] = [[i for unit in units[first:] for i in unit] + [index]]
            open_calls = {call: min(pos, first) for call, pos in open_calls.items()}
        else:
            units.append([index])
        for call in _call_ids(msg):
            open_calls[call] = len(units) - 1
    return units


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


def _call_arguments(messages: Sequence[Message], call_id: str) -> Any:
    """The arguments of the call ``call_id`` (parsed when they are JSON text), None when not found."""
    for msg in reversed(messages):
        if not isinstance(msg, Mapping):
            continue
        for call in msg.get("tool_calls") or ():
            if isinstance(call, Mapping) and call.get("id") == call_id:
                function = call.get("function")
                args = (function if isinstance(function, Mapping) else call).get("arguments")
                if isinstance(args, str):
                    try:
                        return json.loads(args)
                    except ValueError:
                        return args
                return args
        content = msg.get("content")
        if isinstance(content, list):
            for block in content:
                if _block_type(block) == "tool_use" and block.get("id") == call_id:
                    return block.get("input")
    return None


def result_call_id(msg: Message, path: Path) -> str | None:
    """The id of the tool call a tool-result part answers (``tool_call_id`` / ``tool_use_id``), if any."""
    if msg.get("role") in ("tool", "function"):
        call_id = msg.get("tool_call_id")
        return call_id if isinstance(call_id, str) else None
    content = msg.get("content")
    if len(path) > 1 and isinstance(content, list) and isinstance(path[1], int) and path[1] < len(content):
        block = content[path[1]]
        call_id = block.get("tool_use_id") if _block_type(block) == "tool_result" else None
        return call_id if isinstance(call_id, str) else None
    return None


def turn_query(messages: Sequence[Message], index: int, path: Path = ("content",)) -> str:
    """What the text at ``messages[index]`` is compressed against: its own turn, never a later one.

    The latest user turn *before* it, plus, for a tool result, the argument
    values of the call that produced it. A later question never changes this
    query, so (the engine being deterministic) a tool result compresses to
    the same bytes on every hop and provider prompt caches keep hitting.
    """
    earlier = messages[:index]
    msg = messages[index] if 0 <= index < len(messages) else None
    call_id = result_call_id(msg, path) if isinstance(msg, Mapping) else None
    return tool_result_query(earlier, _call_arguments(earlier, call_id) if call_id else None)


def tool_result_query(earlier: Sequence[Message], args: Any) -> str:
    """The query of a tool result that follows ``earlier``, produced by a call with ``args``.

    For components that see a tool result before it joins the conversation
    (tool hooks, middleware); :func:`turn_query` gives the same query once it has.
    """
    human = latest_user_text(earlier)
    values = " ".join(_scalars(args))[:_MAX_ARGS_CHARS]
    return "\n".join(part for part in (human, values) if part)
