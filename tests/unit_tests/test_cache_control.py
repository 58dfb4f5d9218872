"""Where Anthropic cache breakpoints go (engine/cache_control.py): the one rule every caller shares."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from headroom_integrations.engine.cache_control import (
    MAX_CACHE_BREAKPOINTS,
    Breakpoints,
    CacheUsage,
    as_blocks,
    count_breakpoints,
    mark_content,
    plan_breakpoints,
)

EPHEMERAL = {"type": "ephemeral"}


def _plan(messages: list[tuple[str, Any]], *, tools: int = 0, system: Any = None, used: int = 0) -> Breakpoints:
    return plan_breakpoints(last_tool=tools > 0, tools_marked=False, system=system, messages=messages, used=used)


def test_a_first_request_marks_tools_system_and_its_last_message() -> None:
    assert _plan([("user", "hi")], tools=2, system="s") == Breakpoints(tool=True, system=True, messages=(0,))


def test_a_later_request_also_marks_where_the_previous_one_ended() -> None:
    conversation = [("user", "q"), ("assistant", "calls a tool"), ("user", "result"), ("assistant", "a"), ("user", "r")]
    # The previous request was everything before the last assistant reply: it ended at index 2.
    assert _plan(conversation, tools=1, system="s").messages == (2, 4)


def test_breakpoints_the_caller_set_take_slots_and_the_order_decides_what_is_left() -> None:
    conversation = [("user", "q"), ("assistant", "a"), ("user", "r")]
    assert _plan(conversation, tools=1, system="s", used=2) == Breakpoints(tool=True, system=True)
    assert _plan(conversation, tools=1, system="s", used=1) == Breakpoints(tool=True, system=True, messages=(2,))
    assert _plan(conversation, tools=1, system="s", used=MAX_CACHE_BREAKPOINTS).count == 0


def test_parts_that_cannot_take_a_breakpoint_are_skipped() -> None:
    thinking_only = [{"type": "thinking", "thinking": "t"}]
    assert _plan([("user", "   "), ("assistant", None), ("user", thinking_only)], system="").count == 0
    marked = [{"type": "text", "text": "q", "cache_control": EPHEMERAL}]
    assert _plan([("user", marked)]).messages == ()  # already has one: left alone


def test_marking_keeps_the_blocks_and_puts_the_marker_on_the_last_cacheable_one() -> None:
    content = [{"type": "text", "text": "a"}, {"type": "thinking", "thinking": "t"}]
    assert mark_content(content) == [{"type": "text", "text": "a", "cache_control": EPHEMERAL}, content[1]]
    assert content[0] == {"type": "text", "text": "a"}  # the input is untouched
    assert mark_content("hi") == [{"type": "text", "text": "hi", "cache_control": EPHEMERAL}]
    assert as_blocks("hi") == [{"type": "text", "text": "hi"}] and as_blocks("") == ""
    assert mark_content(" \n") is None and mark_content(None) is None


def test_cache_usage_adds_up() -> None:
    assert CacheUsage(1, 2).plus(CacheUsage(10, 20)) == CacheUsage(11, 22)


_content = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "thinking", "image", "tool_result"]), "text": st.text(max_size=2)},
            optional={"cache_control": st.just(EPHEMERAL)},
        ),
        max_size=3,
    ),
)


@given(
    messages=st.lists(st.tuples(st.sampled_from(["user", "assistant"]), _content), max_size=6),
    tools=st.integers(0, 3),
    system=_content,
    used=st.integers(0, 6),
)
def test_never_more_than_four_and_the_same_request_always_gets_the_same_plan(
    messages: list[tuple[str, Any]], tools: int, system: Any, used: int
) -> None:
    plan = _plan(messages, tools=tools, system=system, used=used)
    assert plan == _plan(messages, tools=tools, system=system, used=used)
    assert plan.count <= max(0, MAX_CACHE_BREAKPOINTS - used)
    assert len(set(plan.messages)) == len(plan.messages)
    for index in plan.messages:
        content = messages[index][1]
        assert count_breakpoints(content) == 0 and mark_content(content) is not None
        assert json.dumps(mark_content(content)).count("cache_control") == 1
