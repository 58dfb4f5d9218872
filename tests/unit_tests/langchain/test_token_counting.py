"""HeadroomChatModel counts tokens offline: the wrapped model's own counter, else the engine's exact one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, trim_messages

from headroom_integrations import count_tokens_messages, count_tokens_text
from headroom_integrations.langchain import HeadroomChatModel, to_engine_messages
from tests.support.scripted_chat_model import ScriptedChatModel

MESSAGES: list[BaseMessage] = [
    SystemMessage("You are a support agent."),
    HumanMessage("Why did order 48137 fail? " * 40),
    AIMessage("The payment gateway timed out."),
    HumanMessage("And order 48250?"),
]


class _CountingModel(ScriptedChatModel):
    """A provider model with its own token counter (as ChatOpenAI / ChatAnthropic have)."""

    def get_num_tokens(self, text: str) -> int:
        return 7

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        return 11 * len(messages)


def test_a_wrapped_counter_is_used_as_is() -> None:
    model = HeadroomChatModel(_CountingModel())
    assert model.get_num_tokens("anything") == 7
    assert model.get_num_tokens_from_messages(MESSAGES) == 44


def test_without_one_the_engine_counts_exactly_for_openai_models() -> None:
    model = HeadroomChatModel(ScriptedChatModel(model="gpt-4o"))
    count = model.get_num_tokens_from_messages(MESSAGES)
    assert count == count_tokens_messages(to_engine_messages(MESSAGES), "gpt-4o")
    assert count.is_estimate is False  # type: ignore[attr-defined]
    assert model.get_num_tokens("hello world") == count_tokens_text("hello world", "gpt-4o") == 2


def test_other_families_get_a_flagged_estimate() -> None:
    count = HeadroomChatModel(ScriptedChatModel(model="claude-sonnet-4")).get_num_tokens("hello world")
    assert count > 0 and count.is_estimate  # type: ignore[attr-defined]


def test_trim_messages_takes_the_wrapper_as_its_counter() -> None:
    model = HeadroomChatModel(ScriptedChatModel(model="gpt-4o"))
    kept = trim_messages(MESSAGES, token_counter=model, max_tokens=60, strategy="last", include_system=True)
    assert kept[0] == MESSAGES[0] and kept[-1] == MESSAGES[-1] and len(kept) < len(MESSAGES)
    assert model.get_num_tokens_from_messages(kept) <= 60


class _Unparseable(ScriptedChatModel):
    """A provider whose structured-output reply never parses."""

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        from langchain_core.outputs import ChatGeneration, ChatResult

        return ChatResult(generations=[ChatGeneration(message=AIMessage("not json at all"))])


def test_a_structured_output_call_that_fails_to_parse_still_counts_its_compression() -> None:
    import pytest
    from langchain_core.exceptions import OutputParserException
    from langchain_core.messages import convert_to_messages
    from pydantic import BaseModel

    from tests.support.fixtures import api_json, tool_conversation

    class Answer(BaseModel):
        order_id: int

    model = HeadroomChatModel(_Unparseable())
    conversation = convert_to_messages(tool_conversation(api_json(300)))
    with pytest.raises(OutputParserException):
        model.with_structured_output(Answer, method="json_mode").invoke(conversation)
    raw = model.with_structured_output(Answer, method="json_mode", include_raw=True).invoke(conversation)
    assert raw["parsed"] is None and raw["parsing_error"] is not None
    summary = model.get_savings_summary()
    assert summary["calls"] == 2 and summary["tokens_saved"] > 0
