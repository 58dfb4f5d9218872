"""Agno messages through the engine: only the text of compressed parts changes, nothing else."""

from __future__ import annotations

import json

from agno.media import Audio, File, Image, Video
from agno.metrics import MessageMetrics
from agno.models.message import Message

from headroom_integrations.agno import compress_agno_messages
from headroom_integrations.agno._convert import to_engine_messages, tool_query, turn_queries
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.tokens.tokenizer import Tokenizer
from tests.support.fixtures import api_json, app_log

QUESTION = "Why did order 48137 fail?"


def _conversation(output: str, *, tool_name: str = "list_orders") -> list[Message]:
    return [
        Message(role="system", content="You are a support agent."),
        Message(role="user", content=QUESTION, images=[Image(url="https://example.com/receipt.png")]),
        Message(
            role="assistant",
            content=None,
            tool_calls=[
                {"id": "call_1", "type": "function", "function": {"name": tool_name, "arguments": "{}"}},
            ],
            provider_data={"signature": "abc"},
        ),
        Message(
            role="tool",
            tool_call_id="call_1",
            tool_name=tool_name,
            tool_args={},
            content=output,
            audio=[Audio(url="https://example.com/a.mp3")],
            files=[File(url="https://example.com/f.pdf")],
            videos=[Video(url="https://example.com/v.mp4")],
            metrics=MessageMetrics(input_tokens=7),
        ),
    ]


def test_only_the_tool_text_changes_and_every_other_field_survives() -> None:
    original = api_json(300)
    messages = _conversation(original)
    snapshot = [m.model_dump() for m in messages]

    out = compress_agno_messages(messages, "gpt-4o", store=CompressionStore())

    assert out.result.tokens_saved > 0
    assert [m.model_dump() for m in messages] == snapshot  # the caller's messages are untouched
    assert out.messages[:3] == messages[:3] and all(a is b for a, b in zip(out.messages[:3], messages[:3], strict=True))
    tool = out.messages[3]
    assert tool is not messages[3]
    assert "headroom_retrieve" in tool.content and len(tool.content) < len(original) / 5
    changed = {k for k, v in tool.model_dump().items() if v != snapshot[3][k]}
    assert changed == {"content"}
    assert tool.audio == messages[3].audio and tool.files == messages[3].files and tool.videos == messages[3].videos
    assert tool.metrics.input_tokens == 7 and tool.tool_call_id == "call_1" and tool.tool_name == "list_orders"


def test_the_failing_record_and_a_retrievable_original_are_kept() -> None:
    store = CompressionStore()
    original = api_json(300)
    out = compress_agno_messages(_conversation(original), "gpt-4o", store=store)
    assert "48137" in out.messages[3].content
    assert any(store.retrieve(ref) == original for ref in out.result.refs)


def test_compressed_content_is_what_gets_compressed_when_agno_sends_it() -> None:
    messages = _conversation("short")
    messages[3].compressed_content = api_json(300)

    as_content = compress_agno_messages(messages, "gpt-4o", store=CompressionStore())
    as_compressed = compress_agno_messages(messages, "gpt-4o", use_compressed_content=True, store=CompressionStore())

    assert as_content.result.transforms_applied == [] and as_content.messages == messages
    sent = as_compressed.messages[3]
    assert as_compressed.result.tokens_saved > 0
    assert sent.compressed_content is None and "headroom_retrieve" in sent.content
    assert messages[3].content == "short" and messages[3].compressed_content == api_json(300)


def test_retrieve_results_are_sent_whole_and_the_savings_say_so() -> None:
    retrieved = api_json(300)
    messages = _conversation(app_log(1500)) + [
        Message(
            role="assistant",
            tool_calls=[
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "headroom_retrieve", "arguments": json.dumps({"ref": "x"})},
                },
            ],
        ),
        Message(role="tool", tool_call_id="call_2", tool_name="headroom_retrieve", content=retrieved),
    ]
    out = compress_agno_messages(messages, "gpt-4o", store=CompressionStore())

    assert out.messages[5] is messages[5]  # what the model asked for, unchanged
    assert out.messages[3].content != messages[3].content  # the log is still compressed
    assert len(out.result.transforms_applied) == 1
    tokenizer = Tokenizer("gpt-4o")
    assert out.result.tokens_after == tokenizer.count_messages(to_engine_messages(out.messages))
    assert out.result.tokens_before == tokenizer.count_messages(to_engine_messages(messages))


def test_same_input_gives_byte_identical_output() -> None:
    first = compress_agno_messages(_conversation(app_log(1500)), "gpt-4o", store=CompressionStore())
    second = compress_agno_messages(_conversation(app_log(1500)), "gpt-4o", store=CompressionStore())
    assert first.messages[3].content == second.messages[3].content
    assert first.result.refs == second.result.refs


def test_tool_queries_are_the_turn_that_asked() -> None:
    conversation = _conversation("x")
    tool_messages = [m for m in conversation if m.role == "tool"]
    assert all(q.startswith(QUESTION) for q in turn_queries(conversation, tool_messages))
    later = [*conversation, Message(role="user", content="And order 99?")]
    assert turn_queries(later, tool_messages) == turn_queries(conversation, tool_messages)
    assert tool_query(conversation, {"order_id": 48137}) == "Why did order 48137 fail?\n48137"
    assert tool_query(None, None) == ""
