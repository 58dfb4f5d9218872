"""The demo's offline Agno model: it follows :mod:`.script` over what it is sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

from ..engine.tokens.tokenizer import count_tokens_text
from .script import Answer, ToolResult, next_step

__all__ = ["ScriptedAgnoModel"]


def _text(message: Message, compressed: bool) -> str:
    content = message.get_content(use_compressed_content=compressed and message.role == "tool")
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


@dataclass
class ScriptedAgnoModel(Model):
    """Deterministic, offline: calls the demo's tools one by one, then answers from their results.

    ``sent_tool_results`` holds the tool result texts of the latest call (updated
    in place), so the demo can show what reached the model.
    """

    id: str = "gpt-4o"
    name: str | None = "ScriptedAgno"
    provider: str | None = "Offline"
    sent_tool_results: list[str] = field(default_factory=list)

    def invoke(self, messages: list[Message], compress_tool_results: bool = False, **_: Any) -> ModelResponse:
        results = [
            ToolResult(m.tool_name or "", dict(m.tool_args or {}), _text(m, compress_tool_results))
            for m in messages
            if m.role == "tool"
        ]
        self.sent_tool_results[:] = [r.text for r in results]
        question = next((_text(m, False) for m in messages if m.role == "user"), "")
        step = next_step(question, results)
        read = self.count_tokens(messages)
        if isinstance(step, Answer):
            return ModelResponse(role="assistant", content=step.text, response_usage=self._usage(read, step.text))
        call = {
            "id": f"call_{len(results) + 1}",
            "type": "function",
            "function": {"name": step.name, "arguments": json.dumps(step.args)},
        }
        return ModelResponse(role="assistant", tool_calls=[call], response_usage=self._usage(read, json.dumps(call)))

    def _usage(self, read: int, written: str) -> MessageMetrics:
        out = int(count_tokens_text(written, self.id))
        return MessageMetrics(input_tokens=read, output_tokens=out, total_tokens=read + out)

    def count_tokens(self, messages: list[Message], tools: Any = None, output_schema: Any = None) -> int:
        """Headroom's offline count (Agno's default would try to download tokenizer files)."""
        return sum(int(count_tokens_text(_text(m, False), self.id)) for m in messages)

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.invoke(*args, **kwargs)

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        yield self.invoke(*args, **kwargs)

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        yield self.invoke(*args, **kwargs)

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response  # type: ignore[no-any-return]

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response  # type: ignore[no-any-return]
