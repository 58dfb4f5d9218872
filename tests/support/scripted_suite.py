"""The langchain-tests setup for the scripted model, alone and wrapped by Headroom.

The standard suites run twice: on ``ScriptedChatModel`` alone and on
``HeadroomChatModel`` wrapping it. Both inherit :class:`ScriptedSuiteFlags`, so
Headroom is held to exactly the capabilities of the model it wraps (tool
calling, tool choice and structured output are detected from the classes).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from headroom_integrations.langchain import HeadroomChatModel
from tests.support.scripted_chat_model import ScriptedChatModel

__all__ = ["HeadroomAroundScripted", "ScriptedAlone", "ScriptedSuiteFlags"]


class ScriptedSuiteFlags:
    """Capability flags shared by both runs."""

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "scripted-2"


class ScriptedAlone(ScriptedSuiteFlags):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ScriptedChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "scripted-1"}


class HeadroomAroundScripted(ScriptedSuiteFlags):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return HeadroomChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"wrapped_model": ScriptedChatModel(model="scripted-1")}
