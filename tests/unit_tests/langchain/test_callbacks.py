"""Streaming metrics (time to first token, output tokens) and the running savings totals."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult

from headroom_integrations.engine.savings import Savings
from headroom_integrations.engine.tokens.tokenizer import count_tokens_text
from headroom_integrations.langchain import (
    HeadroomChatModel,
    HeadroomStreamingCallbackHandler,
    SavingsTracker,
)
from tests.support.fixtures import api_json, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel


def test_handler_times_the_first_token_of_any_model_and_counts_its_output() -> None:
    handler = HeadroomStreamingCallbackHandler()
    model = GenericFakeChatModel(messages=iter([AIMessage("the quick brown fox jumps")]))
    chunks = list(model.stream("hi", config={"callbacks": [handler]}))
    assert len(chunks) > 1
    summary = handler.tracker.summary()
    assert summary["streamed_calls"] == 1 and summary["ttft_ms_avg"] is not None and summary["ttft_ms_avg"] >= 0
    # GenericFakeChatModel reports no usage: the engine counts the text instead
    assert summary["output_tokens"] == count_tokens_text("the quick brown fox jumps")


def test_handler_prefers_reported_usage_and_skips_ttft_when_nothing_streamed() -> None:
    handler = HeadroomStreamingCallbackHandler()
    reply = ScriptedChatModel().invoke("hello", config={"callbacks": [handler]})
    summary = handler.tracker.summary()
    assert reply.usage_metadata is not None
    assert summary["output_tokens"] == reply.usage_metadata["output_tokens"]
    assert (summary["completions"], summary["streamed_calls"], summary["ttft_ms_avg"]) == (1, 0, None)


def test_handler_forgets_failed_runs() -> None:
    class Broken(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "broken"

        def _generate(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            raise RuntimeError("provider down")

    handler = HeadroomStreamingCallbackHandler()
    with pytest.raises(RuntimeError):
        Broken().invoke("hi", config={"callbacks": [handler]})
    assert handler.tracker.summary()["completions"] == 0
    assert not handler._started and not handler._first_token


def test_headroom_model_feeds_its_summary_once_even_with_a_user_handler() -> None:
    model = HeadroomChatModel(ScriptedChatModel())
    mine = HeadroomStreamingCallbackHandler()
    conversation = tool_conversation(api_json(200))
    list(model.stream(conversation, config={"callbacks": [mine]}))
    model.invoke(conversation)
    summary = model.get_savings_summary()
    assert (summary["calls"], summary["completions"], summary["streamed_calls"]) == (2, 2, 1)
    assert summary["ttft_ms_p50"] is not None and summary["tokens_saved"] > 0
    assert mine.tracker.summary()["streamed_calls"] == 1  # the user's handler saw the same stream


def test_tracker_totals_are_exact_under_concurrency() -> None:
    tracker = SavingsTracker()
    call = Savings(
        mode="optimize",
        tokens_before=100,
        tokens_after=40,
        compression_ms=0.5,
        transforms=("log:90->30",),
        potential_tokens_saved=60,
    )

    def work() -> None:
        for _ in range(250):
            tracker.record(call)
            tracker.record_completion(output_tokens=3, ttft_ms=1.0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = tracker.summary()
    assert (summary["calls"], summary["tokens_saved"], summary["output_tokens"]) == (1000, 60_000, 3000)
    assert summary["savings_percent"] == 60.0 and summary["transforms"] == {"log": 1000}
