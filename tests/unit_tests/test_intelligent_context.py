"""IntelligentContextManager: keeps what matters under the budget, notes and stashes what it drops."""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore, retrieve
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.compressors.base import CompressionContext
from headroom_integrations.engine.config import (
    ContentCompressionConfig,
    HeadroomConfig,
    IntelligentContextConfig,
    ScoringWeights,
)
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.history import IntelligentContextManager, RollingWindow
from tests.support.fixtures import api_json

from ._history_support import (
    TOKENIZER,
    assert_tool_pairs_intact,
    assert_valid_opening,
    chat,
    conversations,
    tokens,
    tool_step,
)

REF = re.compile(r"headroom_retrieve ref=([0-9a-f]+)")
LOCKER = "My locker code at the Riverside gym is 4417, the blue one by the sauna."


def _with_fact(turns: int = 30) -> list[dict]:
    messages = chat(turns)
    messages[5] = {"role": "user", "content": LOCKER}
    messages.append({"role": "user", "content": "What is my locker code at the Riverside gym?"})
    return messages


def _notes(result) -> list[dict]:  # type: ignore[no-untyped-def]
    """The messages that carry the note (merged into one of them, never one of its own between turns)."""
    return [m for m in result.messages if result.markers and result.markers[0] in json.dumps(m.get("content"))]


def _without_note(result) -> list[dict]:  # type: ignore[no-untyped-def]
    """``result.messages`` with the note taken out (its own message dropped, a merged one unmerged)."""
    if not result.markers:
        return list(result.messages)
    note, out = result.markers[0], []
    for m, source in zip(result.messages, result.source_indices, strict=True):
        content = m.get("content")
        if source is None and content == note:
            continue
        if isinstance(content, str) and note in content:
            m = {**m, "content": content.replace(f"{note}\n\n", "").replace(f"\n\n{note}", "")}
        out.append(m)
    return out


def _ends_as(sent: dict, original: dict) -> bool:
    """``sent`` is ``original``, or ``original`` with the questions before it joined on (their answers dropped)."""
    if sent == original:
        return True
    content, own = sent.get("content"), original.get("content")
    return sent["role"] == original["role"] == "user" and isinstance(content, str) and content.endswith(f"\n\n{own}")


