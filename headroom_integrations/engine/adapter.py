"""What every framework adapter does around one model call, written once.

A LangChain chat model and an Agno model both compress a conversation
before the provider call (failing open), attach the savings to the first
reply or stream chunk, and count the call once. :func:`prepare_call` and
:func:`on_first` / :func:`aon_first` are those steps; the adapters keep only
their framework's message types and where the savings are written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .ccr.store import RETRIEVE_TOOL_NAME
from .compress import CompressResult
from .config import HeadroomMode
from .savings import Savings

__all__ = ["PreparedCall", "aon_first", "offers_retrieve_tool", "on_first", "prepare_call"]

logger = logging.getLogger(__name__)

M = TypeVar("M")
T = TypeVar("T")


def offers_retrieve_tool(tools: Iterable[Any] | None) -> bool:
    """Whether a call's ``tools`` (framework tools, or OpenAI/Anthropic-format dicts) include headroom_retrieve.

    ``compress(..., retrieve_tool=...)`` takes the answer, so a history note names the
    tool only when the model can call it.
    """
    for tool in tools or ():
        if isinstance(tool, dict):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else tool.get("name")
        else:
            name = getattr(tool, "name", None)
        if name == RETRIEVE_TOOL_NAME:
            return True
    return False


@dataclass(frozen=True)
class PreparedCall(Generic[M]):
    """The messages one provider call gets and its savings (None when compression failed open).

    ``result`` is the engine's result behind the savings, for a metrics row
    written once the provider answered (:meth:`EngineOptions.record_call`).
    """

    messages: list[M]
    savings: Savings | None
    result: CompressResult | None = None

    def __repr__(self) -> str:
        # Constant: LangChain folds call kwargs into its cache key.
        return "HeadroomCall()"


def prepare_call(messages: Sequence[M], compress: Callable[[], tuple[list[M], CompressResult]]) -> PreparedCall[M]:
    """Run ``compress`` (framework messages in, out); on any failure send ``messages`` unchanged.

    ``compression_ms`` covers the whole step (message conversion included), so it
    is all the latency Headroom adds before the provider call, less the one-time
    warm-up the engine reports apart (``warmup_ms``). Audit and simulate send
    the original messages.
    """
    started = time.perf_counter()
    try:
        compressed, result = compress()
    except Exception as exc:
        logger.warning("headroom compression failed open, sending the original messages: %s", type(exc).__name__)
        return PreparedCall(list(messages), None)
    savings = result.savings.with_timing(max(0.0, (time.perf_counter() - started) * 1000.0 - result.warmup_ms))
    sent = compressed if result.mode is HeadroomMode.OPTIMIZE else list(messages)
    return PreparedCall(sent, savings, result)


def on_first(items: Iterable[T], first: Callable[[T], None]) -> Iterator[T]:
    """``items`` unchanged, calling ``first`` on the first one before it is yielded."""
    seen = False
    for item in items:
        if not seen:
            first(item)
            seen = True
        yield item


async def aon_first(items: AsyncIterable[T], first: Callable[[T], None]) -> AsyncIterator[T]:
    """The async :func:`on_first`."""
    seen = False
    async for item in items:
        if not seen:
            first(item)
            seen = True
        yield item
