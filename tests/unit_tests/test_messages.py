"""Message helpers find every text part and edit copies only."""

from __future__ import annotations

import copy

from headroom_integrations.engine.messages import (
    group_units,
    iter_text_slots,
    latest_user_text,
    message_text,
    replace_texts,
)

OPENAI = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "find order 42"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": "42"}'}},
            {"id": "c2", "type": "function", "function": {"name": "lookup", "arguments": "{}"}},
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "result one"},
    {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "result two"}]},
    {"role": "assistant", "content": "done"},
    {"role": "user", "content": [{"type": "text", "text": "thanks"}, {"type": "image_url", "image_url": {"url": "x"}}]},
]

ANTHROPIC = [
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Oslo"}}]},
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "rainy"}]}],
    },
    {"role": "assistant", "content": "It is rainy."},
]


def test_slots_cover_tool_results_with_tool_names() -> None:
    slots = [(s.index, s.kind, s.tool_name, s.text) for s in iter_text_slots(OPENAI)]
    assert (3, "tool", "search", "result one") in slots
    assert (4, "tool", "lookup", "result two") in slots
    assert (6, "user", None, "thanks") in slots
    anthropic = [(s.index, s.kind, s.tool_name, s.text) for s in iter_text_slots(ANTHROPIC)]
    assert (2, "tool", "weather", "rainy") in anthropic


def test_replace_texts_copies_and_keeps_every_other_key() -> None:
    before = copy.deepcopy(OPENAI)
    slot = next(s for s in iter_text_slots(OPENAI) if s.index == 4)
    out = replace_texts(OPENAI, {(slot.index, slot.path): "short"})
    assert OPENAI == before  # input untouched
    assert out[4] == {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "short"}]}
    assert out[3] is OPENAI[3]  # unchanged messages are shared, not copied


def test_units_keep_calls_with_their_results() -> None:
    assert group_units(OPENAI) == [[0], [1], [2, 3, 4], [5], [6]]
    assert group_units(ANTHROPIC) == [[0], [1, 2], [3]]
    # a result without its call stays on its own, a dangling call too
    assert group_units([{"role": "tool", "tool_call_id": "zz", "content": "x"}]) == [[0]]


def test_a_call_and_a_late_result_stay_in_one_unit() -> None:
    """A message between a call and its result (an odd order) must not let budget fitting orphan either."""
    call = {"role": "assistant", "content": None, "tool_calls": [OPENAI[2]["tool_calls"][0]]}
    odd = [OPENAI[1], call, {"role": "user", "content": "hurry"}, OPENAI[3], OPENAI[5]]
    assert group_units(odd) == [[0], [1, 2, 3], [4]]
    # an id used again after its result arrived opens a new call, it does not reach back
    assert group_units([call, OPENAI[3], OPENAI[1], call, OPENAI[3]]) == [[0, 1], [2], [3, 4]]


def test_latest_user_text_skips_tool_result_carriers() -> None:
    assert latest_user_text(OPENAI) == "thanks"
    assert latest_user_text(ANTHROPIC) == "weather?"
    assert latest_user_text([]) == ""


def test_message_text_includes_tool_calls() -> None:
    text = message_text(OPENAI[2])
    assert "search" in text and '{"q": "42"}' in text
    assert "weather" in message_text(ANTHROPIC[1]) and "Oslo" in message_text(ANTHROPIC[1])
    assert message_text("not a message") == ""
