"""``HeadroomChatModel``: any LangChain chat model, with its conversation compressed first.

Design, and why:

* **One LLM run per call.** Headroom does not invoke the wrapped model as a
  runnable (that would trace two LLM runs and count usage twice); it calls the
  wrapped model's ``_generate`` / ``_stream`` directly from its own run, and
  reports the wrapped model's ``ls_provider`` / ``ls_model_name`` /
  invocation params, so LangSmith prices the run as the real model.
* **Compress before the run starts.** Every public entry point (``generate``
  and ``agenerate`` — which ``invoke``/``batch``/LangGraph go through —,
  ``stream``, ``astream`` and ``stream_events(version="v3")``) compresses
  first, so the traced inputs are what the provider really received and the
  run carries the ``headroom_*`` metadata from its start. The prepared call
  travels to ``_generate``/``_stream`` in a private kwarg; any other path into
  those compresses there (fail safe).
* **Provider-specific helpers stay the provider's.** ``bind_tools`` and
  ``with_structured_output`` are built by the wrapped model, then Headroom
  takes its place in the result, so tools, ``tool_choice`` and
  ``response_format`` reach the provider call and inputs are still compressed.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core._api import suppress_langchain_beta_warning
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    BaseCallbackManager,
    CallbackManagerForLLMRun,
    Callbacks,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_model_stream import AsyncChatModelStream, ChatModelStream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult, LLMResult
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, ensure_config
from pydantic import PrivateAttr, ValidationInfo, field_validator, model_validator
from typing_extensions import Self

from ..engine.adapter import PreparedCall, aon_first, offers_retrieve_tool, on_first, prepare_call
from ..engine.compress import CompressResult
from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.errors import ConfigurationError
from ..engine.models import resolve_model
from ..engine.options import EngineOptions, check_flag, check_option, off_loop, text_size
from ..engine.tokens import count_tokens_messages, count_tokens_text
from ._cache_control import (
    OPTION,
    add_breakpoints,
    cache_metadata,
    cache_usage,
    has_top_level,
    is_anthropic,
    log_not_anthropic,
    provider_of,
)
from ._convert import compress_messages, to_engine_messages
from ._options import build_options
from ._pydantic import check_fields, configuration_errors
from ._retarget import replace_model
from ._run_metadata import annotate_run
from ._savings import SavingsTracker, merged_run_metadata
from ._wrapped import as_chat_model, model_for_config
from .callbacks import HeadroomStreamingCallbackHandler

__all__ = ["HeadroomChatModel"]

logger = logging.getLogger(__name__)

# Private kwarg carrying the prepared call from an entry point to _generate/_stream.
_CALL_KEY = "_headroom_call"
# Standard parameters forwarded to the wrapped model, with the field names providers use for them.
_FORWARDED: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature",),
    "max_tokens": (
        "max_tokens",
        "max_output_tokens",
        "max_tokens_to_sample",
        "max_new_tokens",
        "num_predict",
    ),
    "timeout": ("timeout", "request_timeout", "default_request_timeout"),
    "stop": ("stop", "stop_sequences"),
    "max_retries": ("max_retries",),
}
# BaseChatModel settings taken over from the wrapped model unless set on Headroom itself:
# Headroom's own run is the one that caches, rate-limits, traces and converts output.
_ADOPTED = ("callbacks", "tags", "metadata", "cache", "rate_limiter", "disable_streaming", "output_version")


def _accepted_names(field: Any) -> set[str]:
    names = {a for a in (field.alias,) if isinstance(a, str)}
    alias = field.validation_alias
    if isinstance(alias, str):
        names.add(alias)
    for choice in getattr(alias, "choices", ()):
        if isinstance(choice, str):
            names.add(choice)
    return names


def _field_for(model: BaseChatModel, param: str) -> str | None:
    """The wrapped model's field that holds standard parameter ``param``, if it has one."""
    synonyms = _FORWARDED[param]
    fields = type(model).model_fields
    for synonym in synonyms:
        if synonym in fields:
            return synonym
    for name, field in fields.items():
        if _accepted_names(field).intersection(synonyms):
            return name
    return None


