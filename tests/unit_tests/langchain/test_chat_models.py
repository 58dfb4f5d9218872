"""HeadroomChatModel: compression on every path, identity kept, params forwarded, savings reported."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    convert_to_messages,
)
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableBinding, RunnableLambda
from pydantic import BaseModel, Field

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.config import HeadroomConfig
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.langchain import HeadroomChatModel
from tests.support.fixtures import api_json, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel

QUESTION = "Why did order 48137 fail?"
TOOL_OUTPUT = api_json(300)


def _conversation(question: str = QUESTION) -> list[BaseMessage]:
    return convert_to_messages(tool_conversation(TOOL_OUTPUT, question))


def _assert_sent_compressed(scripted: ScriptedChatModel, original: list[BaseMessage]) -> None:
    sent = scripted.calls[-1].messages
    assert [m.id for m in sent] == [m.id for m in original]
    assert all(a is b for a, b in zip(sent[:3], original[:3], strict=False))  # untouched messages are the same objects
    tool = sent[3]
    assert len(tool.content) < len(original[3].content) / 5
    assert "payment gateway timeout on order 48137" in tool.content  # what the question needs survives
    assert (tool.tool_call_id, tool.name) == (original[3].tool_call_id, original[3].name)


def _headroom_count(chunks: list[AIMessageChunk]) -> int:
    return sum("headroom" in c.response_metadata for c in chunks)


class _GenerateOnly(BaseChatModel):
    """A minimal provider: no streaming, no stop field; records what it gets."""

    seen: list[tuple[list[BaseMessage], list[str] | None, dict[str, Any]]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "generate-only"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append((messages, stop, kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(f"{len(messages)} messages"))])


# --- construction -----------------------------------------------------------------------------


def test_wrapped_model_is_the_first_positional_argument() -> None:
    scripted = ScriptedChatModel()
    assert HeadroomChatModel(scripted).wrapped_model is scripted
    assert HeadroomChatModel(wrapped_model=scripted).wrapped_model is scripted
    with pytest.raises(ConfigurationError):
        HeadroomChatModel(scripted, wrapped_model=scripted)


@pytest.mark.parametrize(
    "options",
    [
        {"wrapped_model": "gpt-4o"},
        {"mode": "fast"},
        {"token_budget": 0},
        {"token_budget": True},
        {"config": 5},
        {"config": {"smart_crusher": {"max_items_after_crush": 0}}},
        {"store": "memory://"},
        {"metrics_store": object()},
    ],
)
def test_misconfiguration_raises_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        HeadroomChatModel(**{"wrapped_model": ScriptedChatModel(), **options})


def test_config_may_be_a_dict_and_mode_a_string() -> None:
    model = HeadroomChatModel(
        ScriptedChatModel(), config={"smart_crusher": {"max_items_after_crush": 10}}, mode="AUDIT"
    )
    assert model.config == HeadroomConfig(smart_crusher={"max_items_after_crush": 10})
    assert model.mode is not None and model.mode.value == "audit"


def test_standard_params_really_reach_the_wrapped_model() -> None:
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted, temperature=0.3, max_tokens=50, timeout=12, stop=["END"], max_retries=4)
    reply = model.invoke("please say END now")
    params = scripted.calls[-1].params
    assert params == {
        "model": "scripted-1",
        "stop": ["END"],
        "max_tokens": 50,
        "timeout": 12,
        "max_retries": 4,
        "temperature": 0.3,
    }
    assert reply.content == "Scripted answer to: please say "  # the stop sequence was applied
    assert scripted.temperature is None  # the caller's model is not modified
    ls = model._get_ls_params()
    assert (ls["ls_temperature"], ls["ls_max_tokens"], ls["ls_stop"]) == (0.3, 50, ["END"])


def test_stop_goes_per_call_when_the_wrapped_model_has_no_stop_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = _GenerateOnly()
    with caplog.at_level(logging.WARNING):
        model = HeadroomChatModel(provider, stop=["###"], temperature=0.5)
    assert "has no 'temperature' setting" in caplog.text
    model.invoke("hi")
    assert provider.seen[-1][1] == ["###"]
    model.invoke("hi", stop=["!!"])
    assert provider.seen[-1][1] == ["!!"]


def test_tracing_identity_is_the_wrapped_models() -> None:
    scripted = ScriptedChatModel(model="scripted-9", profile={"max_input_tokens": 4096})
    model = HeadroomChatModel(scripted)
    assert model._llm_type == "headroom-scripted-chat"
    assert model.model_name == "scripted-9"
    assert model.profile == {"max_input_tokens": 4096}
    assert model._get_ls_params(model="other")["ls_model_name"] == "other"
    assert model._get_ls_params()["ls_provider"] == "scripted"


# --- compression on every path ------------------------------------------------------------------


def _invoke(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[AIMessageChunk | AIMessage]:
    return [model.invoke(conversation)]


def _stream(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    return list(model.stream(conversation))


def _invoke_streaming(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    return [model.model_copy(update={"streaming": True}).invoke(conversation)]


def _events_v3(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    stream = model.stream_events(conversation, version="v3")
    list(stream)
    return [stream.output]


async def _ainvoke(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    return [await model.ainvoke(conversation)]


async def _astream(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    return [chunk async for chunk in model.astream(conversation)]


async def _astream_events(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    # astream_events attaches a streaming handler, so ainvoke goes through _astream
    events = [e async for e in model.astream_events(conversation, version="v2")]
    assert any(e["event"] == "on_chat_model_stream" for e in events)
    return [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]


async def _aevents_v3(model: HeadroomChatModel, conversation: list[BaseMessage]) -> list[Any]:
    stream = await model.astream_events(conversation, version="v3")
    _ = [event async for event in stream]
    return [await stream.output]


@pytest.mark.parametrize("path", [_invoke, _stream, _invoke_streaming, _events_v3])
def test_every_sync_path_sends_the_compressed_conversation(path: Callable[..., list[Any]]) -> None:
    scripted = ScriptedChatModel()
    conversation = _conversation()
    replies = path(HeadroomChatModel(scripted), conversation)
    _assert_sent_compressed(scripted, conversation)
    assert len(scripted.calls) == 1
    assert _headroom_count(replies) == 1


@pytest.mark.parametrize("path", [_ainvoke, _astream, _astream_events, _aevents_v3])
async def test_every_async_path_sends_the_compressed_conversation(path: Callable[..., Any]) -> None:
    scripted = ScriptedChatModel()
    conversation = _conversation()
    replies = await path(HeadroomChatModel(scripted), conversation)
    _assert_sent_compressed(scripted, conversation)
    assert len(scripted.calls) == 1
    assert _headroom_count(replies) == 1


def test_a_streaming_wrapped_model_still_gets_compressed_input_on_invoke() -> None:
    scripted = ScriptedChatModel(streaming=True)
    conversation = _conversation()
    reply = HeadroomChatModel(scripted).invoke(conversation)
    _assert_sent_compressed(scripted, conversation)
    assert reply.response_metadata["headroom"]["tokens_saved"] > 0


def test_batch_compresses_each_conversation() -> None:
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted)
    replies = model.batch([_conversation(), _conversation("Which orders failed?")])
    assert len(replies) == 2 and len(scripted.calls) == 2
    assert all(r.response_metadata["headroom"]["tokens_saved"] > 0 for r in replies)
    assert all(len(c.messages[3].content) < len(TOOL_OUTPUT) / 5 for c in scripted.calls)


async def test_abatch_compresses_each_conversation() -> None:
    scripted = ScriptedChatModel()
    replies = await HeadroomChatModel(scripted).abatch([_conversation(), _conversation()])
    assert [r.response_metadata["headroom"]["tokens_saved"] > 0 for r in replies] == [True, True]
    assert len(scripted.calls) == 2


def test_generate_with_several_conversations_reports_each_run() -> None:
    scripted = ScriptedChatModel()
    result = HeadroomChatModel(scripted).generate([_conversation(), [HumanMessage("hello")]])
    assert len(result.generations) == 2 and result.run is not None and len(result.run) == 2
    savings = [g[0].message.response_metadata["headroom"]["tokens_saved"] for g in result.generations]
    assert savings[0] > 0 and savings[1] == 0


def test_streaming_starts_with_the_first_chunk_of_the_wrapped_model() -> None:
    scripted = ScriptedChatModel()
    stream = HeadroomChatModel(scripted).stream("tell me a long story about streams")
    first = next(stream)
    assert len(scripted.calls) == 1 and first.content == "Scripted "
    assert "headroom" in first.response_metadata
    rest = list(stream)
    assert rest[-1].chunk_position == "last" and _headroom_count(rest) == 0


def test_streaming_does_not_wait_for_the_rest_of_the_wrapped_stream() -> None:
    release = threading.Event()

    class Gated(ScriptedChatModel):
        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            chunks = super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
            yield next(chunks)
            if not release.wait(timeout=10):
                raise TimeoutError("the consumer never got the first chunk")
            yield from chunks

    stream = HeadroomChatModel(Gated()).stream("hello")
    first = next(stream)  # would block (and the model time out) if Headroom buffered the stream
    release.set()
    assert first.content == "Scripted " and len(list(stream)) > 1


def test_a_model_that_cannot_stream_yields_one_chunk_with_the_savings() -> None:
    provider = _GenerateOnly()
    chunks = list(HeadroomChatModel(provider).stream(_conversation()))
    assert [c.content for c in chunks if c.content] == ["4 messages"]
    assert _headroom_count(chunks) == 1
    assert len(provider.seen[-1][0][3].content) < len(TOOL_OUTPUT) / 5


async def test_large_async_compression_runs_off_the_event_loop() -> None:
    class ThreadRecordingStore(CompressionStore):
        threads: list[int] = []

        def put(self, content: str, **kwargs: Any) -> str:
            self.threads.append(threading.get_ident())
            return super().put(content, **kwargs)

    store = ThreadRecordingStore()
    unique = api_json(400, seed=11)  # not in the engine's output cache yet
    model = HeadroomChatModel(ScriptedChatModel(), store=store)
    await model.ainvoke(convert_to_messages(tool_conversation(unique, QUESTION)))
    assert store.threads and threading.get_ident() not in store.threads


def test_token_budget_fits_the_history_and_keeps_what_it_drops_retrievable() -> None:
    history: list[BaseMessage] = [SystemMessage("You are a travel agent.", id="sys")]
    for i in range(40):
        history.append(HumanMessage(f"Tell me about city {i}: museums, parks, food and trams.", id=f"h{i}"))
        history.append(AIMessage(f"City {i} has museum M{i}, park P{i} and tram line T{i}. " * 5, id=f"a{i}"))
    history.append(HumanMessage("Which museum does city 7 have?", id="question"))
    scripted, store = ScriptedChatModel(), CompressionStore()
    reply = HeadroomChatModel(scripted, token_budget=1200, store=store).invoke(history)
    headroom = reply.response_metadata["headroom"]
    sent = scripted.calls[-1].messages
    assert headroom["tokens_after"] <= 1200 < headroom["tokens_before"]
    assert sent[0] is history[0] and sent[-1] is history[-1]
    kept = [m for m in sent if any(m is h for h in history)]
    assert [m.id for m in kept] == [h.id for h in history if any(h is m for m in kept)]  # order kept
    (note,) = [m for m in sent if not any(m is h for h in history)]
    (ref,) = headroom["refs"]
    assert f"; ref={ref} ...]" in note.text and "headroom_retrieve" not in note.text  # no retrieve tool bound
    assert "City 0 has museum M0" in store.retrieve(ref)


# --- identity, tools, structured output -----------------------------------------------------------


def test_bind_tools_reaches_the_provider_call_with_compressed_input() -> None:
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted)

    def refund_order(order_id: int) -> str:
        """Refund an order."""
        return "ok"

    bound = model.bind_tools([refund_order], tool_choice="refund_order")
    assert isinstance(bound, RunnableBinding) and bound.bound is model
    conversation = [*_conversation(), HumanMessage("Refund order 48137 please")]
    reply = bound.invoke(conversation)
    call = scripted.calls[-1]
    assert call.kwargs["tool_choice"] == "refund_order"
    assert [t["function"]["name"] for t in call.kwargs["tools"]] == ["refund_order"]
    assert reply.tool_calls[0]["args"] == {"order_id": 48137}
    assert len(call.messages[3].content) < len(TOOL_OUTPUT) / 5
    assert reply.response_metadata["headroom"]["tokens_saved"] > 0


class Diagnosis(BaseModel):
    """Why an order failed."""

    order_id: int
    reason: str


@pytest.mark.parametrize("method", ["function_calling", "json_mode", "json_schema"])
def test_structured_output_uses_the_wrapped_models_method_on_compressed_input(method: str) -> None:
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted)
    chain = model.with_structured_output(Diagnosis, method=method, include_raw=True)
    out = chain.invoke([*_conversation(), HumanMessage("Diagnose order 48137 as 'order_id' and 'reason'")])
    assert isinstance(out["parsed"], Diagnosis) and out["parsed"].order_id == 48137
    assert out["raw"].response_metadata["headroom"]["tokens_saved"] > 0
    call = scripted.calls[-1]
    assert ("response_format" in call.kwargs) == (method != "function_calling")
    assert len(call.messages[3].content) < len(TOOL_OUTPUT) / 5


def test_savings_summary_counts_calls_through_bound_copies() -> None:
    model = HeadroomChatModel(ScriptedChatModel())

    def lookup(order_id: int) -> str:
        """Look an order up."""
        return "ok"

    replies = [
        model.invoke(_conversation()),
        model.bind_tools([lookup]).invoke(_conversation()),
        model.with_structured_output(Diagnosis, include_raw=True).invoke(_conversation())["raw"],
    ]
    summary = model.get_savings_summary()
    assert summary["calls"] == 3
    assert summary["tokens_saved"] == sum(r.response_metadata["headroom"]["tokens_saved"] for r in replies) > 0
    assert summary["transforms"] == {"smart_crusher": 3}
    assert summary["completions"] == 3 and summary["output_tokens"] > 0


def test_metrics_store_records_each_call() -> None:
    metrics = MetricsStore("memory://")
    model = HeadroomChatModel(ScriptedChatModel(), metrics_store=metrics)
    model.invoke(_conversation())
    list(model.stream(_conversation()))
    records = metrics.get_metrics()
    assert len(records) == 2
    assert {r.integration for r in records} == {"langchain"} and all(r.tokens_saved > 0 for r in records)


def test_metrics_rows_only_for_calls_that_compressed_or_measured() -> None:
    metrics = MetricsStore("memory://")
    small = convert_to_messages(tool_conversation("order 48137: payment gateway timeout", QUESTION))
    reply = HeadroomChatModel(ScriptedChatModel(), metrics_store=metrics).invoke(small)
    assert reply.response_metadata["headroom"]["transforms"] == [] and metrics.get_metrics() == []
    HeadroomChatModel(ScriptedChatModel(), metrics_store=metrics, mode="audit").invoke(small)
    (record,) = metrics.get_metrics()
    assert record.mode == "audit" and record.tokens_saved == 0


# --- modes and failure ---------------------------------------------------------------------------------


def test_optimize_keeps_dropped_content_retrievable() -> None:
    store = CompressionStore()
    reply = HeadroomChatModel(ScriptedChatModel(), store=store).invoke(_conversation())
    (ref,) = reply.response_metadata["headroom"]["refs"]
    assert store.retrieve(ref) == TOOL_OUTPUT


@pytest.mark.parametrize("mode", ["audit", "simulate"])
def test_audit_and_simulate_send_the_original_and_report_what_optimize_would_save(mode: str) -> None:
    scripted, store = ScriptedChatModel(), CompressionStore()
    conversation = _conversation()
    reply = HeadroomChatModel(scripted, mode=mode, store=store).invoke(conversation)
    assert all(a is b for a, b in zip(scripted.calls[-1].messages, conversation, strict=False))
    headroom = reply.response_metadata["headroom"]
    assert headroom["mode"] == mode
    assert headroom["tokens_saved"] == 0 and headroom["tokens_after"] == headroom["tokens_before"]
    assert headroom["potential_tokens_saved"] > 0 and headroom["refs"] == []
    assert len(store) == 0


def test_compression_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    scripted = ScriptedChatModel()
    odd = AIMessage("", tool_calls=[{"name": "f", "args": {"when": {1, 2}}, "id": "c1", "type": "tool_call"}])
    conversation = [HumanMessage("hi"), odd, HumanMessage("and now?")]
    with caplog.at_level(logging.WARNING):
        reply = HeadroomChatModel(scripted).invoke(conversation)
    assert "failed open" in caplog.text
    assert all(a is b for a, b in zip(scripted.calls[-1].messages, conversation, strict=False))
    assert "headroom" not in reply.response_metadata and reply.content


def test_a_wrapped_model_that_hides_itself_still_gets_compressed_input() -> None:
    provider = _GenerateOnly()

    class ClosureTools(_GenerateOnly):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Runnable[Any, Any]:
            return RunnableLambda(lambda value: provider.invoke(value, tools=list(tools)))

    model = HeadroomChatModel(ClosureTools())
    reply = model.bind_tools(["lookup"]).invoke(_conversation())
    assert reply.content == "4 messages"
    assert len(provider.seen[-1][0][3].content) < len(TOOL_OUTPUT) / 5
    assert model.get_savings_summary()["calls"] == 1


def test_same_input_gives_byte_identical_provider_input() -> None:
    scripted = ScriptedChatModel()
    model = HeadroomChatModel(scripted)
    model.invoke(_conversation())
    asyncio.run(model.ainvoke(_conversation()))
    first, second = (c.messages for c in scripted.calls)
    assert [m.model_dump_json() for m in first] == [m.model_dump_json() for m in second]


def test_the_history_note_names_headroom_retrieve_only_when_it_is_bound() -> None:
    from headroom_integrations.langchain import create_retrieve_tool

    store = CompressionStore()
    history: list[BaseMessage] = [SystemMessage("Be brief.")]
    for i in range(12):
        history += [HumanMessage(f"Question {i} about topic {i}. " * 20), AIMessage(f"Answer {i}, topic {i}. " * 20)]
    history.append(HumanMessage("Which topic came first?"))
    inner = ScriptedChatModel()
    model = HeadroomChatModel(inner, token_budget=900, store=store)

    def note() -> str:
        (text,) = [m.text for m in inner.calls[-1].messages if "messages omitted" in m.text]
        return text

    model.invoke(history)
    assert "headroom_retrieve" not in note() and "; ref=" in note()
    model.bind_tools([create_retrieve_tool(store)]).invoke(history)
    assert "headroom_retrieve ref=" in note()
