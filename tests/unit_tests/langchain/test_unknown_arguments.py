"""A misspelt keyword of a LangChain wrapper raises ConfigurationError naming the closest valid one."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import tool

from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.langchain import (
    HeadroomChatModel,
    HeadroomDocumentCompressor,
    HeadroomMiddleware,
    HeadroomToolWrapper,
)
from tests.support.scripted_chat_model import ScriptedChatModel


@tool
def lookup(order: str) -> str:
    """Look an order up."""
    return order


@pytest.mark.parametrize(
    ("build", "typo", "meant"),
    [
        (lambda kw: HeadroomChatModel(ScriptedChatModel(), **kw), "tokn_budget", "token_budget"),
        (lambda kw: HeadroomMiddleware(**kw), "retrieve_tol", "retrieve_tool"),
        (lambda kw: HeadroomToolWrapper(lookup, **kw), "metric_store", "metrics_store"),
        (lambda kw: HeadroomDocumentCompressor(**kw), "token_budgt", "token_budget"),
    ],
)
def test_typo_names_the_closest_argument(build: Any, typo: str, meant: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        build({typo: 100})
    assert info.value.details["suggestion"] == meant
    assert f"{typo!r}; did you mean {meant!r}?" in str(info.value)
    assert info.value.details["value"] == 100 and meant in info.value.details["allowed"]


def test_validator_errors_stay_configuration_errors() -> None:
    with pytest.raises(ConfigurationError) as info:
        HeadroomChatModel(ScriptedChatModel(), token_budget=0)
    assert info.value.details["field"] == "token_budget"
    with pytest.raises(ConfigurationError):
        HeadroomDocumentCompressor(k=0)
