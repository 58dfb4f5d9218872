"""langchain-tests ChatModelUnitTests: the scripted model alone, and HeadroomChatModel wrapping it."""

from __future__ import annotations

from langchain_tests.unit_tests import ChatModelUnitTests

from tests.support.scripted_suite import HeadroomAroundScripted, ScriptedAlone


class TestScriptedChatModelUnit(ScriptedAlone, ChatModelUnitTests):
    """The reference: the scripted model on its own."""


class TestHeadroomChatModelUnit(HeadroomAroundScripted, ChatModelUnitTests):
    """The same suite, same flags, through HeadroomChatModel."""
