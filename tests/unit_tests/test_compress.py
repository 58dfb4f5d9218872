"""compress(): smaller conversations, nothing lost, honest numbers, never an exception."""

from __future__ import annotations

import copy
import json

import pytest

from headroom_integrations import (
    CompressionStore,
    ConfigurationError,
    HeadroomConfig,
    MetricsStore,
    ValidationError,
    compress,
    count_tokens_messages,
    retrieve,
)
from tests.support.fixtures import api_json, app_log, tool_conversation


@pytest.fixture
def store() -> CompressionStore:
    return CompressionStore()


def test_json_tool_result_is_compressed_and_the_failure_survives(store) -> None:
    messages = tool_conversation(api_json(500))
    result = compress(messages, model="gpt-4o", store=store)
    tool_text = result.messages[3]["content"]
    assert result.tokens_after < result.tokens_before * 0.4
    assert "payment gateway timeout on order 48137" in tool_text
    assert json.loads(tool_text)  # still valid JSON
    assert result.transforms_applied and result.transforms_applied[0].startswith("smart_crusher:")
    assert result.tokens_before == count_tokens_messages(messages, model="gpt-4o")
    assert result.tokens_after == count_tokens_messages(result.messages, model="gpt-4o")
    assert result.tokens_saved == result.tokens_before - result.tokens_after
    assert result.savings_percent == pytest.approx(100 * result.tokens_saved / result.tokens_before, abs=0.01)
    # everything dropped comes back through the store
    original = json.loads(retrieve(result.refs[0], store=store))
    assert len(original) == 500


def test_input_is_never_mutated_and_keys_survive(store) -> None:
    messages = tool_conversation(api_json(300))
    snapshot = copy.deepcopy(messages)
    result = compress(messages, store=store)
    assert messages == snapshot
    assert [m.keys() for m in result.messages] == [m.keys() for m in messages]
    assert result.messages[2] is messages[2]  # untouched messages are passed through as-is
    assert result.messages[3]["tool_call_id"] == "call_1" and result.messages[3]["name"] == "list_orders"
    assert result.source_indices == [0, 1, 2, 3]


def test_user_and_system_text_are_left_alone_by_default(store) -> None:
    big = app_log(800)
    messages = [{"role": "system", "content": big}, {"role": "user", "content": big}]
    result = compress(messages, store=store)
    assert result.messages == messages and result.tokens_saved == 0
    configured = compress(messages, store=store, config=HeadroomConfig(content={"compress_user_messages": True}))
    assert configured.messages[0]["content"] == big
    assert configured.messages[1]["content"] != big


def test_reasons_explain_untouched_messages(store) -> None:
    messages = tool_conversation("ok, 3 rows updated")
    result = compress(messages, store=store)
    assert result.tokens_saved == 0
    assert result.reasons[3]


def test_same_input_gives_identical_bytes_and_refs() -> None:
    messages = tool_conversation(api_json(400))
    a = compress(messages, store=CompressionStore())
    b = compress(messages, store=CompressionStore())
    assert json.dumps(a.messages) == json.dumps(b.messages)
    assert a.refs == b.refs


def test_audit_measures_without_changing_anything(store) -> None:
    messages = tool_conversation(api_json(400))
    result = compress(messages, mode="audit", store=store)
    assert result.messages == messages
    assert result.tokens_after == result.tokens_before
    assert result.potential_tokens_saved > 0
    assert len(store) == 0


def test_simulate_mode_writes_nothing_to_the_store(store) -> None:
    result = compress(tool_conversation(api_json(400)), mode="simulate", store=store)
    assert result.tokens_saved > 0 and len(store) == 0


@pytest.mark.parametrize(
    "content",
    [
        '{"orders": [1, 2, 3',  # malformed JSON
        "[" * 10_000 + "]" * 10_000,  # depth 10,000
        "\x00\x01\x02binary\xff" * 5000,  # binary-looking text
        "",  # empty
    ],
)
def test_bad_content_fails_open(content, store) -> None:
    messages = tool_conversation(content)
    result = compress(messages, store=store)
    assert result.messages[3]["content"] == content
    assert result.tokens_after == result.tokens_before


def test_odd_messages_pass_through(store) -> None:
    messages = [
        {"role": "tool", "tool_call_id": "orphan", "content": api_json(100)},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
        {"role": "assistant"},
        {"weird": True},
    ]
    result = compress(messages, store=store)
    assert len(result.messages) == 4
    assert result.messages[1:] == messages[1:]


def test_bad_arguments_are_configuration_errors() -> None:
    with pytest.raises(ValidationError):
        compress("hello")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        compress([], token_budget=0)


