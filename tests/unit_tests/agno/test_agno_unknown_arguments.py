"""A misspelt keyword of HeadroomAgnoModel raises ConfigurationError naming the closest valid one."""

from __future__ import annotations

import pytest

from headroom_integrations.agno import HeadroomAgnoModel
from headroom_integrations.engine.errors import ConfigurationError
from tests.support.scripted_agno_model import ScriptedAgnoModel


def test_typo_names_the_closest_argument() -> None:
    with pytest.raises(ConfigurationError) as info:
        HeadroomAgnoModel(wrapped_model=ScriptedAgnoModel(), tokn_budget=100)  # type: ignore[call-arg]
    assert info.value.details["suggestion"] == "token_budget"
    assert "did you mean 'token_budget'?" in str(info.value)
    assert HeadroomAgnoModel(wrapped_model=ScriptedAgnoModel(), token_budget=100).token_budget == 100