@functools.lru_cache(maxsize=256)
def _takes_run_manager(method: Any) -> bool:
    return "run_manager" in inspect.signature(method).parameters


def _streams(model: BaseChatModel, *, async_api: bool) -> bool:
    """Whether ``model`` implements streaming (async falls back to sync, as in LangChain)."""
    cls = type(model)
    sync = cls._stream is not BaseChatModel._stream
    return sync or (async_api and cls._astream is not BaseChatModel._astream)


async def _aiter(items: list[ChatGenerationChunk]) -> AsyncIterator[ChatGenerationChunk]:
    for item in items:
        yield item


def _as_chunk(generation: ChatGeneration) -> ChatGenerationChunk:
    """A whole generation as one final stream chunk (for wrapped models that cannot stream)."""
    message = generation.message
    chunks = []
    if isinstance(message, AIMessage):
        chunks = [
            tool_call_chunk(name=c["name"], args=json.dumps(c["args"], ensure_ascii=False), id=c.get("id"), index=i)
            for i, c in enumerate(message.tool_calls)
        ]
        chunks += [
            tool_call_chunk(name=c.get("name"), args=c.get("args"), id=c.get("id"), index=len(chunks) + i)
            for i, c in enumerate(message.invalid_tool_calls)
        ]
    usage = getattr(message, "usage_metadata", None)
    chunk = AIMessageChunk(
        content=message.content,
        additional_kwargs=message.additional_kwargs,
        response_metadata=message.response_metadata,
        id=message.id,
        name=message.name,
        tool_call_chunks=chunks,
        usage_metadata=usage,
        chunk_position="last",
    )
    return ChatGenerationChunk(message=chunk, generation_info=generation.generation_info)


