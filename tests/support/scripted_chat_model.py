"""An offline, deterministic chat model that answers from rules over its input.

It is a real ``BaseChatModel`` (used alone and wrapped by ``HeadroomChatModel``
in the langchain-tests standard suites), so it does what a provider does:

* tool calling: ``bind_tools`` formats tools the OpenAI way; it calls a tool
  when ``tool_choice`` forces one, or when the latest user turn names a tool
  (or says "tool"), filling arguments from the user's words (numbers, quoted
  strings, capitalised words);
* structured output: ``with_structured_output`` with ``function_calling``,
  ``json_mode`` or ``json_schema``, answering JSON that matches the schema;
* text replies: it quotes the context around the first mention of an
  identifier the user asked about (the latest tool result first, when the
  turn ends with one), else reports the tool result or echoes the request;
* usage metadata from word/punctuation token counts; ``stop``, ``max_tokens``
  and a per-call ``model`` are honoured; streaming word by word.

Every call is recorded in ``calls`` (shared by ``model_copy`` copies) so tests
can check what the model really received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCall, tool_call, tool_call_chunk
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import Field

__all__ = ["ScriptedCall", "ScriptedChatModel", "count_tokens"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_IDENTIFIER = re.compile(r"\b[\w-]*\d[\w-]*\b")


def count_tokens(text: str) -> int:
    """Words and punctuation marks: the scripted model's notion of a token."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class ScriptedCall:
    """What one provider call received."""

    messages: list[BaseMessage]
    kwargs: dict[str, Any]
    params: dict[str, Any]


@dataclass(frozen=True)
class _Reply:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str = "stop"
    structured: bool = False


def _message_text(message: BaseMessage) -> str:
    parts: list[str] = [message.text]
    if isinstance(message, AIMessage):
        parts += [f"{c['name']} {json.dumps(c['args'], sort_keys=True, default=str)}" for c in message.tool_calls]
    return "\n".join(p for p in parts if p)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for key in ref[2:].split("/"):
            target = target[key]
        return _resolve(target, root)
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key, ()) if o.get("type") != "null"]
        if options:
            return _resolve(options[0], root)
    return schema


class _Filler:
    """Fills a JSON schema from the words of a request, in order."""

    def __init__(self, text: str, skip: Sequence[str] = ()) -> None:
        self.text = text
        self.numbers = [float(n) for n in _NUMBER.findall(text)]
        self.strings = [a or b for a, b in _QUOTED.findall(text)]
        words = re.findall(r"\b[A-Z][\w-]*", text)
        self.strings += [w for w in words[1:] if w not in {"I", "JSON"}]
        self.strings = [s for s in self.strings if s not in skip]

    def value(self, name: str, schema: dict[str, Any], root: dict[str, Any]) -> Any:
        schema = _resolve(schema, root)
        kind = schema.get("type")
        if "enum" in schema:
            return schema["enum"][0]
        if kind is None and self.numbers and "properties" not in schema:  # untyped: a number if one is left
            kind = "integer" if self.numbers[0].is_integer() else "number"
        if kind in ("integer", "number"):
            number = self.numbers.pop(0) if self.numbers else 0
            return int(number) if kind == "integer" else number
        if kind == "boolean":
            return False
        if kind == "array":
            return []
        if kind == "object" or "properties" in schema:
            return {key: self.value(key, sub, root) for key, sub in schema.get("properties", {}).items()}
        return self.strings.pop(0) if self.strings else f"{name}: {self.text}"


def _tool_name(tool: dict[str, Any]) -> str:
    return str(tool["function"]["name"])


def _forced_tool(tools: list[dict[str, Any]], tool_choice: Any) -> str | None:
    if isinstance(tool_choice, dict):
        return str(tool_choice.get("function", tool_choice).get("name"))
    if isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "any", "required"):
        return tool_choice
    return None


def _best_tool(tools: list[dict[str, Any]], text: str) -> tuple[dict[str, Any], int]:
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    scored = [
        (sum(p in words for p in re.findall(r"[a-z0-9]+", _tool_name(t).lower())), -i, t) for i, t in enumerate(tools)
    ]
    score, _, tool = max(scored, key=lambda s: (s[0], s[1]))
    return tool, score


