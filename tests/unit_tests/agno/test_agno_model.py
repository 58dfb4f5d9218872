"""HeadroomAgnoModel on its own: construction, forwarding, one provider call, fail-open."""

from __future__ import annotations

import copy

import pytest
from agno.models.message import Message

from headroom_integrations.agno import HeadroomAgnoModel
from headroom_integrations.agno import models as agno_models
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.config import HeadroomConfig, HeadroomMode
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.metrics import MetricsStore
from tests.support.fixtures import api_json
from tests.support.scripted_agno_model import ScriptedAgnoModel


def _messages(output: str) -> list[Message]:
    return [
        Message(role="user", content="Why did order 48137 fail?"),
        Message(
            role="assistant",
            tool_calls=[
                {"id": "call_1", "type": "function", "function": {"name": "list_orders", "arguments": "{}"}},
            ],
        ),
        Message(role="tool", tool_call_id="call_1", tool_name="list_orders", content=output),
    ]


def _wrap(**options: object) -> tuple[HeadroomAgnoModel, ScriptedAgnoModel]:
    inner = ScriptedAgnoModel(retries=2, supports_native_structured_outputs=True)
    return HeadroomAgnoModel(wrapped_model=inner, store=CompressionStore(), **options), inner


def test_identity_capabilities_and_retries_come_from_the_wrapped_model() -> None:
    model, inner = _wrap()
    assert (model.id, model.name, model.provider, model.get_provider()) == (
        inner.id,
        inner.name,
        inner.provider,
        inner.get_provider(),
    )
    assert model.supports_native_structured_outputs is True and model.retries == 2
    assert model.to_dict()["id"] == inner.id


def test_explicit_settings_win_over_the_wrapped_ones() -> None:
    model = HeadroomAgnoModel(wrapped_model=ScriptedAgnoModel(retries=2), id="audited", retries=5)
    assert model.id == "audited" and model.retries == 5


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mode": "shrink"},
        {"token_budget": 0},
        {"token_budget": True},
        {"config": 3},
        {"config": {"no_such_option": 1}},
        {"store": "memory://"},
        {"metrics_store": object()},
    ],
)
def test_misconfiguration_raises_configuration_error(options: dict[str, object]) -> None:
    kwargs = {"wrapped_model": ScriptedAgnoModel(), **options} if options else {}
    with pytest.raises(ConfigurationError):
        HeadroomAgnoModel(**kwargs)  # type: ignore[arg-type]


def test_the_model_can_be_passed_positionally_like_headroom_chat_model() -> None:
    inner = ScriptedAgnoModel()
    model = HeadroomAgnoModel(inner)  # type: ignore[arg-type]
    assert model.wrapped_model is inner and model.id == inner.id
    reply = model.invoke(messages=[Message(role="user", content="hi")], assistant_message=Message(role="assistant"))
    assert reply is not None


def test_options_are_normalised() -> None:
    model, _ = _wrap(mode="AUDIT", config={"smart_crusher": {"max_items_after_crush": 10}})
    assert model.mode is HeadroomMode.AUDIT
    assert isinstance(model.config, HeadroomConfig) and model.config.smart_crusher.max_items_after_crush == 10


def test_one_call_sends_compressed_copies_and_reports_the_savings() -> None:
    model, inner = _wrap()
    messages = _messages(api_json(300))
    before = [m.model_dump() for m in messages]

    response = model.invoke(messages=messages, assistant_message=Message(role="assistant"))

    sent_tool = inner.calls[0].texts("tool")[0]
    assert "48137" in sent_tool and len(sent_tool) < len(messages[2].content) / 5
    assert [m.model_dump() for m in messages] == before
    summary = response.extra["headroom"]
    assert summary["tokens_saved"] == summary["tokens_before"] - summary["tokens_after"] > 0
    assert summary["transforms"] and summary["refs"] and summary["mode"] == "optimize"
    assert model.get_savings_summary()["tokens_saved"] == summary["tokens_saved"]


def test_audit_mode_sends_the_original_and_reports_what_it_would_save() -> None:
    model, inner = _wrap(mode="audit")
    messages = _messages(api_json(300))
    response = model.invoke(messages=messages, assistant_message=Message(role="assistant"))
    assert inner.calls[0].texts("tool") == [messages[2].content]
    summary = response.extra["headroom"]
    assert summary["tokens_saved"] == 0 and summary["potential_tokens_saved"] > 0 and summary["refs"] == []


