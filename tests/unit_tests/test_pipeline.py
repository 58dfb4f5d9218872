"""TransformPipeline: transforms chain, a failing one is skipped, provenance and diff stay exact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.history import (
    CacheAligner,
    IntelligentContextManager,
    RollingWindow,
    Transform,
    TransformPipeline,
    TransformResult,
)

from ._history_support import assert_tool_pairs_intact, chat, tokens


class _Exploding:
    name = "exploding"

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult:
        raise RuntimeError("boom")


class _BadIndices:
    name = "bad_indices"

    def transform(self, messages: Sequence[Mapping[str, Any]], **ctx: Any) -> TransformResult:
        return TransformResult(list(messages), 0, 0, ["bad"], source_indices=[99] * len(messages))


def _dated_chat(turns: int) -> list[dict]:
    messages = chat(turns)
    messages[0] = {"role": "system", "content": "You are helpful.\nToday is 2025-06-02."}
    return messages


def test_history_transforms_follow_the_protocol() -> None:
    for transform in (CacheAligner(), RollingWindow(), IntelligentContextManager(), TransformPipeline([])):
        assert isinstance(transform, Transform)


def test_chained_transforms_compose_provenance() -> None:
    messages = _dated_chat(30)
    budget = tokens(messages) // 3
    pipeline = TransformPipeline([CacheAligner(), IntelligentContextManager(store=CompressionStore())])
    result = pipeline.transform(messages, token_budget=budget, model="gpt-4o")
    assert result.transforms_applied[0] == "cache_align:moved=1"
    assert result.transforms_applied[-1].startswith("intelligent_context:dropped=")
    assert result.tokens_before == tokens(messages) and result.tokens_after == tokens(result.messages) <= budget
    (note,) = result.markers
    users = {m["content"] for m in messages if m["role"] == "user"}
    for out, source in zip(result.messages[1:], result.source_indices[1:], strict=True):
        # each message is its source, possibly with the one note merged in, or the note on its own;
        # a user message may also open with the questions before it whose answers were dropped
        original = messages[source]["content"] if source is not None else ""
        if out["content"] not in (original, f"{note}\n\n{original}", f"{original}\n\n{note}", note):
            parts = out["content"].split("\n\n")
            assert out["role"] == "user" and parts[-1] == original and set(parts) - {note} <= users
    assert sum(note in m["content"] for m in result.messages) == 1
    assert result.source_indices[0] == 0 and "[Dynamic context]" in result.messages[0]["content"]
    assert len(result.markers) == 1 and result.refs


def test_failing_transforms_are_skipped_with_warnings() -> None:
    messages = _dated_chat(30)
    budget = tokens(messages) // 3
    good = TransformPipeline([RollingWindow()]).transform(messages, token_budget=budget)
    mixed = TransformPipeline([_Exploding(), RollingWindow(), _BadIndices()]).transform(messages, token_budget=budget)
    assert mixed.messages == good.messages and mixed.source_indices == good.source_indices
    assert any("exploding failed" in w and "boom" in w for w in mixed.warnings)
    assert any("bad_indices failed" in w for w in mixed.warnings)
    assert "bad" not in mixed.transforms_applied


def test_all_failing_returns_the_input() -> None:
    messages = chat(2)
    result = TransformPipeline([_Exploding()]).transform(messages)
    assert result.messages == messages and result.source_indices == [0, 1, 2, 3, 4]
    assert result.tokens_before == result.tokens_after


def test_diff_lists_modified_removed_and_added_messages() -> None:
    messages = _dated_chat(30)
    pipeline = TransformPipeline([CacheAligner(), IntelligentContextManager(store=CompressionStore())])
    result = pipeline.transform(messages, token_budget=tokens(messages) // 3, diff=True)
    assert result.diff is not None
    by_status: dict[str, list] = {}
    for change in result.diff:
        by_status.setdefault(change.status, []).append(change)
    # the system message (cache alignment), and the note: merged into a user turn, or a message of its own
    # and the user turns that questions whose answers were dropped were joined onto
    noted = next(i for i, m in enumerate(result.messages) if result.markers[0] in m["content"])
    joined = [
        (s, i)
        for i, (m, s) in enumerate(zip(result.messages, result.source_indices, strict=True))
        if i not in (0, noted) and s is not None and m["content"] != messages[s]["content"]
    ]
    changes = [(c.index_before, c.index_after) for c in by_status["modified"] + by_status.get("added", [])]
    assert sorted(changes, key=str) == sorted([(0, 0), (result.source_indices[noted], noted), *joined], key=str)
    kept = {s for s in result.source_indices if s is not None}
    assert sorted(c.index_before for c in by_status["removed"]) == [i for i in range(len(messages)) if i not in kept]
    assert all(c.tokens_after == 0 and c.tokens_before > 0 for c in by_status["removed"])
    assert sum(c.tokens_before for c in result.diff) - sum(c.tokens_after for c in result.diff) == (
        result.tokens_before - result.tokens_after
    )


def test_pipeline_keeps_tool_pairs_with_window_fallback() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Agent."},
        {"role": "user", "content": "Go."},
    ]
    for i in range(10):
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": f"c{i}", "type": "function", "function": {"name": "ls", "arguments": "{}"}}],
            }
        )
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": f"file_{i}.txt " * 40})
    messages.append({"role": "user", "content": "Which files?"})
    result = TransformPipeline([RollingWindow()]).transform(messages, token_budget=tokens(messages) // 2)
    assert_tool_pairs_intact(result.messages)
