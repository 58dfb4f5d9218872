"""Streaming metrics for any LangChain chat-model run: time to first token, output tokens.

``HeadroomChatModel`` attaches one of these to its own runs (feeding its savings
summary); attach your own to any other model through ``config={"callbacks": [...]}``
to measure it the same way::

    handler = HeadroomStreamingCallbackHandler()
    for chunk in llm.stream("hi", config={"callbacks": [handler]}):
        ...
    handler.tracker.summary()["ttft_ms_avg"]
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

from ._savings import SavingsTracker

__all__ = ["HeadroomStreamingCallbackHandler"]


def _output_tokens(response: LLMResult) -> int:
    """Output tokens the provider reported; the engine's count of the text when it reported none."""
    total = 0
    for generations in response.generations:
        for generation in generations:
            usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
            if usage and isinstance(usage.get("output_tokens"), int):
                total += usage["output_tokens"]
            elif generation.text:
                from ..engine.tokens.tokenizer import count_tokens_text

                total += int(count_tokens_text(generation.text))
    return total


class HeadroomStreamingCallbackHandler(BaseCallbackHandler):
    """Times each chat-model run from start to its first streamed token and counts output tokens."""

    run_inline = True  # timing must not wait for an executor hop

    def __init__(self, tracker: SavingsTracker | None = None) -> None:
        super().__init__()
        self.tracker = tracker if tracker is not None else SavingsTracker()
        self._lock = threading.Lock()
        self._started: dict[UUID, float] = {}
        self._first_token: dict[UUID, float] = {}

    def _start(self, run_id: UUID) -> None:
        with self._lock:
            self._started[run_id] = time.perf_counter()

    def _first(self, run_id: UUID) -> None:
        now = time.perf_counter()
        with self._lock:
            if run_id in self._started and run_id not in self._first_token:
                self._first_token[run_id] = now

    def _finish(self, run_id: UUID) -> tuple[float | None, float | None]:
        with self._lock:
            return self._started.pop(run_id, None), self._first_token.pop(run_id, None)

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._start(run_id)

    def on_llm_new_token(self, token: Any, *, chunk: Any = None, run_id: UUID, **kwargs: Any) -> None:
        message = getattr(chunk, "message", None)
        if token or getattr(message, "tool_call_chunks", None):
            self._first(run_id)

    def on_stream_event(self, event: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if isinstance(event, dict) and event.get("event") == "content-block-delta":
            self._first(run_id)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        started, first = self._finish(run_id)
        if started is None:
            return
        ttft = (first - started) * 1000.0 if first is not None else None
        self.tracker.record_completion(output_tokens=_output_tokens(response), ttft_ms=ttft)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._finish(run_id)
