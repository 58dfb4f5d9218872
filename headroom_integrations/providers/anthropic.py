"""Anthropic: token counts from the API when reachable, and cache_control breakpoints on the stable prefix."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from ..engine.config import HeadroomConfig
from ..engine.tokens import TokenCount, get_tokenizer
from .base import Provider, check_flag

__all__ = ["MAX_CACHE_BREAKPOINTS", "AnthropicProvider", "AnthropicTokenCounter"]

logger = logging.getLogger(__name__)

# Anthropic accepts at most four cache_control breakpoints per request.
MAX_CACHE_BREAKPOINTS = 4
_EPHEMERAL = {"type": "ephemeral"}
# Block types that may carry cache_control (thinking blocks may not).
_CACHEABLE = ("text", "image", "document", "tool_use", "tool_result", "search_result")


def _split_system(messages: Any) -> tuple[str, list[Any]]:
    system = [m.get("content") for m in messages if isinstance(m, Mapping) and m.get("role") == "system"]
    rest = [m for m in messages if not (isinstance(m, Mapping) and m.get("role") == "system")]
    return "\n\n".join(s for s in system if isinstance(s, str)), rest


class AnthropicTokenCounter:
    """Counts for one Claude model: the API's ``messages.count_tokens`` when a sync client reaches it.

    Without a client, with an async client, or once the API cannot be
    reached, counts are the engine's calibrated estimate and say so
    (``TokenCount.is_estimate``). ``count_text`` is always the estimate: the
    API counts whole requests, not bare text.
    """

    def __init__(self, model: str, client: Any = None) -> None:
        self.model = model
        self._client = client
        self._estimator = get_tokenizer(model)
        create = getattr(getattr(client, "messages", None), "count_tokens", None)
        self._reachable = callable(create) and not inspect.iscoroutinefunction(create)

    @property
    def uses_api(self) -> bool:
        """Whether the next :meth:`count_messages` asks the API (False after it proved unreachable)."""
        return self._reachable

    def count_text(self, text: str) -> TokenCount:
        return self._estimator.count_text(text)

    def count_messages(self, messages: Any) -> TokenCount:
        if self._reachable:
            system, rest = _split_system(messages)
            kwargs: dict[str, Any] = {"model": self.model, "messages": rest}
            if system:
                kwargs["system"] = system
            try:
                result = self._client.messages.count_tokens(**kwargs)
                return TokenCount(int(result.input_tokens), is_estimate=False, method="anthropic:count_tokens")
            except Exception as exc:  # any API failure degrades to the estimate, never fails the caller
                import anthropic

                if isinstance(exc, anthropic.APIConnectionError):
                    self._reachable = False
                logger.warning("Anthropic count_tokens failed (%r); using the calibrated estimate", exc)
        return self._estimator.count_messages(messages)


def _has_breakpoint(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "cache_control" in value or any(_has_breakpoint(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_breakpoint(v) for v in value)
    return False


def _count_breakpoints(value: Any) -> int:
    if isinstance(value, Mapping):
        own = 1 if value.get("cache_control") is not None else 0
        return own + sum(_count_breakpoints(v) for k, v in value.items() if k != "cache_control")
    if isinstance(value, list):
        return sum(_count_breakpoints(v) for v in value)
    return 0


def _marked_blocks(content: Any) -> list[Any] | None:
    """``content`` as blocks whose last cacheable block has a breakpoint; None if none can take one."""
    if isinstance(content, str):
        return [{"type": "text", "text": content, "cache_control": dict(_EPHEMERAL)}] if content else None
    if not isinstance(content, list):
        return None
    for i in range(len(content) - 1, -1, -1):
        block = content[i]
        if not isinstance(block, Mapping) or block.get("type") not in _CACHEABLE:
            continue
        if block.get("type") == "text" and not block.get("text"):
            continue  # the API rejects cache_control on empty text
        blocks = list(content)
        blocks[i] = {**block, "cache_control": dict(_EPHEMERAL)}
        return blocks
    return None


class AnthropicProvider(Provider):
    """Claude models: exact counts through the SDK when given a client, prompt caching via breakpoints.

    With ``enable_cache_control`` the request HeadroomClient sends gets
    ``cache_control: {"type": "ephemeral"}`` on the last tool definition, on
    the system prompt and on the last message: the compressed conversation is
    byte-stable, so each request's whole prefix is read back from the cache on
    the next call of the loop. Breakpoints the caller set are kept and counted
    against Anthropic's limit of four; a part that already has one is left alone.
    """

    name = "anthropic"

    def __init__(
        self,
        client: Any = None,
        enable_cache_control: bool = True,
        *,
        config: HeadroomConfig | None = None,
        context_limits: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(config=config, context_limits=context_limits)
        self.client = client
        self.enable_cache_control = check_flag("enable_cache_control", enable_cache_control)

    def get_token_counter(self, model: str) -> AnthropicTokenCounter:
        return AnthropicTokenCounter(model, self.client)

    def prepare_request(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with breakpoints on tools, system and the last message (copies; the input is untouched)."""
        if not self.enable_cache_control:
            return params
        out = dict(params)
        used = _count_breakpoints({k: out.get(k) for k in ("tools", "system", "messages")})
        used += 1 if out.get("cache_control") is not None else 0  # top-level automatic caching takes a slot
        tools = out.get("tools")
        if used < MAX_CACHE_BREAKPOINTS and isinstance(tools, list) and tools and not _has_breakpoint(tools):
            last = tools[-1]
            if isinstance(last, Mapping):
                out["tools"] = [*tools[:-1], {**last, "cache_control": dict(_EPHEMERAL)}]
                used += 1
        system = out.get("system")
        if used < MAX_CACHE_BREAKPOINTS and system and not _has_breakpoint(system):
            marked = _marked_blocks(system)
            if marked is not None:
                out["system"] = marked
                used += 1
        messages = out.get("messages")
        if used < MAX_CACHE_BREAKPOINTS and isinstance(messages, list) and messages:
            last_msg = messages[-1]
            if isinstance(last_msg, Mapping) and not _has_breakpoint(last_msg.get("content")):
                marked = _marked_blocks(last_msg.get("content"))
                if marked is not None:
                    out["messages"] = [*messages[:-1], {**last_msg, "content": marked}]
        return out

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "enable_cache_control": self.enable_cache_control,
            "token_counting": "api" if self.get_token_counter("claude").uses_api else "estimate",
        }
