"""RollingWindow: oldest units go first, whole, and the result is a valid conversation under budget."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.config import RollingWindowConfig
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.history import RollingWindow

from ._history_support import (
    assert_tool_pairs_intact,
    assert_valid_opening,
    chat,
    conversations,
    tokens,
    tool_step,
)


def test_history_that_fits_is_returned_unchanged() -> None:
    messages = chat(3)
    result = RollingWindow().apply(messages, max_tokens=10_000)
    assert result.messages == messages and result.dropped_indices == () and result.fits


def test_drops_oldest_first_and_keeps_system_and_last_turns() -> None:
    messages = chat(20)
    budget = tokens(messages) // 3
    result = RollingWindow(RollingWindowConfig(keep_last_turns=2)).apply(messages, max_tokens=budget)
    assert result.fits and result.tokens_after == tokens(result.messages) <= budget
    assert result.messages[0] == messages[0]
    assert result.messages[-4:] == messages[-4:]
    # what is kept is a contiguous recent suffix: every dropped message is older than every kept one
    kept = [i for i in result.source_indices if i is not None and i != 0]
    assert kept == list(range(kept[0], len(messages)))
    assert set(result.dropped_indices) == set(range(1, kept[0]))
    assert result.messages[1]["role"] == "user"


def test_tool_call_and_results_are_dropped_or_kept_together() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Agent."},
        {"role": "user", "content": "Check all orders."},
    ]
    for i in range(8):
        messages += tool_step(f"c{i}", "get_order", {"id": i}, f"order {i}: " + "shipped " * 60)
    messages.append({"role": "user", "content": "Summarise."})
    result = RollingWindow(RollingWindowConfig(keep_last_turns=1)).apply(messages, max_tokens=tokens(messages) // 2)
    assert result.dropped_indices
    assert_tool_pairs_intact(result.messages)
    assert_valid_opening(result.messages)
    assert result.fits


def test_anthropic_tool_use_blocks_stay_with_their_results() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "start " * 50}]
    for i in range(6):
        messages.append(
            {"role": "assistant", "content": [{"type": "tool_use", "id": f"t{i}", "name": "ls", "input": {}}]}
        )
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": "x " * 80}],
            }
        )
    messages.append({"role": "user", "content": "done?"})
    result = RollingWindow(RollingWindowConfig(keep_last_turns=0)).apply(messages, max_tokens=tokens(messages) // 3)
    assert_tool_pairs_intact(result.messages)
    assert result.messages[-1] == {"role": "user", "content": "done?"}


def test_impossible_budget_is_best_effort_with_warning() -> None:
    messages = chat(4, system="policy " * 400)
    result = RollingWindow().apply(messages, max_tokens=50)
    assert not result.fits and result.warnings
    assert result.messages[0] == messages[0] and result.messages[-1] == messages[-1]


def test_bad_input_passes_through_and_bad_budget_raises() -> None:
    assert RollingWindow().apply("not messages", max_tokens=10).warnings  # type: ignore[arg-type]
    weird = [{"content": "no role"}]
    assert RollingWindow().apply(weird, max_tokens=1).messages == weird
    with pytest.raises(ConfigurationError):
        RollingWindow().apply(chat(1), max_tokens=0)


def test_input_is_not_mutated_and_output_is_deterministic() -> None:
    messages = chat(12)
    snapshot = copy.deepcopy(messages)
    a = RollingWindow().apply(messages, max_tokens=200)
    b = RollingWindow().apply(copy.deepcopy(messages), max_tokens=200)
    assert messages == snapshot and repr(a.messages) == repr(b.messages)


def test_pipeline_step_uses_model_limit_less_output_buffer() -> None:
    messages = chat(30)
    window = RollingWindow(RollingWindowConfig(output_buffer_tokens=100))
    result = window.transform(messages, model_limit=400, model="gpt-4o")
    assert result.tokens_after <= 300 < result.tokens_before
    assert result.transforms_applied and result.transforms_applied[0].startswith("rolling_window:dropped=")


@settings(max_examples=40, deadline=None)
@given(conversations(), st.floats(0.05, 1.0))
def test_any_conversation_stays_valid(messages: list[dict], share: float) -> None:
    budget = max(1, int(tokens(messages) * share))
    result = RollingWindow(RollingWindowConfig(keep_last_turns=1)).apply(messages, max_tokens=budget)
    assert_tool_pairs_intact(result.messages)
    assert_valid_opening(result.messages)
    assert result.messages[0] == messages[0] and result.messages[-1] == messages[-1]
    assert result.tokens_after == tokens(result.messages)
    assert result.fits or result.warnings
