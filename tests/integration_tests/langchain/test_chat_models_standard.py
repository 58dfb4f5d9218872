"""langchain-tests ChatModelIntegrationTests, offline: the scripted model alone and wrapped by Headroom."""

from __future__ import annotations

from langchain_tests.integration_tests import ChatModelIntegrationTests

from tests.support.scripted_suite import HeadroomAroundScripted, ScriptedAlone


class TestScriptedChatModelIntegration(ScriptedAlone, ChatModelIntegrationTests):
    """The reference: the scripted model on its own."""


class TestHeadroomChatModelIntegration(HeadroomAroundScripted, ChatModelIntegrationTests):
    """The same suite, same flags, through HeadroomChatModel."""