def _no_new_user_pairs(result, messages: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Fitting never leaves two user messages in a row (strict providers such as Bedrock refuse them)."""
    if not any(a["role"] == b["role"] == "user" for a, b in zip(messages, messages[1:], strict=False)):
        roles = [m["role"] for m in result.messages]
        assert not any(a == b == "user" for a, b in zip(roles, roles[1:], strict=False))


def _note_keeps_roles_valid(result) -> None:  # type: ignore[no-untyped-def]
    """The note never puts two user messages side by side, nor a system message after the first."""
    roles = [m["role"] for m in result.messages]
    for i, source in enumerate(result.source_indices):
        if source is None:
            assert (i == 0 and roles[i] == "system") or (
                roles[i] == "user" and "user" not in roles[max(0, i - 1) : i] + roles[i + 1 : i + 2]
            )


def test_history_that_fits_is_returned_unchanged() -> None:
    messages = chat(3)
    result = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=10_000)
    assert result.messages == messages and result.transforms_applied == [] and result.markers == []


def test_relevant_old_turn_survives_where_recency_drops_it() -> None:
    messages = _with_fact()
    budget = tokens(messages) // 4
    ours = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=budget)
    recent = RollingWindow().apply(messages, max_tokens=budget)
    assert LOCKER in json.dumps(ours.messages)
    assert LOCKER not in json.dumps(recent.messages)
    assert ours.tokens_after == tokens(ours.messages) <= budget


def test_system_final_user_and_last_turns_are_always_kept() -> None:
    messages = _with_fact()
    config = IntelligentContextConfig(keep_last_turns=2)
    result = IntelligentContextManager(config, store=CompressionStore()).apply(messages, token_budget=250)
    assert result.messages[0] == messages[0]
    assert result.messages[-4:] == messages[-4:]  # last turn (user, assistant) pair and the final question


def test_one_note_whose_ref_returns_the_dropped_messages() -> None:
    store = CompressionStore()
    messages = _with_fact()
    result = IntelligentContextManager(store=store).apply(messages, token_budget=tokens(messages) // 4)
    notes = _notes(result)
    # The default note_role="user": a user-role note, never beside another user message.
    assert len(notes) == 1 and notes[0]["role"] == "user" and len(result.markers) == 1
    _note_keeps_roles_valid(result)
    ref = REF.search(notes[0]["content"]).group(1)  # type: ignore[union-attr]
    assert ref in result.refs
    sent = [m["content"] for m in result.messages]
    gone = [i for i, m in enumerate(messages) if not any(m["content"] in text for text in sent)]
    assert json.loads(store.retrieve(ref)) == [messages[i] for i in gone]
    # the note stands where the first removed message stood: right after the message before it
    before_gap = messages[gone[0] - 1]["content"]
    at = result.messages.index(notes[0])
    assert before_gap in sent[at - 1] or notes[0]["content"].startswith(before_gap)
    hits = json.loads(retrieve(ref, "bakery sourdough", store=store))
    assert hits and all("sourdough" in m["content"] for m in hits)


@pytest.mark.parametrize(
    ("valuable", "plain", "later"),
    [
        # the error signal: a failed step matters more than an equal clean one
        (
            "Error: connection refused while pushing image layer " * 6,
            "Pushed image layer and rolled out replica set fine " * 6,
            None,
        ),
        # the forward-reference signal: a later turn names what the first step found
        (
            "Found invoice INV-88231 for Kestrel Logistics, due in March.",
            "Found invoice INV-55410 for Marlow Bakery, due in April.",
            "I will chase INV-88231 with Kestrel Logistics tomorrow.",
        ),
    ],
)
def test_signal_decides_between_two_equal_old_steps(valuable: str, plain: str, later: str | None) -> None:
    messages = [{"role": "system", "content": "Agent."}, {"role": "user", "content": "Run both steps."}]
    messages += tool_step("c1", "step", {"n": 1}, valuable) + tool_step("c2", "step", {"n": 2}, plain)
    messages += chat(3, system=None)
    if later:
        messages.append({"role": "assistant", "content": later})
    messages.append({"role": "user", "content": "Anything else?"})
    budget = tokens(messages) - tokens(messages[4:6]) + 10  # room for one of the two steps only
    config = IntelligentContextConfig(keep_last_turns=1, compress_before_drop=False)
    result = IntelligentContextManager(config, store=CompressionStore()).apply(messages, token_budget=budget)
    text = json.dumps(result.messages)
    assert valuable[:30] in text and plain[:30] not in text


def test_big_tool_output_is_compressed_before_anything_is_dropped() -> None:
    store = CompressionStore()
    messages = [{"role": "system", "content": "Support agent."}, {"role": "user", "content": "List orders."}]
    messages += tool_step("c1", "list_orders", {}, api_json(300))
    messages += chat(4, system=None)
    messages.append({"role": "user", "content": "Why did order 48137 fail?"})
    budget = tokens(messages) * 2 // 3
    result = IntelligentContextManager(store=store).apply(messages, token_budget=budget)
    assert not _notes(result) and result.tokens_after <= budget
    assert len(result.messages) == len(messages)
    assert "payment gateway timeout on order 48137" in json.dumps(result.messages)
    assert result.refs and all(ref in store for ref in result.refs)
    assert_tool_pairs_intact(result.messages)


def test_valuable_long_answer_is_cut_to_fit_instead_of_dropped() -> None:
    store = CompressionStore()
    sentences = [f"Section {i} of the runbook covers routine checks of service number {i}." for i in range(40)]
    sentences[23] = "The staging database password rotates every Tuesday at 09:00 UTC."
    messages = chat(2) + [{"role": "assistant", "content": " ".join(sentences)}] + chat(3, system=None)
    messages.append({"role": "user", "content": "When does the staging database password rotate?"})
    budget = tokens(messages) - tokens(messages[5:6]) // 2
    config = IntelligentContextConfig(keep_last_turns=1, compress_before_drop=False)
    result = IntelligentContextManager(config, store=store).apply(messages, token_budget=budget)
    cut = result.messages[result.source_indices.index(5)]["content"]
    assert "rotates every Tuesday at 09:00 UTC" in cut and len(cut) < len(messages[5]["content"])
    assert result.tokens_after <= budget
    restored = " ".join(store.retrieve(ref) for ref in REF.findall(cut))
    assert all(f"Section {i} of the runbook" in cut + restored for i in range(40) if i != 23)


def test_budget_below_the_floor_keeps_only_the_floor_and_says_so() -> None:
    messages = chat(6, system="Policy clause. " * 300)
    result = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=100)
    # Only the system message and the final user message (the note merged into it) stay; the last turns go too.
    assert [m["role"] for m in result.messages] == ["system", "user"]
    assert result.messages[0] == messages[0] and _without_note(result)[-1] == messages[-2]
    assert result.floor_tokens == result.tokens_after
    assert result.warnings == [
        f"budget of 100 tokens cannot be met: {result.tokens_after} tokens returned ({result.tokens_after - 100} "
        "over); the floor no budget removes (the system message(s), the final user message with the tool result "
        f"that ends its turn, and the note) needs {result.tokens_after} tokens after compression"
    ]


def test_system_prompt_is_cut_only_when_system_compression_is_on() -> None:
    system = " ".join(f"Policy clause {i} says refunds take {i + 3} days." for i in range(120))
    messages = [*chat(6, system=system), {"role": "user", "content": "How long do refunds take?"}]
    on = HeadroomConfig(content=ContentCompressionConfig(compress_system_messages=True))
    budget = tokens(messages) // 4
    kept = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=budget)
    cut = IntelligentContextManager(store=CompressionStore(), headroom_config=on).apply(messages, token_budget=budget)
    assert kept.messages[0] == messages[0] and kept.tokens_after > budget and kept.warnings
    assert cut.messages[0] != messages[0] and cut.tokens_after <= budget and not cut.warnings


def test_last_turns_that_cannot_fit_are_compressed_then_dropped_not_sent_over_budget() -> None:
    big = "\n".join(
        f"2024-05-01 12:00:{i % 60:02d} worker-{i} processed batch {i * 7} in {i % 13} ms" for i in range(400)
    )
    messages = [
        {"role": "system", "content": "You are an ops agent."},
        *chat(4, system=None),
        {"role": "user", "content": "Check the worker logs."},
        *tool_step("call_1", "read_logs", {"service": "workers"}, big),
        {"role": "assistant", "content": "The workers look healthy."},
        {"role": "user", "content": "Which batch did worker-17 process?"},
    ]
    budget = 200
    result = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=budget)
    assert result.tokens_after == tokens(result.messages) <= budget and not result.warnings
    assert result.messages[0] == messages[0] and result.messages[-1] == messages[-1]
    assert_tool_pairs_intact(result.messages)


def test_simulate_context_writes_nothing_and_reports_the_same_output() -> None:
    messages = _with_fact()
    budget = tokens(messages) // 4
    store = CompressionStore()
    dry = CompressionContext(query="", config=HeadroomConfig(), tokenizer=TOKENIZER, store=None)
    simulated = IntelligentContextManager().apply(messages, token_budget=budget, context=dry)
    real = IntelligentContextManager(store=store).apply(messages, token_budget=budget)
    assert simulated.messages == real.messages and simulated.refs == real.refs
    assert len(store) == len(real.refs)


def test_output_is_deterministic_and_input_untouched() -> None:
    messages = _with_fact()
    snapshot = copy.deepcopy(messages)
    a = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=400)
    b = IntelligentContextManager(store=CompressionStore()).apply(copy.deepcopy(messages), token_budget=400)
    assert messages == snapshot
    assert json.dumps(a.messages) == json.dumps(b.messages)


def test_budget_defaults_to_model_limit_less_output_buffer() -> None:
    messages = chat(40)
    config = IntelligentContextConfig(output_buffer_tokens=1000)
    result = IntelligentContextManager(config, store=CompressionStore()).apply(messages, model_limit=1500)
    assert result.tokens_after <= 500 < result.tokens_before
    with pytest.raises(ConfigurationError):
        IntelligentContextManager(config).apply(messages, model_limit=900)
    with pytest.raises(ConfigurationError):
        IntelligentContextManager().apply(messages, token_budget=0)


def test_bad_messages_fail_open() -> None:
    manager = IntelligentContextManager(store=CompressionStore())
    assert manager.apply("hello", token_budget=10).warnings  # type: ignore[arg-type]
    weird: list[dict[str, Any]] = [{"role": "user", "content": "hi"}, {"content": 3}]
    result = manager.apply(weird, token_budget=1)
    assert result.messages == weird and result.warnings


def test_weights_are_normalised() -> None:
    weights = ScoringWeights(recency=2, relevance=2, toin_importance=0, error=1, forward_reference=0, density=0)
    assert (weights.recency, weights.semantic_similarity, weights.error_indicator) == (0.4, 0.4, 0.2)
    from_dict = IntelligentContextConfig(weights={"relevance": 3, "recency": 1})  # type: ignore[arg-type]
    total = 3 + 1 + 0.25 + 0.15 + 0.15 + 0.05
    assert from_dict.scoring_weights.semantic_similarity == pytest.approx(3 / total)
    with pytest.raises(ConfigurationError):
        ScoringWeights(recency=0, relevance=0, toin_importance=0, error=0, forward_reference=0, density=0)


@settings(max_examples=30, deadline=None)
@given(conversations(), st.floats(0.05, 1.0))
def test_any_conversation_stays_valid_and_within_budget(messages: list[dict], share: float) -> None:
    budget = max(1, int(tokens(messages) * share))
    config = IntelligentContextConfig(keep_last_turns=1)
    result = IntelligentContextManager(config, store=CompressionStore()).apply(messages, token_budget=budget)
    assert_tool_pairs_intact(result.messages)
    assert_valid_opening(result.messages)
    assert len(_notes(result)) <= 1
    _note_keeps_roles_valid(result)
    _no_new_user_pairs(result, messages)
    bare = _without_note(result)
    assert bare[0] == messages[0] and _ends_as(bare[-1], messages[-1])
    assert result.tokens_after == tokens(result.messages)
    assert result.tokens_after <= budget or result.warnings


@settings(max_examples=40, deadline=None)
@given(conversations(), st.floats(0.01, 1.2), st.integers(0, 3))
def test_budget_is_a_hard_limit_down_to_the_floor(messages: list[dict], share: float, keep_last: int) -> None:
    budget = max(1, int(tokens(messages) * share))
    config = IntelligentContextConfig(keep_last_turns=keep_last)
    result = IntelligentContextManager(config, store=CompressionStore()).apply(messages, token_budget=budget)
    assert_tool_pairs_intact(result.messages)
    assert_valid_opening(result.messages)
    assert result.tokens_after == tokens(result.messages)
    _note_keeps_roles_valid(result)
    _no_new_user_pairs(result, messages)
    if result.tokens_after > budget:  # only the floor is left, and the warning gives the numbers
        bare = _without_note(result)
        assert bare[0] == messages[0] and _ends_as(bare[-1], messages[-1])
        assert result.floor_tokens == result.tokens_after and str(budget) in result.warnings[0]


def test_a_tool_step_too_big_to_keep_still_names_its_ids() -> None:
    store = CompressionStore()
    payments = json.dumps(
        {
            f"credit_card_{4421486 + i}": {"source": "credit_card", "brand": "visa", "last_four": f"{9001 + i}"}
            for i in range(30)
        }
    )
    messages = [
        {"role": "system", "content": "You are an airline agent."},
        {"role": "user", "content": "Look up my payment methods."},
        *tool_step("call_1", "get_user_details", {"user_id": "mia_li_3668"}, payments),
        *chat(8, system=None)[1:],
        {"role": "user", "content": "Use the first card for the upgrade."},
    ]
    budget = tokens(messages) // 3
    result = IntelligentContextManager(store=store).apply(messages, token_budget=budget)
    sent = json.dumps(result.messages)
    assert result.tokens_after <= budget and "credit_card_4421486" in sent and '"last_four"' not in sent
    assert_tool_pairs_intact(result.messages)
    # The ids stay, in the step's digest or in the note (which says which tool named them): either ref returns it.
    holder = next(m["content"] for m in result.messages if "credit_card_4421486" in str(m.get("content")))
    assert "get_user_details: credit_card_4421486" in holder or "a tool output naming credit_card_4421486" in holder
    assert payments in store.retrieve(REF.findall(holder)[0]).replace('\\"', '"')


def test_a_digest_names_values_not_the_tails_of_json_escapes() -> None:
    # ensure_ascii writes 東京 as \u6771\u4eac: "u6771" is no value a later turn could act on.
    output = json.dumps([{"city": "東京", "order": f"W{7000 + i}X", "note": "shipped " * 20} for i in range(12)])
    messages = [
        {"role": "system", "content": "You are a shop agent."},
        {"role": "user", "content": "Which orders shipped?"},
        *tool_step("call_1", "list_orders", {}, output),
        *chat(8, system=None)[1:],
        {"role": "user", "content": "Cancel the first order in that list."},
    ]
    result = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=tokens(messages) // 3)
    sent = json.dumps(result.messages, ensure_ascii=False)  # the step's digest, or the note naming its values
    assert "W7000X" in sent and "u6771" not in sent


def test_note_role_system_appends_the_note_to_the_leading_system_message() -> None:
    messages = _with_fact()
    config = IntelligentContextConfig(note_role="system")
    result = IntelligentContextManager(config, store=CompressionStore()).apply(
        messages, token_budget=tokens(messages) // 4
    )
    (note,) = result.markers
    assert result.messages[0]["content"] == f"{messages[0]['content']}\n\n{note}"
    assert [m["role"] for m in result.messages].count("system") == 1 and None not in result.source_indices
    assert all(note not in m["content"] for m in result.messages[1:])


def test_note_role_system_opens_a_conversation_without_a_system_message() -> None:
    messages = chat(30, system=None) + [{"role": "user", "content": "And now?"}]
    config = IntelligentContextConfig(note_role="system")
    result = IntelligentContextManager(config, store=CompressionStore()).apply(
        messages, token_budget=tokens(messages) // 4
    )
    assert result.messages[0] == {"role": "system", "content": result.markers[0]}
    assert result.source_indices[0] is None and [m["role"] for m in result.messages].count("system") == 1


def test_note_role_system_keeps_a_block_system_prompt_and_adds_a_block() -> None:
    blocks = [{"type": "text", "text": "You are a helpful assistant.", "cache_control": {"type": "ephemeral"}}]
    messages = [{"role": "system", "content": blocks}, *chat(30, system=None)[:-1]]
    config = IntelligentContextConfig(note_role="system")
    result = IntelligentContextManager(config, store=CompressionStore()).apply(
        messages, token_budget=tokens(messages) // 4
    )
    # the cached block is untouched (its prompt-cache prefix still matches); the note is a block of its own
    assert result.messages[0]["content"] == [*blocks, {"type": "text", "text": result.markers[0]}]


@pytest.mark.parametrize("bad", ["ai", "assistant", "", None, 1])
def test_note_role_is_validated(bad: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        IntelligentContextConfig(note_role=bad)
    assert caught.value.details == {
        "field": "IntelligentContextConfig.note_role",
        "value": bad,
        "allowed": ["user", "system"],
    }
    with pytest.raises(ConfigurationError):
        HeadroomConfig(intelligent_context={"note_role": bad})


@settings(max_examples=40, deadline=None)
@given(conversations(), st.floats(0.05, 0.9), st.sampled_from(["user", "system"]), st.integers(0, 3))
def test_the_note_keeps_the_role_order_strict_providers_need(
    messages: list[dict], share: float, role: str, keep_last: int
) -> None:
    budget = max(1, int(tokens(messages) * share))
    config = IntelligentContextConfig(note_role=role, keep_last_turns=keep_last)
    result = IntelligentContextManager(config, store=CompressionStore()).apply(messages, token_budget=budget)
    roles = [m["role"] for m in result.messages]
    assert "system" not in roles[1:]  # a system message only ever first
    _note_keeps_roles_valid(result)
    if result.markers:
        holders = _notes(result)
        assert len(holders) == 1 and holders[0]["role"] == role


def test_the_note_names_headroom_retrieve_only_when_the_model_has_it() -> None:
    messages = _with_fact()
    budget = tokens(messages) // 4
    store = CompressionStore()
    with_tool = compress(messages, token_budget=budget, store=store)
    without = compress(messages, token_budget=budget, store=store, retrieve_tool=False)
    named = next(m["content"] for m in with_tool.messages if "messages omitted" in m["content"])
    bare = next(m["content"] for m in without.messages if "messages omitted" in m["content"])
    assert "headroom_retrieve ref=" in named
    assert "headroom_retrieve" not in bare and "retrieve" not in bare.lower()
    ref = re.search(r"; ref=([0-9a-f]{24}) \.\.\.\]", bare).group(1)  # type: ignore[union-attr]
    dropped = [m for i, m in enumerate(messages) if i not in set(without.source_indices)]
    assert ref in without.refs and json.loads(store.retrieve(ref)) == dropped  # the ref alone brings them back
    # the same bytes otherwise: only the tool's name differs
    assert bare == named.replace("headroom_retrieve ref=", "ref=")


def test_a_budget_miss_is_reported_once_with_the_final_numbers(caplog: pytest.LogCaptureFixture) -> None:
    messages = chat(6, system="Policy clause. " * 300)
    caplog.set_level(logging.DEBUG, logger="headroom_integrations")
    result = compress(messages, token_budget=100, store=CompressionStore())
    (warning,) = [w for w in result.warnings if "cannot be met" in w]
    assert warning.startswith(
        f"budget of 100 tokens cannot be met: {result.tokens_after} tokens returned ({result.tokens_after - 100} over)"
    )
    assert result.tokens_after == tokens(result.messages)
    assert f"needs {result.tokens_after} tokens after compression" in warning  # all that is left is the floor
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING and "cannot be met" in r.getMessage()]
    assert [r.getMessage() for r in logged] == [f"headroom: {warning}"]  # once: not the first pass's numbers


def test_a_budget_miss_reports_what_is_returned_when_the_original_is_kept() -> None:
    # Dropping the one small reply would cost more (the note) than it saves: the original goes back whole.
    messages = [
        {"role": "system", "content": "Policy clause. " * 200},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Refunds?"},
    ]
    result = compress(messages, token_budget=50, store=CompressionStore())
    assert result.messages == messages and result.tokens_after == tokens(messages)
    (warning,) = [w for w in result.warnings if "cannot be met" in w]
    floor = int(re.search(r"needs (\d+) tokens", warning).group(1))  # type: ignore[union-attr]
    assert f"{result.tokens_after} tokens returned ({result.tokens_after - 50} over)" in warning
    assert floor > result.tokens_after  # the floor with its note: why nothing was dropped


def test_a_note_merged_into_a_block_user_message_goes_after_its_tool_results() -> None:
    from headroom_integrations.engine.history._units import place_note

    results = [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}, {"type": "text", "text": "Next?"}]
    out, sources = place_note([{"role": "user", "content": results}], [0], 0, "[note]", "user")
    assert out[0]["content"] == [results[0], {"type": "text", "text": "[note]"}, results[1]] and sources == [0]


def test_questions_whose_answers_were_dropped_are_joined_not_left_side_by_side() -> None:
    answer = "The shipment left the Lisbon warehouse on the morning truck as planned. " * 30
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a support agent."}]
    for i in range(6):
        messages += [
            {"role": "user", "content": f"Is order {48000 + i} fine?"},
            {"role": "assistant", "content": answer},
        ]
    messages.append({"role": "user", "content": "Which of orders 48000, 48001, 48002 and 48003 failed?"})
    store = CompressionStore()
    result = compress(messages, token_budget=tokens(messages) // 4, store=store)
    roles = [m["role"] for m in result.messages]
    assert not any(a == b == "user" for a, b in zip(roles, roles[1:], strict=False))
    assert result.messages[-1] == messages[-1]
    joined = next(m["content"] for m in result.messages if "messages omitted" in m["content"])
    parts = joined.split("\n\n")
    # The questions the query names, in order, with the note for the answers that went between them.
    assert "messages omitted" in parts[1] and parts[:1] + parts[2:] == [f"Is order {48000 + i} fine?" for i in range(6)]
    ref = re.search(r"ref=([0-9a-f]{24})", joined).group(1)  # type: ignore[union-attr]
    assert json.loads(store.retrieve(ref)) == messages[2:11:2]  # the answers that went come back


def test_the_note_lists_the_values_only_dropped_messages_named_and_where_they_stood() -> None:
    reservations = [f"R{100 + i}XQ" for i in range(6)]
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are an airline agent."}]
    for i, reservation in enumerate(reservations):
        messages.append({"role": "user", "content": f"Anything on my booking number {i}?"})
        body = json.dumps({"reservation_id": reservation, "status": "confirmed", "notes": "window seat " * 40})
        messages.extend(tool_step(f"call_{i}", "get_reservation_details", {"n": i}, body))
        messages.append({"role": "assistant", "content": "It is confirmed. " * 30})
    messages.append({"role": "user", "content": "Cancel the second one, please."})
    budget = tokens(messages) // 4
    result = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=budget)
    sent = json.dumps(result.messages)
    (holder,) = _notes(result)
    note = holder["content"]
    assert result.tokens_after <= budget
    assert all(r in sent for r in reservations)  # every id is still in front of the model
    assert "get_reservation_details: " in note and not any(v in note for v in ("window", "confirmed"))
    listed = [r for r in reservations if r in note]
    kept = [m for m in result.messages if m is not holder]
    assert listed and not any(r in json.dumps(kept) for r in listed)  # only what nothing else still says
    again = IntelligentContextManager(store=CompressionStore()).apply(messages, token_budget=budget)
    assert again.messages == result.messages
