"""Anthropic: token counts from the API when reachable, and cache_control breakpoints on the stable prefix."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from ..engine.cache_control import MAX_CACHE_BREAKPOINTS, count_breakpoints, ephemeral, mark_content, plan_breakpoints
from ..engine.config import HeadroomConfig
from ..engine.tokens import TokenCount, get_tokenizer
from .base import Provider, check_flag

__all__ = ["MAX_CACHE_BREAKPOINTS", "AnthropicProvider", "AnthropicTokenCounter"]

logger = logging.getLogger(__name__)


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


class AnthropicProvider(Provider):
    """Claude models: exact counts through the SDK when given a client, prompt caching via breakpoints.

    With ``enable_cache_control`` the request HeadroomClient sends gets
    ``cache_control: {"type": "ephemeral"}`` on the last tool definition, on
    the system prompt, on the last message and on the message the previous
    request ended with: the compressed conversation is byte-stable, so each
    request's whole prefix is read back from the cache on the next call of the
    loop. Breakpoints the caller set are kept and counted against Anthropic's
    limit of four; a part that already has one is left alone.
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
        """``params`` with breakpoints on the stable prefix (copies; the input is untouched).

        Where they go: :func:`~headroom_integrations.engine.cache_control.plan_breakpoints`.
        """
        if not self.enable_cache_control:
            return params
        out = dict(params)
        tools: list[Any] = out["tools"] if isinstance(out.get("tools"), list) else []
        sent: list[Any] = list(out["messages"]) if isinstance(out.get("messages"), list) else []
        used = count_breakpoints({k: out.get(k) for k in ("tools", "system", "messages")})
        used += 1 if out.get("cache_control") is not None else 0  # top-level automatic caching takes a slot
        plan = plan_breakpoints(
            last_tool=bool(tools) and isinstance(tools[-1], Mapping),
            tools_marked=count_breakpoints(tools) > 0,
            system=out.get("system") or None,
            messages=[(str(m.get("role")), m.get("content")) if isinstance(m, Mapping) else ("", None) for m in sent],
            used=used,
        )
        if plan.tool:
            out["tools"] = [*tools[:-1], {**tools[-1], "cache_control": ephemeral()}]
        if plan.system:
            out["system"] = mark_content(out["system"])
        if plan.messages:
            for index in plan.messages:
                sent[index] = {**sent[index], "content": mark_content(sent[index].get("content"))}
            out["messages"] = sent
        return out

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "enable_cache_control": self.enable_cache_control,
            "token_counting": "api" if self.get_token_counter("claude").uses_api else "estimate",
        }
