"""LangChain shapes for Anthropic cache breakpoints: what langchain-anthropic forwards, inputs untouched."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from langchain_anthropic.chat_models import convert_to_anthropic_tool
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from headroom_integrations.engine.cache_control import MAX_CACHE_BREAKPOINTS
from headroom_integrations.langchain._cache_control import add_breakpoints, cache_usage
from tests.support.provider_servers import strip_cache_control

EPHEMERAL = {"type": "ephemeral"}


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return key


def _conversation() -> list[BaseMessage]:
    call = {"name": "lookup", "args": {"key": "k"}, "id": "toolu_1"}
    return [
        SystemMessage("Be brief."),
        HumanMessage("Look up k."),
        AIMessage("", tool_calls=[call]),
        ToolMessage("value of k", tool_call_id="toolu_1"),
    ]


def test_breakpoints_sit_where_langchain_anthropic_forwards_them_and_the_inputs_are_untouched() -> None:
    messages = _conversation()
    before = copy.deepcopy(messages)
    sent, tools = add_breakpoints(messages, [lookup])
    assert messages == before and "cache_control" not in (lookup.extras or {})
    assert sent[0].content == [{"type": "text", "text": "Be brief.", "cache_control": EPHEMERAL}]
    # The question ended the request that produced the tool call; the tool result ends this one.
    assert sent[1].content == [{"type": "text", "text": "Look up k.", "cache_control": EPHEMERAL}]
    assert sent[2] is messages[2]  # an AI turn is rebuilt from its tool calls: never marked
    assert sent[3].content == [{"type": "text", "text": "value of k", "cache_control": EPHEMERAL}]
    assert tools is not None and convert_to_anthropic_tool(tools[-1])["cache_control"] == EPHEMERAL


def test_unmarked_string_contents_are_sent_as_blocks_so_the_prefix_keeps_its_shape() -> None:
    messages = [*_conversation(), AIMessage("done"), HumanMessage("thanks"), AIMessage("bye"), HumanMessage("x")]
    sent, _ = add_breakpoints(messages, None)
    assert sent[1].content == [{"type": "text", "text": "Look up k."}]  # marked on an earlier turn, not now
    assert sent[3].content == [{"type": "text", "text": "value of k"}]
    assert sent[4] is messages[4]


def test_dict_tools_and_built_in_tool_definitions_are_marked_where_they_are_forwarded() -> None:
    definition = {"type": "web_search_20250305", "name": "web_search"}
    _, tools = add_breakpoints([HumanMessage("q")], [lookup, definition])
    assert tools == [lookup, {**definition, "cache_control": EPHEMERAL}]
    built_in = lookup.model_copy(update={"extras": {"provider_tool_definition": definition}})
    _, tools = add_breakpoints([HumanMessage("q")], [built_in])
    assert tools is not None and convert_to_anthropic_tool(tools[0]) == {**definition, "cache_control": EPHEMERAL}


def test_a_top_level_cache_control_takes_a_slot() -> None:
    messages = [*_conversation(), AIMessage("a"), HumanMessage("b")]
    sent, tools = add_breakpoints(messages, [lookup], top_level=True)
    assert tools is not None and "cache_control" in (tools[-1].extras or {})
    # Tool, system and the last message: the previous request's end gets no fourth slot.
    assert json.dumps([m.content for m in sent]).count("cache_control") == 2
    assert "cache_control" in json.dumps(sent[-1].content) and "cache_control" not in json.dumps(sent[3].content)


def test_cache_usage_reads_both_providers_shapes() -> None:
    anthropic = AIMessage("a", usage_metadata={"input_tokens": 9, "output_tokens": 1, "total_tokens": 10,
        "input_token_details": {"cache_read": 5, "cache_creation": 0, "ephemeral_5m_input_tokens": 3}})  # fmt: skip
    openai = AIMessage("b", usage_metadata={"input_tokens": 9, "output_tokens": 1, "total_tokens": 10,
        "input_token_details": {"cache_read": 7}})  # fmt: skip
    usage = cache_usage([anthropic, openai, AIMessage("no usage"), None])
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (12, 3)


_message = st.one_of(
    st.builds(HumanMessage, st.text(min_size=1, max_size=4)),
    st.builds(AIMessage, st.text(max_size=4)),
    st.builds(
        HumanMessage,
        st.lists(
            st.fixed_dictionaries(
                {"type": st.just("text"), "text": st.text(min_size=1, max_size=3)},
                optional={"cache_control": st.just(EPHEMERAL)},
            ),
            min_size=1,
            max_size=2,
        ),
    ),
)


def _text(content: Any) -> Any:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content.strip() else content
    return strip_cache_control(content)


@given(st.lists(_message, min_size=1, max_size=7), st.booleans())
def test_breakpoints_never_exceed_four_and_nothing_else_changes(messages: list[BaseMessage], system: bool) -> None:
    messages = [SystemMessage("sys"), *messages] if system else messages
    given_count = json.dumps([m.content for m in messages]).count("cache_control")
    sent, tools = add_breakpoints(messages, [lookup])
    assert tools is not None
    total = json.dumps([m.content for m in sent]).count("cache_control") + int(
        "cache_control" in (tools[0].extras or {})
    )
    assert given_count <= total <= max(MAX_CACHE_BREAKPOINTS, given_count)
    assert [type(m) for m in sent] == [type(m) for m in messages]
    for a, b in zip(sent, messages, strict=True):
        assert _text(a.content) == _text(b.content)
