"""An offline, deterministic Agno ``Model`` that behaves like a tool-calling provider.

It is a real ``agno.models.base.Model`` subclass, so Agno's own tool loop
drives it. Each call it:

* reads the messages the way a provider does (tool results as
  ``compressed_content`` when Agno asks for compressed tool results) and
  records them in ``calls``, so tests see exactly what the "provider" received;
* follows ``plan``: the n-th assistant turn after the latest user message
  calls the tools of ``plan[n]`` (a list of ``(name, arguments)``, or a
  function of the (role, text) pairs read so far returning one, e.g. to pass
  on a ref it just saw); once the plan is done it answers in text,
  quoting every tool-result line that mentions an identifier (a word with a
  digit) from the user's question;
* reports usage (word/punctuation tokens) and streams: text word by word and
  each tool call split over two OpenAI-style deltas that ``parse_tool_calls``
  merges again.

Provider payloads are plain dicts turned into ``ModelResponse`` objects by
``_parse_provider_response`` / ``_parse_provider_response_delta``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

__all__ = ["ScriptedAgnoCall", "ScriptedAgnoModel", "ToolStep"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_IDENTIFIER = re.compile(r"\b[\w-]*\d[\w-]*\b")

# One planned assistant turn: the tool calls to make, as (tool name, arguments), or a
# function of what the model has read so far ((role, text) pairs) that returns them.
ToolCalls = Sequence[tuple[str, dict[str, Any]]]
ToolStep = ToolCalls | Callable[[Sequence[tuple[str, str]]], ToolCalls]


def _tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class ScriptedAgnoCall:
    """What one provider call received: (role, text) pairs, the offered tools, and whether it streamed."""

    messages: tuple[tuple[str, str], ...]
    tool_names: tuple[str, ...]
    streamed: bool

    def texts(self, role: str) -> list[str]:
        return [text for r, text in self.messages if r == role]


def _read(message: Message, compressed: bool) -> str:
    content = message.get_content(use_compressed_content=compressed and message.role == "tool")
    if isinstance(content, str):
        return content
    return json.dumps(content, ensure_ascii=False, sort_keys=True) if content is not None else ""


@dataclass
class ScriptedAgnoModel(Model):
    """Calls the tools of ``plan`` turn by turn, then answers from the tool results."""

    id: str = "scripted-agno"
    name: str | None = "ScriptedAgno"
    provider: str | None = "Scripted"
    plan: list[ToolStep] = field(default_factory=list)
    calls: list[ScriptedAgnoCall] = field(default_factory=list)

    # --- the "provider": decide a reply from the conversation ------------------

    def _reply(
        self,
        messages: list[Message],
        streamed: bool,
        tools: Any = None,
        compress_tool_results: bool = False,
        **_: Any,
    ) -> dict[str, Any]:
        seen = tuple((m.role, _read(m, compress_tool_results)) for m in messages)
        names = tuple(str((t.get("function") or {}).get("name", "")) for t in tools or () if isinstance(t, dict))
        self.calls.append(ScriptedAgnoCall(seen, names, streamed))
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        turn = messages[last_user + 1 :]
        step = sum(1 for m in turn if m.role == "assistant")
        usage = {"input": sum(_tokens(text) for _, text in seen)}
        if step < len(self.plan):
            planned = self.plan[step]
            calls = [
                {
                    "id": f"call_{step}_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args, sort_keys=True)},
                }
                for i, (name, args) in enumerate(planned(seen) if callable(planned) else planned)
            ]
            return {"content": None, "tool_calls": calls, "usage": {**usage, "output": 5 * len(calls)}}
        question = _read(messages[last_user], False) if last_user >= 0 else ""
        wanted = set(_IDENTIFIER.findall(question))
        quoted = [
            line.strip()
            for m in turn
            if m.role == "tool"
            for line in _read(m, compress_tool_results).splitlines()
            if wanted and wanted.intersection(_IDENTIFIER.findall(line))
        ]
        text = "Answer: " + (" | ".join(quoted) if quoted else "no matching data")
        return {"content": text, "tool_calls": [], "usage": {**usage, "output": _tokens(text)}}

    @staticmethod
    def _chunks(reply: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for word in re.findall(r"\S+\s*", reply["content"] or ""):
            yield {"content": word}
        for index, call in enumerate(reply["tool_calls"]):
            args = call["function"]["arguments"]
            half = len(args) // 2
            yield {
                "tool_call": {
                    "index": index,
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["function"]["name"], "arguments": args[:half]},
                }
            }
            yield {"tool_call": {"index": index, "function": {"arguments": args[half:]}}}
        yield {"usage": reply["usage"]}

    # --- Model API ----------------------------------------------------------------

    def invoke(self, **kwargs: Any) -> ModelResponse:
        return self._parse_provider_response(self._reply(streamed=False, **kwargs))

    async def ainvoke(self, **kwargs: Any) -> ModelResponse:
        return self.invoke(**kwargs)

    def invoke_stream(self, **kwargs: Any) -> Iterator[ModelResponse]:
        for chunk in self._chunks(self._reply(streamed=True, **kwargs)):
            yield self._parse_provider_response_delta(chunk)

    async def ainvoke_stream(self, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        for delta in self.invoke_stream(**kwargs):
            yield delta

    def count_tokens(self, messages: list[Message], tools: Any = None, output_schema: Any = None) -> int:
        """Word/punctuation tokens of the messages (Agno's default would need tiktoken downloads)."""
        return sum(_tokens(_read(m, False)) for m in messages)

    @staticmethod
    def _usage(usage: dict[str, int]) -> MessageMetrics:
        return MessageMetrics(
            input_tokens=usage["input"],
            output_tokens=usage["output"],
            total_tokens=usage["input"] + usage["output"],
        )

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return ModelResponse(
            role="assistant",
            content=response["content"],
            tool_calls=list(response["tool_calls"]),
            response_usage=self._usage(response["usage"]),
        )

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        delta = ModelResponse(role="assistant")
        if "content" in response:
            delta.content = response["content"]
        if "tool_call" in response:
            delta.tool_calls = [response["tool_call"]]
        if "usage" in response:
            delta.response_usage = self._usage(response["usage"])
        return delta

    def parse_tool_calls(self, tool_calls_data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Merge streamed tool-call deltas by index (as OpenAI-style providers do)."""
        merged: dict[int, dict[str, Any]] = {}
        for delta in tool_calls_data:
            entry = merged.setdefault(
                delta["index"], {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
            )
            entry["id"] = delta.get("id") or entry["id"]
            function = delta.get("function") or {}
            entry["function"]["name"] = function.get("name") or entry["function"]["name"]
            entry["function"]["arguments"] += function.get("arguments") or ""
        return [merged[i] for i in sorted(merged)]
