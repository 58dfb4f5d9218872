"""``client.messages``: Anthropic requests through the engine and back, every content block kept.

The engine reads Anthropic content natively (``text``, ``tool_use``,
``tool_result`` blocks), so a request becomes engine messages by putting the
top-level ``system`` in front as a system message. Compression replaces text
inside copies of the original messages, so images, tool calls, thinking
blocks and every other key come back as they were; the system message goes
back to ``system`` in its original shape (string or blocks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.compress import CompressResult
from ..engine.config import HeadroomMode
from ..engine.simulate import SimulationResult
from ._openai import _Delegating
from ._pipeline import Pipeline, RequestOptions

__all__ = ["AsyncMessages", "Messages", "from_engine", "to_engine"]

_ABSENT: Any = object()


def to_engine(messages: Any, system: Any = _ABSENT) -> list[Any]:
    """Engine messages for an Anthropic request: the system prompt first (when given), then the messages."""
    head = [] if system is _ABSENT or system is None else [{"role": "system", "content": system}]
    return [*head, *list(messages)]


def _system_back(content: Any, original: Any) -> Any:
    """The compressed system prompt in the shape the request used."""
    if isinstance(original, list) and isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content


def from_engine(result: CompressResult, system: Any = _ABSENT) -> tuple[Any, list[Any]]:
    """``(system, messages)`` of the request to send; engine notes (inserted messages) are user text messages."""
    has_system = not (system is _ABSENT or system is None)
    new_system = system
    messages: list[Any] = []
    for message, source in zip(result.messages, result.source_indices, strict=True):
        if has_system and source == 0:
            content = message.get("content") if isinstance(message, Mapping) else system
            new_system = _system_back(content, system)
            continue
        messages.append(message)
    return new_system, messages


class Messages(_Delegating):
    """Sync ``messages``: ``create`` and ``stream`` compress; ``simulate`` plans without calling the API."""

    def __init__(self, target: Any, pipeline: Pipeline) -> None:
        self._target = target
        self._pipeline = pipeline

    def _request(
        self, result: CompressResult | None, opts: RequestOptions, system: Any, engine_messages: list[Any]
    ) -> dict[str, Any]:
        if result is None:  # sent as given (the engine could not take it), still with cache breakpoints
            new_system, messages = system, engine_messages[0 if system is _ABSENT or system is None else 1 :]
        else:
            new_system, messages = from_engine(result, system)
        params: dict[str, Any] = {**opts.params, "messages": messages}
        if system is not _ABSENT:
            params["system"] = new_system
        return self._pipeline.provider.prepare_request(params)

    def _prepare(self, messages: Any, model: str, kwargs: dict[str, Any]) -> tuple[RequestOptions, Any, list[Any]]:
        system = kwargs.pop("system", _ABSENT)
        opts = self._pipeline.options(kwargs)
        return opts, system, to_engine(messages, system)

    def _send(self, method: Any, messages: Any, model: str, kwargs: dict[str, Any]) -> Any:
        opts, system, engine_messages = self._prepare(messages, model, kwargs)
        if opts.mode is HeadroomMode.SIMULATE:
            return self._pipeline.simulate(engine_messages, model, opts)
        result = self._pipeline.compress(engine_messages, model, opts)
        response = method(model=model, **self._request(result, opts, system, engine_messages))
        self._pipeline.record(result, response)  # a stream has no usage yet: no cache tokens are read from it
        return response

    def create(self, *, messages: Any, model: str, **kwargs: Any) -> Any:
        """The SDK's response (or stream) for the compressed request; ``headroom_*`` options stay here."""
        return self._send(self._target.create, messages, model, kwargs)

    def stream(self, *, messages: Any, model: str, **kwargs: Any) -> Any:
        """The SDK's stream manager for the compressed request (sync and async clients alike)."""
        return self._send(self._target.stream, messages, model, kwargs)

    def simulate(self, *, messages: Any, model: str, **kwargs: Any) -> SimulationResult:
        """What ``create`` would do to the request: no API call, nothing stored."""
        opts, _, engine_messages = self._prepare(messages, model, kwargs)
        return self._pipeline.simulate(engine_messages, model, opts)


class AsyncMessages(Messages):
    """Async ``messages`` (``AsyncAnthropic``): ``create`` is awaited; ``stream`` returns the async manager."""

    async def create(self, *, messages: Any, model: str, **kwargs: Any) -> Any:  # type: ignore[override]
        opts, system, engine_messages = self._prepare(messages, model, kwargs)
        if opts.mode is HeadroomMode.SIMULATE:
            return self._pipeline.simulate(engine_messages, model, opts)
        result = await self._pipeline.acompress(engine_messages, model, opts)
        response = await self._target.create(model=model, **self._request(result, opts, system, engine_messages))
        self._pipeline.record(result, response)
        return response
