"""Anthropic prompt-cache breakpoints on a request's stable prefix, and the cache tokens a provider reports.

Headroom makes every request's prefix byte-stable (each tool result is
compressed once, against its own turn), so a provider's prompt cache can serve
it again on the next call of an agent loop. Anthropic caches only up to
``cache_control: {"type": "ephemeral"}`` breakpoints, at most
:data:`MAX_CACHE_BREAKPOINTS` per request. :func:`plan_breakpoints` decides
where they go, on plain Anthropic-shaped data, for every caller (the
``AnthropicProvider`` of HeadroomClient, the LangChain chat model and
middleware), in this order while slots are left:

1. the last tool definition (tools come first in Anthropic's prefix),
2. the system prompt,
3. the last message (this request's whole prefix is written to the cache),
4. the message the previous request ended with, the one right before the last
   assistant reply (the prefix that request wrote is read back).

Breakpoints the caller set are kept and take slots; a part that has one
already is left alone. The choice depends only on the request, so the same
request gets the same breakpoints on every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_CACHE_BREAKPOINTS",
    "Breakpoints",
    "CacheUsage",
    "as_blocks",
    "count_breakpoints",
    "ephemeral",
    "has_breakpoint",
    "mark_content",
    "plan_breakpoints",
]

# Anthropic accepts at most four cache_control breakpoints per request.
MAX_CACHE_BREAKPOINTS = 4
# Block types that may carry cache_control (thinking blocks may not).
_CACHEABLE = ("text", "image", "document", "tool_use", "tool_result", "search_result")


@dataclass(frozen=True)
class CacheUsage:
    """Prompt-cache tokens a provider reported for one response (0 where it reported none)."""

    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def plus(self, other: CacheUsage) -> CacheUsage:
        return CacheUsage(
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
        )


def ephemeral() -> dict[str, str]:
    """A fresh ``{"type": "ephemeral"}`` marker (never shared between requests)."""
    return {"type": "ephemeral"}


def has_breakpoint(value: Any) -> bool:
    """Whether ``value`` (a block, a list of them, a tool, any nesting) carries a ``cache_control``."""
    return count_breakpoints(value) > 0


def count_breakpoints(value: Any) -> int:
    """How many ``cache_control`` markers ``value`` holds, at any depth."""
    if isinstance(value, Mapping):
        own = 1 if value.get("cache_control") is not None else 0
        return own + sum(count_breakpoints(v) for k, v in value.items() if k != "cache_control")
    if isinstance(value, list):
        return sum(count_breakpoints(v) for v in value)
    return 0


def _takes_breakpoint(block: Any) -> bool:
    if not isinstance(block, Mapping) or block.get("type") not in _CACHEABLE:
        return False
    text = block.get("text")
    # Anthropic rejects cache_control on empty or whitespace-only text.
    return block.get("type") != "text" or (isinstance(text, str) and bool(text.strip()))


def as_blocks(content: Any) -> Any:
    """Non-blank string content as one text block; anything else unchanged.

    A caller that may mark a message in one request and not in the next sends
    its content in block form every time, so the prefix keeps the same shape
    whether a breakpoint sits on it or not.
    """
    if isinstance(content, str) and content.strip():
        return [{"type": "text", "text": content}]
    return content


def mark_content(content: Any) -> list[Any] | None:
    """``content`` as blocks whose last cacheable block has a breakpoint; None if none can take one."""
    blocks = as_blocks(content)
    if not isinstance(blocks, list):
        return None
    for i in range(len(blocks) - 1, -1, -1):
        if _takes_breakpoint(blocks[i]):
            marked = list(blocks)
            marked[i] = {**blocks[i], "cache_control": ephemeral()}
            return marked
    return None


@dataclass(frozen=True)
class Breakpoints:
    """Where to add breakpoints: on the last tool, on the system prompt, on these message indices."""

    tool: bool = False
    system: bool = False
    messages: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return int(self.tool) + int(self.system) + len(self.messages)


def _previous_end(roles: Sequence[str]) -> int | None:
    """Index of the message right before the last assistant reply (the previous request's end)."""
    for i in range(len(roles) - 2, 0, -1):
        if roles[i] == "assistant":
            return i - 1
    return None


def plan_breakpoints(
    *,
    last_tool: bool,
    tools_marked: bool,
    system: Any,
    messages: Sequence[tuple[str, Any]],
    used: int,
) -> Breakpoints:
    """The breakpoints to add to one request (see the module doc for the order).

    ``last_tool``: the request has a last tool definition that can carry a
    breakpoint; ``tools_marked``: whether any tool already has one; ``system``: the system content (None
    if none); ``messages``: ``(role, content)`` per message, content None where
    the caller cannot place a breakpoint; ``used``: breakpoints already in the
    request (the caller's own, a top-level ``cache_control`` included).
    """
    slots = MAX_CACHE_BREAKPOINTS - used
    tool = slots > 0 and last_tool and not tools_marked
    slots -= int(tool)
    mark_system = slots > 0 and not has_breakpoint(system) and mark_content(system) is not None
    slots -= int(mark_system)
    chosen: list[int] = []
    roles = [role for role, _ in messages]
    candidates = [len(messages) - 1] if messages else []
    previous = _previous_end(roles)
    if previous is not None:
        candidates.append(previous)
    for index in candidates:
        content = messages[index][1]
        if slots > 0 and not has_breakpoint(content) and mark_content(content) is not None:
            chosen.append(index)
            slots -= 1
    return Breakpoints(tool=tool, system=mark_system, messages=tuple(sorted(chosen)))
