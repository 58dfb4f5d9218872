"""LangChain messages <-> engine dicts: only text changes, everything else survives."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from headroom_integrations.engine.messages import replace_texts
from headroom_integrations.langchain import compress_messages, from_engine_messages, to_engine_messages
from tests.support.fixtures import api_json

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def _conversation(tool_output: str = '{"ok": true}') -> list[BaseMessage]:
    return [
        SystemMessage("You are a support agent.", id="sys-1"),
        HumanMessage([{"type": "text", "text": "What failed?"}, IMAGE], id="h-1", name="ana"),
        AIMessage(
            [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "call_1", "name": "list_orders", "input": {}},
            ],
            id="ai-1",
            tool_calls=[{"name": "list_orders", "args": {"limit": 500}, "id": "call_1", "type": "tool_call"}],
            additional_kwargs={"trace": "t-1"},
            response_metadata={"model_name": "m-1"},
        ),
        ToolMessage(
            tool_output,
            tool_call_id="call_1",
            name="list_orders",
            id="t-1",
            status="success",
            artifact={"rows": 500},
            additional_kwargs={"source": "db"},
        ),
    ]


def test_engine_dicts_carry_roles_tool_calls_and_the_original_content() -> None:
    messages = _conversation()
    dicts = to_engine_messages(messages)
    assert [d["role"] for d in dicts] == ["system", "user", "assistant", "tool"]
    assert dicts[1]["content"] is messages[1].content  # block indices match one to one
    assert dicts[1]["name"] == "ana"
    assert dicts[2]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "list_orders", "arguments": '{"limit": 500}'},
        }
    ]
    assert dicts[3]["tool_call_id"] == "call_1"


def test_unchanged_messages_come_back_as_the_same_objects() -> None:
    messages = _conversation()
    sent = to_engine_messages(messages)
    back = from_engine_messages(messages, sent, list(sent), list(range(len(sent))))
    assert all(a is b for a, b in zip(back, messages, strict=False))


def test_changed_text_lands_in_a_copy_that_keeps_every_other_field() -> None:
    messages = _conversation("x" * 50)
    sent = to_engine_messages(messages)
    returned = replace_texts(sent, {(3, ("content",)): "short", (1, ("content", 0, "text")): "What broke?"})
    back = from_engine_messages(messages, sent, returned, list(range(len(sent))))

    tool, original = back[3], messages[3]
    assert tool is not original and tool.content == "short"
    assert original.content == "x" * 50  # the caller's message is untouched
    for field in (
        "id",
        "name",
        "tool_call_id",
        "status",
        "artifact",
        "additional_kwargs",
        "response_metadata",
    ):
        assert getattr(tool, field) == getattr(original, field), field

    human = back[1]
    assert human.content[0] == {"type": "text", "text": "What broke?"}
    assert human.content[1] is messages[1].content[1]  # multimodal blocks pass through untouched
    assert messages[1].content[0]["text"] == "What failed?"
    assert back[0] is messages[0] and back[2] is messages[2]


def test_dropped_messages_and_engine_notes_follow_source_indices() -> None:
    messages = _conversation()
    sent = to_engine_messages(messages)
    note = {"role": "system", "content": "[2 earlier messages omitted; headroom_retrieve ref=abc]"}
    back = from_engine_messages(messages, sent, [sent[0], note, sent[3]], [0, None, 3])
    assert back[0] is messages[0] and back[2] is messages[3]
    assert isinstance(back[1], SystemMessage) and back[1].content == note["content"]


def test_a_changed_block_layout_takes_the_engine_content_whole() -> None:
    messages = [ToolMessage([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], tool_call_id="c")]
    sent = to_engine_messages(messages)
    merged = {**sent[0], "content": [{"type": "text", "text": "a b"}]}
    back = from_engine_messages(messages, sent, [merged], [0])
    assert back[0].content == [{"type": "text", "text": "a b"}]
    assert back[0].tool_call_id == "c"


def test_compress_messages_shrinks_a_large_tool_result_and_keeps_identity() -> None:
    messages = _conversation(api_json(300))
    out = compress_messages(messages, "gpt-4o")
    assert out.result.tokens_after < out.result.tokens_before
    assert out.messages[:3] == messages[:3] and all(
        a is b for a, b in zip(out.messages[:3], messages[:3], strict=False)
    )
    tool = out.messages[3]
    assert len(tool.content) < len(messages[3].content)
    assert (tool.id, tool.tool_call_id, tool.artifact) == ("t-1", "call_1", {"rows": 500})


_texts = st.text(min_size=0, max_size=30)


@st.composite
def _messages_and_edits(draw: Any) -> tuple[list[BaseMessage], dict[tuple[int, tuple[Any, ...]], str]]:
    kinds = draw(st.lists(st.sampled_from(["human", "human_blocks", "ai", "tool"]), min_size=1, max_size=6))
    messages: list[BaseMessage] = []
    for i, kind in enumerate(kinds):
        if kind == "human":
            messages.append(HumanMessage(draw(_texts), id=f"m{i}"))
        elif kind == "human_blocks":
            messages.append(HumanMessage([{"type": "text", "text": draw(_texts)}, IMAGE], id=f"m{i}"))
        elif kind == "ai":
            messages.append(AIMessage(draw(_texts), id=f"m{i}"))
        else:
            messages.append(ToolMessage(draw(_texts), tool_call_id=f"c{i}", id=f"m{i}", artifact=i))
    paths = {
        (i, ("content", 0, "text") if isinstance(m.content, list) else ("content",)) for i, m in enumerate(messages)
    }
    chosen = draw(st.lists(st.sampled_from(sorted(paths)), unique=True))
    return messages, {path: draw(_texts) for path in chosen}


@settings(max_examples=60, deadline=None)
@given(_messages_and_edits())
def test_any_text_edit_maps_back_exactly(case: tuple[list[BaseMessage], dict[Any, str]]) -> None:
    messages, edits = case
    sent = to_engine_messages(messages)
    back = from_engine_messages(messages, sent, replace_texts(sent, edits), list(range(len(sent))))
    for i, (new, old) in enumerate(zip(back, messages, strict=False)):
        assert (new.id, type(new)) == (old.id, type(old))
        assert new.model_dump(exclude={"content"}) == old.model_dump(exclude={"content"})
        text = new.content[0]["text"] if isinstance(new.content, list) else new.content
        expected = next((t for (j, _), t in edits.items() if j == i), None)
        if expected is None:
            assert new is old
        else:
            assert text == expected