def test_metrics_are_recorded(tmp_path, store) -> None:
    metrics = MetricsStore(f"sqlite:///{tmp_path / 'm.db'}")
    result = compress(tool_conversation(api_json(300)), store=store, metrics_store=metrics)
    summary = metrics.get_summary()
    assert summary.total_requests == 1
    assert summary.total_tokens_saved == result.tokens_saved
    metrics.close()


def _long_history(turns: int = 30) -> list[dict]:
    messages: list[dict] = [{"role": "system", "content": "You are a support agent. Today is 2026-11-21."}]
    for t in range(turns):
        messages.append({"role": "user", "content": f"Question {t}: what happened to shipment SH-{1000 + t}? " * 5})
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"c{t}",
                        "type": "function",
                        "function": {"name": "track", "arguments": f'{{"id": "SH-{1000 + t}"}}'},
                    }
                ],
            }
        )
        messages.append(
            {"role": "tool", "tool_call_id": f"c{t}", "content": f"SH-{1000 + t} is in transit via hub {t}. " * 20}
        )
        messages.append({"role": "assistant", "content": f"Shipment SH-{1000 + t} is in transit. " * 5})
    messages.append({"role": "user", "content": "Where is shipment SH-1003?"})
    return messages


def test_token_budget_fits_history_without_orphans(store) -> None:
    from headroom_integrations.engine.messages import group_units

    messages = _long_history()
    result = compress(messages, token_budget=2000, store=store)
    assert result.tokens_after <= 2000
    out = result.messages
    assert out[0]["role"] == "system" and out[-1] == messages[-1]
    call_ids = {c["id"] for m in out for c in m.get("tool_calls") or ()}
    result_ids = {m["tool_call_id"] for m in out if m.get("role") == "tool"}
    assert call_ids == result_ids  # no orphan calls, no orphan results
    assert len(result.source_indices) == len(out)
    for msg, src in zip(out, result.source_indices, strict=True):
        if src is not None:
            assert msg.get("role") == messages[src].get("role")
    # the relevant old unit is still there or retrievable
    text = json.dumps(out)
    if "SH-1003 is in transit" not in text:
        assert any("SH-1003" in retrieve(ref, store=store) for ref in result.refs)
    assert group_units(out)


def test_token_budget_keeps_a_late_tool_result_with_its_call(store) -> None:
    """Odd order (a user message between a call and its result): fitting must not orphan the call."""
    messages = _long_history()
    late = next(i for i, m in enumerate(messages) if m.get("tool_calls"))
    messages[late + 1] = {**messages[late + 1], "content": "hub log line. " * 1500}  # large: dropped first
    messages.insert(late + 1, {"role": "user", "content": "are you still there?"})
    out = compress(messages, token_budget=2000, store=store).messages
    call_ids = {c["id"] for m in out for c in m.get("tool_calls") or ()}
    result_ids = {m["tool_call_id"] for m in out if m.get("role") == "tool"}
    assert call_ids == result_ids


def test_retrieve_tool_results_are_never_recompressed(store) -> None:
    """A model that fetched dropped data by ref must see it whole, or it would retrieve forever."""
    messages = tool_conversation(api_json(300))
    messages[2]["tool_calls"][0]["function"]["name"] = "headroom_retrieve"
    messages[3]["name"] = "headroom_retrieve"
    result = compress(messages, store=store)
    assert result.messages[3]["content"] == messages[3]["content"]
    assert result.tokens_saved == 0


def test_a_100_mb_tool_result_passes_through_with_a_reason(store) -> None:
    filler = "x" * 90
    huge = "[" + ",".join(f'{{"id": {i}, "v": "{filler}"}}' for i in range(1_000_000)) + "]"
    assert len(huge) > 100_000_000
    result = compress(tool_conversation(huge), store=store)
    assert result.messages[3]["content"] is huge
    assert "too large" in result.reasons[3]
    assert len(store) == 0


def test_compressing_twice_changes_nothing_more(store) -> None:
    """Middleware and model wrapper may both see a tool result: the second pass must not cut again."""
    once = compress(tool_conversation(api_json(400)), store=store)
    twice = compress(once.messages, store=store)
    assert twice.messages[3]["content"] == once.messages[3]["content"]
    assert twice.tokens_saved == 0
    assert twice.reasons[3] == "already compressed by Headroom"
    log_once = compress(tool_conversation(app_log(1500)), store=store)
    assert log_once.tokens_saved > 0
    assert compress(log_once.messages, store=store).tokens_saved == 0
