"""HeadroomChatModel round-trips through LangChain serialization around a serializable model."""

from __future__ import annotations

import pytest
from langchain_core._api import suppress_langchain_beta_warning
from langchain_core.load import dumpd, dumps, load, loads
from langchain_openai import ChatOpenAI

from headroom_integrations import CompressionStore, HeadroomConfig, HeadroomMode
from headroom_integrations.langchain import HeadroomChatModel
from tests.support.scripted_chat_model import ScriptedChatModel

KEY = "sk-test-not-a-real-key-1234567890"


def _model() -> HeadroomChatModel:
    config = HeadroomConfig.from_dict({"smart_crusher": {"max_items_after_crush": 9}})
    return HeadroomChatModel(
        ChatOpenAI(model="gpt-4o-mini", api_key=KEY),  # type: ignore[arg-type]
        config=config,
        mode="audit",
        token_budget=5_000,
        store=CompressionStore(),
    )


def _revive(data: object) -> HeadroomChatModel:
    with suppress_langchain_beta_warning():
        revived = load(
            data,
            valid_namespaces=["headroom_integrations"],
            allowed_objects=[HeadroomChatModel, ChatOpenAI],
            secrets_map={"OPENAI_API_KEY": KEY},
        )
    assert isinstance(revived, HeadroomChatModel)
    return revived


def test_dumpd_and_load_give_the_same_model_back() -> None:
    original = _model()
    revived = _revive(dumpd(original))
    assert isinstance(revived.wrapped_model, ChatOpenAI) and revived.wrapped_model.model_name == "gpt-4o-mini"
    assert revived.wrapped_model.openai_api_key is not None
    assert revived.wrapped_model.openai_api_key.get_secret_value() == KEY
    assert revived.config == original.config and revived.config.smart_crusher.max_items_after_crush == 9
    assert (revived.mode, revived.token_budget, revived.store) == (HeadroomMode.AUDIT, 5_000, None)


def test_dumps_keeps_the_secret_out_of_the_text() -> None:
    text = dumps(_model())
    assert KEY not in text and '"OPENAI_API_KEY"' in text
    with suppress_langchain_beta_warning():
        revived = loads(
            text,
            valid_namespaces=["headroom_integrations"],
            allowed_objects=[HeadroomChatModel, ChatOpenAI],
            secrets_map={"OPENAI_API_KEY": KEY},
        )
    assert revived.token_budget == 5_000


def test_around_a_model_that_cannot_be_serialized_it_says_so() -> None:
    data = dumpd(HeadroomChatModel(ScriptedChatModel()))
    assert data["type"] == "not_implemented"
    with pytest.raises(NotImplementedError), suppress_langchain_beta_warning():
        _revive(data)
