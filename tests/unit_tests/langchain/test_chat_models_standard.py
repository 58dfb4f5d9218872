"""langchain-tests ChatModelUnitTests: the scripted model alone, and HeadroomChatModel wrapping it."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from tests.support.scripted_suite import HeadroomAroundScripted, ScriptedAlone


class TestScriptedChatModelUnit(ScriptedAlone, ChatModelUnitTests):
    """The reference: the scripted model on its own."""


class TestHeadroomChatModelUnit(HeadroomAroundScripted, ChatModelUnitTests):
    """The same suite, same flags, through HeadroomChatModel."""

    @pytest.mark.xfail(
        strict=True,
        reason="the wrapped scripted model is not serializable, and the suite reloads with allowed_objects='all', "
        "which admits only classes in langchain-core's own mappings (no package outside them can pass); "
        "test_serialization.py round-trips HeadroomChatModel around ChatOpenAI with an explicit allowlist instead",
    )
    def test_serdes(self, *args: Any, **kwargs: Any) -> None:
        super().test_serdes(*args, **kwargs)
