"""The demo's offline LangChain chat model: it follows :mod:`.script` over what it is sent."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from ..engine.tokens.tokenizer import count_tokens_messages, count_tokens_text
from ..langchain import to_engine_messages
from .script import Answer, ToolResult, next_step

__all__ = ["ScriptedChatModel"]

# The scripted model stands in for this provider model: its tokenizer counts the demo's tokens.
STAND_IN_MODEL = "gpt-4o"


def _tool_results(messages: Sequence[BaseMessage]) -> list[ToolResult]:
    """The tool results in ``messages``, each with the name and arguments of the call that asked for it."""
    calls = {c["id"]: c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
    results = []
    for message in messages:
        if isinstance(message, ToolMessage):
            call = calls.get(message.tool_call_id)
            name = call["name"] if call else message.name or ""
            results.append(ToolResult(name, dict(call["args"]) if call else {}, message.text))
    return results


class ScriptedChatModel(BaseChatModel):
    """Deterministic, offline: calls the demo's tools one by one, then answers from their results."""

    model_name: str = STAND_IN_MODEL

    @property
    def _llm_type(self) -> str:
        return "headroom-demo-scripted"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        return {"ls_provider": "offline", "ls_model_name": self.model_name, "ls_model_type": "chat"}

    def bind_tools(
        self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        question = next((m.text for m in messages if isinstance(m, HumanMessage)), "")
        step = next_step(question, _tool_results(messages))
        if isinstance(step, Answer):
            reply = AIMessage(step.text)
        else:
            call_id = f"call_{len(_tool_results(messages)) + 1}"
            reply = AIMessage("", tool_calls=[{"name": step.name, "args": step.args, "id": call_id}])
        read = int(count_tokens_messages(to_engine_messages(messages), self.model_name))
        written = int(count_tokens_text(reply.text + json.dumps(reply.tool_calls), self.model_name))
        reply.usage_metadata = {
            "input_tokens": read,
            "output_tokens": written,
            "total_tokens": read + written,
        }
        reply.response_metadata = {"model_name": self.model_name}
        return ChatResult(generations=[ChatGeneration(message=reply)])
