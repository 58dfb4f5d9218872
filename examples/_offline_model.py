"""A tiny offline chat model for the examples: it answers from what it is sent.

It quotes the context lines that mention the numbers in the question and says
how much text it read, so an example shows both that compression kept the
answer and that the model read less. It reports usage like a provider does.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class OfflineChatModel(BaseChatModel):
    """Deterministic stand-in for a provider model (no network, no keys)."""

    model: str = "offline-1"

    @property
    def _llm_type(self) -> str:
        return "offline"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        return {"ls_provider": "offline", "ls_model_name": self.model, "ls_model_type": "chat"}

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        question = messages[-1].text
        numbers = re.findall(r"\d{3,}", question)
        context = "\n".join(m.text for m in messages[:-1])
        lines = [line.strip() for line in context.splitlines() if any(n in line for n in numbers)]
        read = sum(len(m.text) for m in messages)
        answer = "; ".join(lines) or "nothing relevant"
        usage = {
            "input_tokens": read // 4,
            "output_tokens": len(answer) // 4,
            "total_tokens": read // 4 + len(answer) // 4,
        }
        reply = AIMessage(
            f"{answer} (read {read:,} characters)",
            usage_metadata=usage,
            response_metadata={"model_name": self.model},
        )
        return ChatResult(generations=[ChatGeneration(message=reply)])
