"""An offline chat model that can drive an agent: it calls tools, then answers from what it read.

On a user turn it calls the bound tool whose name shares a word with the
question (arguments come from the question: a 24-hex ``ref``, quoted words,
numbers); after a tool result it answers like :class:`OfflineChatModel`,
quoting the lines of this turn's tool results that mention the numbers of
the question. No network, no keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from _offline_model import OfflineChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool


def _arguments(schema: dict[str, Any], question: str) -> dict[str, Any]:
    quoted = re.findall(r"'([^']+)'", question)
    numbers = re.findall(r"\d{3,}", question)
    ref = re.findall(r"\b[0-9a-f]{24}\b", question)
    args: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        if name == "ref" and ref:
            args[name] = ref[0]
        elif name == "query" and numbers:
            args[name] = numbers[-1]
        elif spec.get("type") == "integer" and numbers:
            args[name] = int(numbers[0])
        elif spec.get("type") == "string" and quoted:
            args[name] = quoted.pop(0)
    return args


class OfflineAgentModel(OfflineChatModel):
    """``OfflineChatModel`` plus tool calling, so ``create_agent`` can run it."""

    model: str = "offline-agent-1"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, AIMessage]:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, HumanMessage):
            words = set(re.findall(r"[a-z]+", last.text.lower()))
            for spec in kwargs.get("tools") or ():
                function = spec["function"]
                if words & set(function["name"].split("_")) - {"headroom"}:
                    call = {
                        "name": function["name"],
                        "args": _arguments(function.get("parameters", {}), last.text),
                        "id": f"call_{len(messages)}_{function['name']}",
                    }
                    return ChatResult(generations=[ChatGeneration(message=AIMessage("", tool_calls=[call]))])
        # Answer from what this turn's tools returned (or the whole conversation if none ran).
        asked = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        context = messages[asked + 1 :] or messages[:asked]
        return super()._generate([*context, messages[asked]], stop, run_manager)