def test_compression_failure_sends_the_original(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(agno_models, "compress_agno_messages", broken)
    model, inner = _wrap()
    messages = _messages(api_json(300))
    response = model.invoke(messages=messages, assistant_message=Message(role="assistant"))
    assert inner.calls[0].texts("tool") == [messages[2].content]
    assert response.extra is None and model.get_savings_summary()["calls"] == 0


def test_provider_specific_work_is_delegated() -> None:
    model, inner = _wrap()
    deltas = [
        {"index": 0, "id": "c1", "function": {"name": "list_orders", "arguments": '{"sta'}},
        {"index": 0, "function": {"arguments": 'tus": "failed"}'}},
    ]
    assert model.parse_tool_calls(deltas) == inner.parse_tool_calls(deltas)
    assert model.parse_tool_calls(deltas)[0]["function"]["arguments"] == '{"status": "failed"}'
    assert model._parse_provider_response_delta({"content": "hi"}).content == "hi"
    messages = _messages("x")
    assert model.count_tokens(messages) == inner.count_tokens(messages)


def test_copies_share_the_savings_totals() -> None:
    model, _ = _wrap()
    clone = copy.deepcopy(model)
    clone.invoke(messages=_messages(api_json(300)), assistant_message=Message(role="assistant"))
    assert model.get_savings_summary()["calls"] == 1
    assert clone.wrapped_model is not model.wrapped_model


def test_each_call_is_recorded_in_the_metrics_store() -> None:
    metrics = MetricsStore("memory://")
    model, _ = _wrap(metrics_store=metrics)
    response = model.invoke(messages=_messages(api_json(300)), assistant_message=Message(role="assistant"))
    (record,) = metrics.get_metrics()
    assert record.integration == "agno" and record.tool_names == ("list_orders",)
    assert record.tokens_saved == response.extra["headroom"]["tokens_saved"]


def test_metrics_rows_only_for_calls_that_compressed_or_measured() -> None:
    metrics = MetricsStore("memory://")
    model, _ = _wrap(metrics_store=metrics)
    response = model.invoke(messages=_messages("order 48137: failed"), assistant_message=Message(role="assistant"))
    assert response.extra["headroom"]["transforms"] == [] and metrics.get_metrics() == []
    audit, _ = _wrap(mode="audit", metrics_store=metrics)
    audit.invoke(messages=_messages("order 48137: failed"), assistant_message=Message(role="assistant"))
    (record,) = metrics.get_metrics()
    assert record.mode == "audit" and record.integration == "agno" and record.tokens_saved == 0


def _long_history(turns: int) -> list[Message]:
    messages = [Message(role="system", content="You are a support agent.")]
    for i in range(turns):
        messages += [
            Message(role="user", content=f"Is order {48000 + i} fine?"),
            Message(role="assistant", content=f"Order {48000 + i} was delivered on time. " * 40),
        ]
    return [*messages, Message(role="user", content="Why did order 48137 fail?")]


def test_a_token_budget_fits_the_history_and_keeps_the_question() -> None:
    model, inner = _wrap(token_budget=1500)
    messages = _long_history(20)
    response = model.invoke(messages=messages, assistant_message=Message(role="assistant"))

    summary = response.extra["headroom"]
    assert summary["tokens_before"] > 1500 >= summary["tokens_after"]
    sent = inner.calls[0].messages
    assert sent[0] == ("system", "You are a support agent.") and sent[-1] == (
        "user",
        "Why did order 48137 fail?",
    )
    assert len(sent) < len(messages) and len(messages) == 42  # the caller's list is untouched
    assert any("omitted" in text for role, text in sent if role != "system")


@pytest.mark.parametrize("with_retrieve_tool", [False, True])
def test_the_history_note_keeps_roles_valid_and_names_only_a_tool_the_model_has(with_retrieve_tool: bool) -> None:
    model, inner = _wrap(token_budget=1500)
    retrieve = {"type": "function", "function": {"name": "headroom_retrieve", "parameters": {}}}
    other = {"type": "function", "function": {"name": "list_orders", "parameters": {}}}
    tools = [other, retrieve] if with_retrieve_tool else [other]
    model.invoke(messages=_long_history(20), assistant_message=Message(role="assistant"), tools=tools)
    sent = inner.calls[0].messages
    roles = [role for role, _ in sent]
    assert "system" not in roles[1:]
    (at,) = [i for i, (_, text) in enumerate(sent) if "messages omitted" in text]
    role, note = sent[at]
    if note.endswith("...]"):  # a note of its own stands between non-user messages
        assert role == "user" and "user" not in roles[at - 1 : at] + roles[at + 1 : at + 2]
    else:  # else it is merged into a user turn: no extra user message
        questions = [m.content for m in _long_history(20) if m.role == "user"]
        assert role == "user" and all(part in questions for part in note.split("\n\n") if "omitted" not in part)
    # Questions whose answers were dropped are joined: never two user messages in a row.
    assert not any(a == b == "user" for a, b in zip(roles, roles[1:], strict=False))
    assert ("headroom_retrieve ref=" in note) is with_retrieve_tool and "ref=" in note