class ScriptedChatModel(BaseChatModel):
    """Deterministic offline chat model with tools, structured output, usage and streaming."""

    model: str = "scripted-1"
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    stop: list[str] | None = None
    max_retries: int | None = None
    streaming: bool = False
    calls: list[ScriptedCall] = Field(default_factory=list, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "scripted-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params: dict[str, Any] = {
            "ls_provider": "scripted",
            "ls_model_type": "chat",
            "ls_model_name": kwargs.get("model", self.model),
        }
        optional = {
            "ls_temperature": kwargs.get("temperature", self.temperature),
            "ls_max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "ls_stop": stop or self.stop,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        return params

    # --- declarative helpers, as a provider implements them ---

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | dict[str, Any] | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: str = "function_calling",
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        if kwargs:
            raise ValueError(f"unsupported arguments {sorted(kwargs)}")
        pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        parser: Runnable[Any, Any]
        if method == "function_calling":
            tool = convert_to_openai_tool(schema, strict=strict)
            llm = self.bind(tools=[tool], tool_choice=_tool_name(tool), ls_structured_output_format=trace)
            parser = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
                if pydantic
                else JsonOutputKeyToolsParser(key_name=_tool_name(tool), first_tool_only=True)
            )
        elif method in ("json_mode", "json_schema"):
            response_format: dict[str, Any] = {"type": "json_object"}
            if method == "json_schema":
                json_schema = convert_to_json_schema(schema)
                response_format = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": json_schema.get("title", "output"),
                        "schema": json_schema,
                        "strict": strict,
                    },
                }
            llm = self.bind(response_format=response_format, ls_structured_output_format=trace)
            parser = PydanticOutputParser(pydantic_object=schema) if pydantic else JsonOutputParser()  # type: ignore[arg-type]
        else:
            raise ValueError(f"unknown structured-output method {method!r}")
        if not include_raw:
            return llm | parser
        parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse.with_fallbacks([fallback], exception_key="parsing_error")

    # --- the rules ---

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> _Reply:
        last = messages[-1] if messages else HumanMessage("")
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        request = humans[-1].text if humans else ""
        response_format = kwargs.get("response_format")
        if isinstance(response_format, dict):
            root = response_format.get("json_schema", {}).get("schema")
            keys: list[str] = []
            if root is None:  # JSON mode: the keys are the quoted words of the request, untyped
                keys = [a or b for a, b in _QUOTED.findall(request)]
                root = {"type": "object", "properties": {k: {} for k in keys}}
            value = _Filler(request, skip=keys).value("output", root, root)
            return _Reply(text=json.dumps(value, ensure_ascii=False), structured=True)
        tools = list(kwargs.get("tools") or [])
        call = self._tool_call(tools, kwargs.get("tool_choice"), last, request)
        if call is not None:
            return _Reply(tool_calls=(call,), finish_reason="tool_calls")
        if isinstance(last, ToolMessage):
            found = self._answer([last], request)
            return _Reply(text=found or f"The {last.name or 'tool'} tool returned: {last.text[:200]}")
        return _Reply(text=self._answer(messages[:-1], request) or f"Scripted answer to: {request}")

    def _tool_call(
        self, tools: list[dict[str, Any]], tool_choice: Any, last: BaseMessage, request: str
    ) -> ToolCall | None:
        if not tools or tool_choice == "none":
            return None
        forced = _forced_tool(tools, tool_choice)
        if forced is not None:
            tool = next((t for t in tools if _tool_name(t) == forced), tools[0])
        else:
            tool, score = _best_tool(tools, request)
            must = tool_choice in ("any", "required")
            asked = isinstance(last, HumanMessage) and (score > 0 or "tool" in request.lower())
            if not (must or asked):
                return None
        root = tool["function"].get("parameters") or {}
        args = _Filler(request).value("args", root, root) if root.get("properties") else {}
        call_id = f"call_{len(self.calls):04d}_{_tool_name(tool)}"
        return tool_call(name=_tool_name(tool), args=args, id=call_id)

    @staticmethod
    def _answer(context: list[BaseMessage], request: str) -> str:
        """Quote the context around the first mention of an identifier the user asked about ("" if none)."""
        wanted = [w for w in _IDENTIFIER.findall(request) if len(w) >= 3]
        for message in reversed(context):
            text = _message_text(message)
            hits = [text.find(w) for w in wanted if w in text]
            if hits:
                start = min(hits)
                return f"Found: {text[max(0, start - 20) : start + 220].strip()}"
        return ""

    def _limits(self, reply: _Reply, stop: list[str] | None, max_tokens: int | None) -> _Reply:
        text, finish = reply.text, reply.finish_reason
        for marker in stop or ():
            if marker and marker in text:
                text, finish = text[: text.index(marker)], "stop"
        if max_tokens is not None and not reply.structured:
            pieces = re.findall(r"\S+\s*", text)
            kept, used = [], 0
            for piece in pieces:
                used += count_tokens(piece)
                if used > max_tokens:
                    finish = "length"
                    break
                kept.append(piece)
            text = "".join(kept)
        return _Reply(text, reply.tool_calls, finish, reply.structured)

    def _respond(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[_Reply, UsageMetadata, dict[str, Any]]:
        model = kwargs.get("model", self.model)
        stop = stop if stop is not None else self.stop
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        params = {
            "model": model,
            "stop": stop,
            "max_tokens": max_tokens,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "temperature": kwargs.get("temperature", self.temperature),
        }
        self.calls.append(ScriptedCall(list(messages), dict(kwargs), params))
        reply = self._limits(self._reply(messages, kwargs), stop, max_tokens)
        prompt = "\n".join(_message_text(m) for m in messages)
        prompt += "".join(json.dumps(t, sort_keys=True) for t in kwargs.get("tools") or ())
        output = reply.text + "".join(json.dumps(c["args"]) for c in reply.tool_calls)
        usage = UsageMetadata(
            input_tokens=count_tokens(prompt),
            output_tokens=count_tokens(output),
            total_tokens=count_tokens(prompt) + count_tokens(output),
        )
        return reply, usage, {"model_name": model, "finish_reason": reply.finish_reason}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))
        reply, usage, metadata = self._respond(messages, stop, kwargs)
        message = AIMessage(
            content=reply.text,
            tool_calls=list(reply.tool_calls),
            usage_metadata=usage,
            response_metadata=metadata,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply, usage, metadata = self._respond(messages, stop, kwargs)
        pieces = [reply.text] if reply.structured else re.findall(r"\S+\s*", reply.text)
        chunks = [AIMessageChunk(content=piece) for piece in pieces]
        if reply.tool_calls:
            chunks.append(
                AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        tool_call_chunk(
                            name=c["name"],
                            args=json.dumps(c["args"], ensure_ascii=False),
                            id=c["id"],
                            index=i,
                        )
                        for i, c in enumerate(reply.tool_calls)
                    ],
                )
            )
        chunks.append(
            AIMessageChunk(content="", usage_metadata=usage, response_metadata=metadata, chunk_position="last")
        )
        for message in chunks:
            chunk = ChatGenerationChunk(message=message)
            if run_manager is not None:
                run_manager.on_llm_new_token(message.text, chunk=chunk)
            yield chunk
