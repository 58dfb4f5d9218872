"""HeadroomChatModel takes what LangChain users pass as a model: strings, configurable models, not retry wrappers."""

from __future__ import annotations

import importlib.util

import pytest
from langchain.chat_models import init_chat_model
from langchain_core.runnables import ConfigurableField
from langchain_openai import ChatOpenAI

from headroom_integrations import ConfigurationError
from headroom_integrations.langchain import HeadroomChatModel
from tests.support.fixtures import api_json, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel


def test_a_provider_model_string_builds_the_provider_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    model = HeadroomChatModel("openai:gpt-4o-mini", token_budget=1_000)
    assert isinstance(model.wrapped_model, ChatOpenAI) and model.model_name == "gpt-4o-mini"


@pytest.mark.skipif(importlib.util.find_spec("langchain_groq") is not None, reason="langchain-groq is installed")
def test_a_string_for_a_missing_provider_names_the_package_to_install() -> None:
    with pytest.raises(ConfigurationError, match="langchain-groq") as info:
        HeadroomChatModel("groq:llama-3.1-8b-instant")
    assert info.value.details["field"] == "wrapped_model"


def test_init_chat_model_with_configurable_fields_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    configurable = init_chat_model("openai:gpt-4o-mini", configurable_fields=("model", "temperature"))
    model = HeadroomChatModel(configurable, temperature=0.2)
    assert isinstance(model.wrapped_model, ChatOpenAI) and model.wrapped_model.model_name == "gpt-4o-mini"
    assert model.wrapped_model.temperature == 0.2


def test_a_configurable_field_picks_the_wrapped_model_per_call() -> None:
    scripted = ScriptedChatModel(model="scripted-1")
    configurable = scripted.configurable_fields(model=ConfigurableField(id="model"))
    model = HeadroomChatModel(configurable)
    conversation = tool_conversation(api_json(300))
    default = model.invoke(conversation)
    chosen = model.invoke(conversation, config={"configurable": {"model": "scripted-2"}})
    streamed = list(model.stream(conversation, config={"configurable": {"model": "scripted-3"}}))
    assert default.response_metadata["model_name"] == "scripted-1"
    assert chosen.response_metadata["model_name"] == "scripted-2"
    assert streamed[-1].response_metadata.get("model_name") in ("scripted-3", None)
    assert chosen.response_metadata["headroom"]["tokens_saved"] > 0
    assert model.get_savings_summary()["calls"] == 3  # one running total across the chosen models


async def test_a_configurable_model_per_call_async() -> None:
    configurable = ScriptedChatModel(model="scripted-1").configurable_fields(model=ConfigurableField(id="model"))
    reply = await HeadroomChatModel(configurable).ainvoke("hi", config={"configurable": {"model": "scripted-9"}})
    assert reply.response_metadata["model_name"] == "scripted-9"


@pytest.mark.parametrize("make", [lambda m: m.with_retry(), lambda m: m.with_fallbacks([ScriptedChatModel()])])
def test_retry_and_fallback_wrappers_say_how_to_compose(make: object) -> None:
    with pytest.raises(ConfigurationError, match=r"HeadroomChatModel\(model\)\.with_retry"):
        HeadroomChatModel(make(ScriptedChatModel()))  # type: ignore[operator]
    retried = HeadroomChatModel(ScriptedChatModel()).with_retry(stop_after_attempt=2)
    assert retried.invoke("hi").content
