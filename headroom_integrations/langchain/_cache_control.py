"""Anthropic prompt caching for LangChain: breakpoints on the messages and tools ``ChatAnthropic`` receives.

The engine decides where breakpoints go
(:func:`~headroom_integrations.engine.cache_control.plan_breakpoints`); this
module maps LangChain's shapes onto it and back. langchain-anthropic forwards
``cache_control`` from a message's content blocks (a ``ToolMessage``'s is
hoisted onto its ``tool_result`` block), from Anthropic-format tool dicts and
from a ``BaseTool``'s ``extras``. AI messages are never marked: their tool
calls are rebuilt from ``tool_calls``, which drops block keys.

It also reads the prompt-cache tokens back: LangChain providers report them in
``AIMessage.usage_metadata["input_token_details"]`` (``cache_read``,
``cache_creation``; ChatAnthropic splits creation by TTL when the API does).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.tools import BaseTool

from ..engine.cache_control import (
    CacheUsage,
    as_blocks,
    count_breakpoints,
    ephemeral,
    mark_content,
    plan_breakpoints,
)

__all__ = [
    "OPTION",
    "add_breakpoints",
    "cache_metadata",
    "cache_usage",
    "has_top_level",
    "is_anthropic",
    "log_not_anthropic",
    "provider_of",
]

logger = logging.getLogger(__name__)

OPTION = "anthropic_cache_control"
_CREATION_KEYS = ("cache_creation", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
_TOOL_DEFINITION = "provider_tool_definition"  # a BaseTool standing for an Anthropic built-in tool


def provider_of(model: Any) -> str | None:
    """The ``ls_provider`` a chat model reports (None when it reports none)."""
    if not isinstance(model, BaseChatModel):
        return None
    try:
        provider = model._get_ls_params().get("ls_provider")
    except Exception:  # a provider's ls params must never break the call
        return None
    return provider if isinstance(provider, str) else None


def is_anthropic(model: Any) -> bool:
    """Whether ``model`` sends Anthropic's Messages API (``ChatAnthropic`` and its subclasses)."""
    return provider_of(model) == "anthropic"


# --- breakpoints ----------------------------------------------------------------------------


def _tool_breakpoints(tool: Any) -> int:
    if isinstance(tool, BaseTool):
        return count_breakpoints(dict(tool.extras or {}))
    return count_breakpoints(tool)


def _marked_tool(tool: Any) -> Any:
    """``tool`` (a copy) with a breakpoint langchain-anthropic forwards; None when it cannot carry one."""
    if isinstance(tool, Mapping):
        return {**tool, "cache_control": ephemeral()}
    if isinstance(tool, BaseTool):
        extras = dict(tool.extras or {})
        definition = extras.get(_TOOL_DEFINITION)
        if isinstance(definition, Mapping):
            extras[_TOOL_DEFINITION] = {**definition, "cache_control": ephemeral()}
        else:
            extras["cache_control"] = ephemeral()
        return tool.model_copy(update={"extras": extras})
    return None


def _with_content(message: BaseMessage, content: Any) -> BaseMessage:
    return message if content is message.content else message.model_copy(update={"content": content})


def has_top_level(model: Any, call_kwargs: Mapping[str, Any]) -> bool:
    """Whether the call carries ChatAnthropic's top-level ``cache_control`` (automatic caching: one slot)."""
    model_kwargs = getattr(model, "model_kwargs", None)
    in_model = isinstance(model_kwargs, Mapping) and model_kwargs.get("cache_control") is not None
    return in_model or call_kwargs.get("cache_control") is not None


def add_breakpoints(
    messages: Sequence[BaseMessage], tools: Sequence[Any] | None, *, top_level: bool = False
) -> tuple[list[BaseMessage], list[Any] | None]:
    """``messages`` and ``tools`` (copies) with breakpoints on the stable prefix; the inputs are untouched.

    Non-AI string contents are sent as one text block every time, so a message
    has the same shape whether this request marks it or a later one does not.
    ``top_level``: the call also carries a top-level ``cache_control`` (one slot).
    """
    tools = list(tools) if tools is not None else None
    has_system = bool(messages) and isinstance(messages[0], SystemMessage)
    rest = list(messages[1:] if has_system else messages)
    used = int(top_level) + sum(count_breakpoints(m.content) for m in messages)
    used += sum(_tool_breakpoints(t) for t in tools or ())
    last_tool = tools[-1] if tools else None
    plan = plan_breakpoints(
        last_tool=last_tool is not None and _marked_tool(last_tool) is not None,
        tools_marked=any(_tool_breakpoints(t) for t in tools or ()),
        system=messages[0].content if has_system else None,
        messages=[("assistant", None) if isinstance(m, AIMessage) else ("user", m.content) for m in rest],
        used=used,
    )
    sent = [m if isinstance(m, AIMessage) else _with_content(m, as_blocks(m.content)) for m in rest]
    for index in plan.messages:
        sent[index] = _with_content(rest[index], mark_content(rest[index].content))
    if has_system:
        system = messages[0]
        content = mark_content(system.content) if plan.system else as_blocks(system.content)
        sent.insert(0, _with_content(system, content))
    if plan.tool and tools:
        tools[-1] = _marked_tool(tools[-1])
    return sent, tools


# --- cache tokens in the response -------------------------------------------------------------


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def cache_usage(messages: Iterable[Any]) -> CacheUsage:
    """The prompt-cache tokens the provider reported on these replies (or stream chunks), summed."""
    total = CacheUsage()
    for message in messages:
        usage = getattr(message, "usage_metadata", None)
        details = usage.get("input_token_details") if isinstance(usage, Mapping) else None
        if isinstance(details, Mapping):
            created = sum(_count(details.get(k)) for k in _CREATION_KEYS)
            total = total.plus(CacheUsage(_count(details.get("cache_read")), created))
    return total


def cache_metadata(usage: CacheUsage) -> dict[str, int]:
    """The ``headroom_cache_*`` run metadata of one answered call."""
    return {
        "headroom_cache_read_input_tokens": usage.cache_read_input_tokens,
        "headroom_cache_creation_input_tokens": usage.cache_creation_input_tokens,
    }


_LOGGED: set[tuple[str, str]] = set()


def log_not_anthropic(owner: str, model: Any) -> None:
    """Say why no breakpoints were added (the model is not Anthropic's), once per component and model class."""
    key = (owner, type(model).__name__)
    if key in _LOGGED:
        return
    _LOGGED.add(key)
    logger.info(
        "%s: %s=True has no effect on %s (ls_provider %r): only Anthropic's API takes cache_control",
        owner,
        OPTION,
        type(model).__name__,
        provider_of(model),
    )
