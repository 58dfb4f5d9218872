"""``client.chat.completions``: compress ``messages``, then the SDK's own ``create`` with everything else as given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.config import HeadroomMode
from ..engine.simulate import SimulationResult
from ._pipeline import Pipeline

__all__ = ["AsyncChatCompletions", "Chat", "ChatCompletions"]


def _listed(messages: Any) -> Any:
    """A one-shot iterable of messages (the SDK accepts any) as a list, so it can be read twice."""
    if isinstance(messages, (list, tuple, str, bytes, Mapping)) or not hasattr(messages, "__iter__"):
        return messages
    return list(messages)


class _Delegating:
    """Anything not wrapped here (``retrieve``, ``with_raw_response``, ...) is the SDK's own attribute."""

    _target: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class ChatCompletions(_Delegating):
    """Sync ``chat.completions``: ``create`` compresses; ``simulate`` plans without calling the API."""

    def __init__(self, target: Any, pipeline: Pipeline) -> None:
        self._target = target
        self._pipeline = pipeline

    def create(self, *, messages: Any, model: str, **kwargs: Any) -> Any:
        """The SDK's response (or stream) for the compressed ``messages``; ``headroom_*`` options stay here."""
        opts = self._pipeline.options(kwargs)
        if opts.mode is HeadroomMode.SIMULATE:
            return self._pipeline.simulate(messages, model, opts)
        messages = _listed(messages)
        result = self._pipeline.compress(messages, model, opts)
        sent = messages if result is None else result.messages
        response = self._target.create(messages=sent, model=model, **opts.params)
        self._pipeline.record(result, response)
        return response

    def simulate(self, *, messages: Any, model: str, **kwargs: Any) -> SimulationResult:
        """What ``create`` would do to ``messages``: no API call, nothing stored."""
        return self._pipeline.simulate(messages, model, self._pipeline.options(kwargs))


class AsyncChatCompletions(ChatCompletions):
    """Async ``chat.completions`` (``AsyncOpenAI``): the same, awaited."""

    async def create(self, *, messages: Any, model: str, **kwargs: Any) -> Any:  # type: ignore[override]
        opts = self._pipeline.options(kwargs)
        if opts.mode is HeadroomMode.SIMULATE:
            return self._pipeline.simulate(messages, model, opts)
        messages = _listed(messages)
        result = await self._pipeline.acompress(messages, model, opts)
        sent = messages if result is None else result.messages
        response = await self._target.create(messages=sent, model=model, **opts.params)
        self._pipeline.record(result, response)
        return response


class Chat(_Delegating):
    """``client.chat``: its ``completions`` are wrapped, the rest is the SDK's."""

    def __init__(self, target: Any, pipeline: Pipeline, *, is_async: bool) -> None:
        self._target = target
        wrapper = AsyncChatCompletions if is_async else ChatCompletions
        self.completions = wrapper(target.completions, pipeline)
