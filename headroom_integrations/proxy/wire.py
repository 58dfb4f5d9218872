"""Where each provider's wire format carries its messages, and how to put compressed ones back.

OpenAI chat completions carry ``messages`` as the engine reads them. Anthropic
messages keep the system prompt top-level and tool results as ``tool_result``
blocks inside user turns; the engine reads those blocks in place, so the only
conversion is lending the system prompt a ``system`` message (for counting
and context) and taking it back. Every other field and block is untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ANTHROPIC", "OPENAI", "Wire"]


def _openai_messages(body: dict[str, Any]) -> list[Any] | None:
    messages = body.get("messages")
    return messages if isinstance(messages, list) else None


def _openai_rebuild(body: dict[str, Any], messages: list[Any]) -> dict[str, Any]:
    return {**body, "messages": messages}


def _anthropic_messages(body: dict[str, Any]) -> list[Any] | None:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    system = body.get("system")
    return [{"role": "system", "content": system}, *messages] if system is not None else list(messages)


def _anthropic_rebuild(body: dict[str, Any], messages: list[Any]) -> dict[str, Any]:
    if body.get("system") is None:
        return {**body, "messages": messages}
    return {**body, "system": messages[0]["content"], "messages": messages[1:]}


@dataclass(frozen=True)
class Wire:
    """One pass-through format: its route name, upstream path and message accessors."""

    route: str
    upstream_path: str
    messages: Callable[[dict[str, Any]], list[Any] | None]
    rebuild: Callable[[dict[str, Any], list[Any]], dict[str, Any]]


OPENAI = Wire("openai", "/chat/completions", _openai_messages, _openai_rebuild)
ANTHROPIC = Wire("anthropic", "/v1/messages", _anthropic_messages, _anthropic_rebuild)