class HeadroomChatModel(BaseChatModel):
    """Wraps any chat model and compresses what it is sent; nothing dropped is lost.

    ``HeadroomChatModel(ChatOpenAI(model="gpt-4o"), token_budget=30_000)`` is a
    drop-in chat model: tool results are compressed (their dropped parts stay
    retrievable by ref), the history is fitted into ``token_budget`` when set,
    and each reply carries ``response_metadata["headroom"]`` with the savings.
    """

    wrapped_model: BaseChatModel
    """The chat model that receives the compressed conversation."""
    config: HeadroomConfig | None = None
    """Engine configuration (the engine's defaults when None)."""
    mode: HeadroomMode | None = None
    """optimize (compress), audit (measure only) or simulate (plan only); None: the config's default."""
    token_budget: int | None = None
    """Fit the conversation into this many tokens (history management); None compresses content only."""
    metrics_store: Any = None
    """Optional ``MetricsStore``: one ``RequestMetrics`` per call."""
    store: Any = None
    """``CompressionStore`` that keeps dropped content retrievable (the process default when None)."""
    tool_profiles: dict[str, Any] | None = None
    """``{tool name: ToolProfile or its dict}``: leave a tool's results alone or crush them differently."""
    streaming: bool = False
    """Route ``invoke`` through the wrapped model's streaming."""
    anthropic_cache_control: bool = False
    """Add Anthropic prompt-cache breakpoints (``ChatAnthropic`` only): last tool, system, stable messages."""
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    stop: list[str] | None = None
    max_retries: int | None = None

    _tracker: SavingsTracker = PrivateAttr(default_factory=SavingsTracker)
    _handler: HeadroomStreamingCallbackHandler = PrivateAttr()
    _call_stop: list[str] | None = PrivateAttr(default=None)
    _configurable: Runnable[Any, Any] | None = PrivateAttr(default=None)

    def __init__(self, wrapped_model: BaseChatModel | Runnable[Any, Any] | str | None = None, /, **kwargs: Any) -> None:
        if wrapped_model is not None:
            if "wrapped_model" in kwargs:
                raise ConfigurationError("wrapped_model given twice", {"field": "wrapped_model"})
            kwargs["wrapped_model"] = wrapped_model
        # api_key: a standard chat-model parameter; the wrapped model holds the credentials.
        check_fields(type(self), kwargs, also=("api_key",))
        configurable = None
        if "wrapped_model" in kwargs:
            kwargs["wrapped_model"], configurable = as_chat_model(kwargs["wrapped_model"])
        with configuration_errors():
            super().__init__(**kwargs)
        self._configurable = configurable

    # --- a configurable model picks the wrapped model per call --------------------

    def _for_config(self, config: RunnableConfig | None) -> HeadroomChatModel:
        """This model, or a copy around the model ``config["configurable"]`` selects."""
        if self._configurable is None or not (config or {}).get("configurable"):
            return self
        chosen = model_for_config(self._configurable, config)
        copy = self.model_copy(update={"wrapped_model": chosen})
        copy._configurable = None
        copy._adopt_wrapped()  # type: ignore[operator]  # forward standard params to the chosen model too
        return copy

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        target = self._for_config(config)
        if target is not self:
            return target.invoke(input, config, stop=stop, **kwargs)
        return super().invoke(input, config, stop=stop, **kwargs)

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        target = self._for_config(config)
        if target is not self:
            return await target.ainvoke(input, config, stop=stop, **kwargs)
        return await super().ainvoke(input, config, stop=stop, **kwargs)

    # --- validation -------------------------------------------------------

    @field_validator("wrapped_model", mode="before")
    @classmethod
    def _check_wrapped(cls, value: Any) -> Any:
        return as_chat_model(value)[0]  # model_validate and model_copy paths; __init__ keeps the source too

    @field_validator("config", "mode", "token_budget", "store", "metrics_store", "tool_profiles", mode="before")
    @classmethod
    def _check_option(cls, value: Any, info: ValidationInfo) -> Any:
        return check_option(str(info.field_name), value)

    @field_validator("anthropic_cache_control", mode="before")
    @classmethod
    def _check_cache_control(cls, value: Any) -> bool:
        return check_flag(OPTION, value)

    @model_validator(mode="after")
    def _adopt_wrapped(self) -> Self:
        """Forward standard params into (a copy of) the wrapped model; adopt its settings."""
        wrapped = self.wrapped_model
        updates: dict[str, Any] = {}
        for param in _FORWARDED:
            value = getattr(self, param)
            if value is None:
                continue
            target = _field_for(wrapped, param)
            if target is not None:
                updates[target] = value
            elif param == "stop":
                self._call_stop = list(value)
            else:
                logger.warning(
                    "%s has no %r setting; HeadroomChatModel cannot forward it", type(wrapped).__name__, param
                )
        if updates:
            self.wrapped_model = wrapped.model_copy(update=updates)
        for name in _ADOPTED:
            if name not in self.model_fields_set:
                setattr(self, name, getattr(wrapped, name))
        self._handler = HeadroomStreamingCallbackHandler(self._tracker)
        self._engine_options()  # the stores are checked now, not at the first call
        if self.anthropic_cache_control and not is_anthropic(wrapped):
            raise ConfigurationError(
                f"{OPTION}=True needs a model that calls Anthropic's API (ChatAnthropic); "
                f"{type(wrapped).__name__} reports ls_provider {provider_of(wrapped)!r}",
                {"field": OPTION, "value": True, "allowed": "True only with ChatAnthropic"},
            )
        return self

    def _resolve_model_profile(self) -> Any:
        return self.wrapped_model.profile

    # --- identity for tracing ---------------------------------------------

    @property
    def _llm_type(self) -> str:
        return f"headroom-{self.wrapped_model._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        mode = self.mode.value if self.mode is not None else None
        return {
            **self.wrapped_model._identifying_params,
            "headroom_mode": mode,
            "token_budget": self.token_budget,
        }

    @property
    def model_name(self) -> str:
        """The wrapped model's name (as LangSmith sees it)."""
        return str(self.wrapped_model._get_ls_params().get("ls_model_name") or "")

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        kwargs.pop(_CALL_KEY, None)
        return self.wrapped_model._get_ls_params(stop=self._stop(stop), **kwargs)

    def _get_invocation_params(self, stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop(_CALL_KEY, None)
        return self.wrapped_model._get_invocation_params(stop=self._stop(stop), **kwargs)

    def _stop(self, stop: list[str] | None) -> list[str] | None:
        return stop if stop is not None else self._call_stop

    # --- serialization: dumpd / dumps / load ----------------------------------

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Serializable when the wrapped model is (checked in :meth:`to_json`)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["headroom_integrations", "langchain"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        # The wrapped model serializes itself, secrets as references; Headroom holds none.
        return {}

    def to_json(self) -> Any:
        """The wrapped model (with its secrets as references), the config as a dict, the mode by name.

        Stores and metrics stores are live resources, not configuration: they are
        left out, and a loaded model uses the process default store. Load with
        ``load(data, valid_namespaces=["headroom_integrations"],
        allowed_objects=[HeadroomChatModel, <the wrapped model's class>])``.
        """
        if not self.wrapped_model.is_lc_serializable():
            return self.to_json_not_implemented()
        serialized = super().to_json()
        kwargs = serialized.get("kwargs")
        if isinstance(kwargs, dict):
            kwargs.pop("store", None)
            kwargs.pop("metrics_store", None)
            if self.config is not None:
                kwargs["config"] = self.config.to_dict()
            if self.mode is not None:
                kwargs["mode"] = self.mode.value
            if self.tool_profiles:
                kwargs["tool_profiles"] = {
                    name: {"skip_compression": p.skip_compression, **p.smart_crusher}
                    for name, p in self.tool_profiles.items()
                }
        return serialized

    # --- savings ------------------------------------------------------------

    @property
    def savings_tracker(self) -> SavingsTracker:
        """Running totals shared with every ``bind_tools`` / ``with_structured_output`` copy."""
        return self._tracker

    def get_savings_summary(self) -> dict[str, Any]:
        """Calls, tokens before/after/saved, transforms and streaming metrics so far."""
        return self._tracker.summary()

    # --- token counting: the wrapped model's, else the engine's exact offline counter ---

    def _counts_itself(self, method: str) -> bool:
        """Whether the wrapped model has its own ``method`` (not LangChain's GPT-2 fallback)."""
        return getattr(type(self.wrapped_model), method) is not getattr(BaseChatModel, method)

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text``: the wrapped model's own count, else the engine's (exact for OpenAI models).

        The engine's count is a :class:`~headroom_integrations.engine.tokens.TokenCount`
        (an ``int`` with ``is_estimate`` for families counted by a calibrated estimate).
        """
        if self._counts_itself("get_num_tokens"):
            return self.wrapped_model.get_num_tokens(text)
        return count_tokens_text(text, self._compression_model({}))

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """Tokens of ``messages`` as the wrapped model counts them, else the engine's offline count.

        This is what ``trim_messages(messages, token_counter=model)`` calls. The
        engine's count covers message overheads and tool calls, not tool schemas.
        """
        if self._counts_itself("get_num_tokens_from_messages"):
            return self.wrapped_model.get_num_tokens_from_messages(messages, tools=tools)
        return count_tokens_messages(to_engine_messages(messages), self._compression_model({}))

    # --- compression ---------------------------------------------------------

    def _compression_model(self, kwargs: dict[str, Any]) -> str:
        return resolve_model(kwargs.get("model"), self.model_name)

    def _engine_options(self) -> EngineOptions:
        """The engine options of the current fields (a ``model_copy(update=...)`` may change them)."""
        return build_options(
            config=self.config,
            mode=self.mode,
            store=self.store,
            metrics_store=self.metrics_store,
            token_budget=self.token_budget,
            tool_profiles=self.tool_profiles,
        )

    def _prepare(self, messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> PreparedCall[BaseMessage]:
        """Compress one conversation through the engine; on any failure send it unchanged (fail open).

        ``kwargs`` are the call's: a per-call ``model``, and the bound ``tools`` that say
        whether the history note may name ``headroom_retrieve``.
        """
        options = self._engine_options()
        model = self._compression_model(kwargs)
        retrieve_tool = offers_retrieve_tool(kwargs.get("tools"))

        def run() -> tuple[list[BaseMessage], CompressResult]:
            # The metrics row waits for the answer, to carry the provider's cache tokens.
            engine_kwargs = options.engine_kwargs(record=False)
            out = compress_messages(
                messages, model, token_budget=options.token_budget, retrieve_tool=retrieve_tool, **engine_kwargs
            )
            return out.messages, out.result

        return prepare_call(messages, run)

    async def _aprepare(self, messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> PreparedCall[BaseMessage]:
        return await off_loop(text_size(m.content for m in messages), self._prepare, messages, kwargs)

    def _with_handler(self, callbacks: Callbacks) -> Callbacks:
        handler = self._handler
        if callbacks is None:
            return [handler]
        if isinstance(callbacks, list):
            return callbacks if handler in callbacks else [*callbacks, handler]
        if isinstance(callbacks, BaseCallbackManager) and handler not in callbacks.handlers:
            manager = callbacks.copy()
            manager.add_handler(handler, inherit=False)
            return manager
        return callbacks

    def _metadata(self, metadata: dict[str, Any] | None, call: PreparedCall[BaseMessage]) -> dict[str, Any] | None:
        if call.savings is None:
            return metadata
        return merged_run_metadata(metadata, call.savings)

    def _run_config(self, config: RunnableConfig | None, call: PreparedCall[BaseMessage]) -> RunnableConfig:
        config = ensure_config(config)
        config["metadata"] = self._metadata(config.get("metadata"), call) or {}
        config["callbacks"] = self._with_handler(config.get("callbacks"))
        return config

    def _answered(self, call: PreparedCall[BaseMessage], replies: Sequence[Any], run_manager: Any) -> None:
        """Book an answered call: the provider's cache tokens in the run, the totals and the metrics row."""
        try:
            usage = cache_usage(replies)
            annotate_run(run_manager, cache_metadata(usage))
            self._tracker.record_cache(usage)
            if call.result is not None:
                self._engine_options().record_call(call.result, usage, provider=provider_of(self.wrapped_model))
        except Exception as exc:  # bookkeeping never fails the user's call
            logger.warning("headroom: could not record the call's cache usage: %r", exc)

    def _to_wrapped(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> list[BaseMessage]:
        """The messages (and, in ``kwargs``, the bound tools) with cache breakpoints when asked for."""
        if not self.anthropic_cache_control:
            return messages
        wrapped = self.wrapped_model
        if not is_anthropic(wrapped):  # a configurable model chose another provider for this call
            log_not_anthropic("HeadroomChatModel", wrapped)
            return messages
        tools = kwargs.get("tools")
        top_level = has_top_level(wrapped, kwargs)
        sent, marked = add_breakpoints(messages, tools if isinstance(tools, list) else None, top_level=top_level)
        if marked is not None:
            kwargs["tools"] = marked
        return sent

    def _finish(self, call: PreparedCall[BaseMessage], *messages: BaseMessage) -> None:
        """Attach the savings to the reply (each candidate of it) and count the call once."""
        if call.savings is None:
            return
        for message in messages:
            message.response_metadata = {**message.response_metadata, "headroom": call.savings.to_dict()}
        self._tracker.record(call.savings)

    # --- public entry points: compress before the run starts ----------------

    def generate(
        self,
        messages: list[list[BaseMessage]],
        stop: list[str] | None = None,
        callbacks: Callbacks = None,
        **kwargs: Any,
    ) -> LLMResult:
        if _CALL_KEY in kwargs:  # prepared by stream()'s fallback to invoke
            return super().generate(messages, stop, callbacks, **kwargs)
        results = []
        for i, conversation in enumerate(messages):
            call = self._prepare(conversation, kwargs)
            run_kwargs = self._run_kwargs(call, i, callbacks, kwargs)
            results.append(super().generate([call.messages], stop, **run_kwargs))
        return self._merge(results)

    async def agenerate(
        self,
        messages: list[list[BaseMessage]],
        stop: list[str] | None = None,
        callbacks: Callbacks = None,
        **kwargs: Any,
    ) -> LLMResult:
        parent = super().agenerate
        if _CALL_KEY in kwargs:  # prepared by astream()'s fallback to ainvoke
            return await parent(messages, stop, callbacks, **kwargs)

        async def one(i: int, conversation: list[BaseMessage]) -> LLMResult:
            call = await self._aprepare(conversation, kwargs)
            return await parent([call.messages], stop, **self._run_kwargs(call, i, callbacks, kwargs))

        return self._merge(list(await asyncio.gather(*(one(i, m) for i, m in enumerate(messages)))))

    def _run_kwargs(
        self, call: PreparedCall[BaseMessage], index: int, callbacks: Callbacks, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """``generate`` kwargs for one prepared conversation: its metadata, our handler, the call itself."""
        return {
            **kwargs,
            "callbacks": self._with_handler(callbacks),
            "metadata": self._metadata(kwargs.get("metadata"), call),
            "run_id": kwargs.get("run_id") if index == 0 else None,
            _CALL_KEY: call,
        }

    def _merge(self, results: list[LLMResult]) -> LLMResult:
        if len(results) == 1:
            return results[0]
        return LLMResult(
            generations=[g for r in results for g in r.generations],
            llm_output=self._combine_llm_outputs([r.llm_output for r in results]),
            run=[info for r in results for info in (r.run or [])],
        )

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        target = self._for_config(config)
        if target is not self:
            yield from target.stream(input, config, stop=stop, **kwargs)
            return
        call = self._prepare(self._convert_input(input).to_messages(), kwargs)
        yield from super().stream(
            call.messages, self._run_config(config, call), stop=stop, **kwargs, **{_CALL_KEY: call}
        )

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        target = self._for_config(config)
        if target is not self:
            async for chunk in target.astream(input, config, stop=stop, **kwargs):
                yield chunk
            return
        call = await self._aprepare(self._convert_input(input).to_messages(), kwargs)
        async for chunk in super().astream(
            call.messages, self._run_config(config, call), stop=stop, **kwargs, **{_CALL_KEY: call}
        ):
            yield chunk

    def _chat_model_stream_v3(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> ChatModelStream:
        call = self._prepare(self._convert_input(input).to_messages(), kwargs)
        with suppress_langchain_beta_warning():  # the user chose v3; its beta notice is not ours to raise
            return super()._chat_model_stream_v3(
                call.messages, self._run_config(config, call), stop=stop, **kwargs, **{_CALL_KEY: call}
            )

    async def _achat_model_stream_v3(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncChatModelStream:
        call = await self._aprepare(self._convert_input(input).to_messages(), kwargs)
        with suppress_langchain_beta_warning():
            return await super()._achat_model_stream_v3(
                call.messages, self._run_config(config, call), stop=stop, **kwargs, **{_CALL_KEY: call}
            )

    # --- the model call: delegate to the wrapped model ----------------------

    def _wrapped_kwargs(self, method: str, run_manager: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Call kwargs for the wrapped model's ``method``, with our run manager if it takes one."""
        if _takes_run_manager(getattr(type(self.wrapped_model), method)):
            return {**kwargs, "run_manager": run_manager}
        return kwargs

    def _resolve(
        self, messages: list[BaseMessage], kwargs: dict[str, Any]
    ) -> tuple[list[BaseMessage], PreparedCall[BaseMessage]]:
        call = kwargs.pop(_CALL_KEY, None)
        if call is None:  # reached without a public entry point: compress here
            call = self._prepare(messages, kwargs)
            return call.messages, call
        return messages, call

    async def _aresolve(
        self, messages: list[BaseMessage], kwargs: dict[str, Any]
    ) -> tuple[list[BaseMessage], PreparedCall[BaseMessage]]:
        call = kwargs.pop(_CALL_KEY, None)
        if call is None:
            call = await self._aprepare(messages, kwargs)
            return call.messages, call
        return messages, call

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        messages, call = self._resolve(messages, kwargs)
        messages = self._to_wrapped(messages, kwargs)
        kwargs = self._wrapped_kwargs("_generate", run_manager, kwargs)
        result = self.wrapped_model._generate(messages, stop=self._stop(stop), **kwargs)
        replies = [generation.message for generation in result.generations]
        self._finish(call, *replies)
        self._answered(call, replies, run_manager)
        return result

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        messages, call = await self._aresolve(messages, kwargs)
        messages = self._to_wrapped(messages, kwargs)
        kwargs = self._wrapped_kwargs("_agenerate", run_manager, kwargs)
        result = await self.wrapped_model._agenerate(messages, stop=self._stop(stop), **kwargs)
        replies = [generation.message for generation in result.generations]
        self._finish(call, *replies)
        self._answered(call, replies, run_manager)
        return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        messages, call = self._resolve(messages, kwargs)
        messages = self._to_wrapped(messages, kwargs)
        wrapped = self.wrapped_model
        if _streams(wrapped, async_api=False):
            chunks = wrapped._stream(messages, stop=self._stop(stop), run_manager=run_manager, **kwargs)
        else:
            kwargs = self._wrapped_kwargs("_generate", run_manager, kwargs)
            result = wrapped._generate(messages, stop=self._stop(stop), **kwargs)
            chunks = iter([_as_chunk(g) for g in result.generations])
        seen: list[BaseMessage] = []  # usage arrives on some chunk, often the last
        try:
            for chunk in on_first(chunks, lambda chunk: self._finish(call, chunk.message)):
                seen.append(chunk.message)
                yield chunk
        finally:
            self._answered(call, seen, run_manager)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        messages, call = await self._aresolve(messages, kwargs)
        messages = self._to_wrapped(messages, kwargs)
        wrapped = self.wrapped_model
        if _streams(wrapped, async_api=True):
            chunks = wrapped._astream(messages, stop=self._stop(stop), run_manager=run_manager, **kwargs)
        else:
            kwargs = self._wrapped_kwargs("_agenerate", run_manager, kwargs)
            result = await wrapped._agenerate(messages, stop=self._stop(stop), **kwargs)
            chunks = _aiter([_as_chunk(g) for g in result.generations])
        seen: list[BaseMessage] = []
        try:
            async for chunk in aon_first(chunks, lambda chunk: self._finish(call, chunk.message)):
                seen.append(chunk.message)
                yield chunk
        finally:
            self._answered(call, seen, run_manager)

    # --- provider-specific helpers, built by the wrapped model ---------------

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """The wrapped model's ``bind_tools``, with Headroom in its place (a ``RunnableBinding``)."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self._adopt(self.wrapped_model.bind_tools(tools, **kwargs))

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """The wrapped model's ``with_structured_output`` (any ``method``), with Headroom in its place."""
        return self._adopt(self.wrapped_model.with_structured_output(schema, include_raw=include_raw, **kwargs))

    def _adopt(self, runnable: Runnable[Any, Any]) -> Runnable[Any, Any]:
        adopted = replace_model(runnable, self.wrapped_model, self)
        if adopted is not runnable:
            return adopted
        # The wrapped model hid itself (e.g. in a closure): compress the input in a step of its own.
        logger.warning(
            "%s built a runnable HeadroomChatModel cannot see into; compressing its input in a separate step",
            type(self.wrapped_model).__name__,
        )
        return RunnableLambda(self._compress_input, afunc=self._acompress_input, name="headroom_compress") | runnable

    def _counted(self, call: PreparedCall[BaseMessage]) -> list[BaseMessage]:
        """A call compressed in a step of its own: counted now (its answer is out of Headroom's sight)."""
        if call.savings is not None:
            self._tracker.record(call.savings)
        if call.result is not None:
            self._engine_options().record_call(call.result, provider=provider_of(self.wrapped_model))
        return call.messages

    def _compress_input(self, value: LanguageModelInput) -> list[BaseMessage]:
        return self._counted(self._prepare(self._convert_input(value).to_messages(), {}))

    async def _acompress_input(self, value: LanguageModelInput) -> list[BaseMessage]:
        messages = self._convert_input(value).to_messages()
        return self._counted(await self._aprepare(messages, {}))
