"""``HeadroomAgnoModel``: any Agno model, sent a compressed conversation on every hop.

Design, and why:

* **Agno's loop stays Agno's.** ``response``/``response_stream`` (tool
  execution, hooks, events, metrics, caching, retries) are inherited; only the
  four provider entry points (``invoke``, ``ainvoke``, ``invoke_stream``,
  ``ainvoke_stream``) are overridden. Agno calls one of them for every hop of
  the tool loop, so each provider call, including the one right after a tool
  ran, gets the conversation compressed.
* **Copies, never edits.** The provider gets a new list in which changed
  messages are copies (see ``_convert``); Agno's run messages, and so the
  stored session, keep the originals.
* **The wrapped model stays in charge of its provider.** Parsing
  (``_parse_provider_response*``, streamed ``parse_tool_calls``), tool
  formatting, token counting, system-prompt additions and identity (``id``,
  ``name``, ``provider``, capability flags, retry settings) are the wrapped
  model's, so Agno prices, traces and formats as for the real model.
* **Savings where Agno users look**: each call's summary in
  ``ModelResponse.extra["headroom"]``, run totals in the run output's
  ``metrics.additional_metrics`` and ``metadata["headroom"]`` (see
  ``_savings``), instance totals in :meth:`get_savings_summary`.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

from ..engine.adapter import PreparedCall, aon_first, offers_retrieve_tool, on_first, prepare_call
from ..engine.arguments import strict_arguments
from ..engine.compress import CompressResult
from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.errors import ConfigurationError
from ..engine.models import resolve_model
from ..engine.options import EngineOptions, off_loop, text_size
from ..engine.savings import SavingsTracker
from ._convert import compress_agno_messages
from ._savings import attach_to_run

__all__ = ["HeadroomAgnoModel"]

logger = logging.getLogger(__name__)

# Fields Agno sets on the agent's model itself; everything else on Model is the wrapped model's.
_OWN_FIELDS = frozenset({"model_type"})


@strict_arguments
@dataclass
class HeadroomAgnoModel(Model):
    """Wraps an Agno model and compresses what every provider call is sent.

    ``HeadroomAgnoModel(OpenAIChat(id="gpt-4o"))`` (or ``wrapped_model=...``) is a drop-in
    ``Agent(model=...)``: tool results are compressed (what is dropped stays
    retrievable by ref with ``headroom_retrieve``), the conversation is fitted
    into ``token_budget`` when set, and the run output reports the savings.
    ``id``, ``name``, ``provider``, capability flags and retry settings are
    taken from the wrapped model unless given here.
    """

    id: str = ""
    wrapped_model: Model | None = None
    config: HeadroomConfig | None = None
    mode: HeadroomMode | None = None
    token_budget: int | None = None
    metrics_store: Any = None
    store: Any = None
    tool_profiles: dict[str, Any] | None = None
    _options: EngineOptions = field(default_factory=EngineOptions, init=False, repr=False)
    _tracker: SavingsTracker = field(default_factory=SavingsTracker, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.id, Model) and self.wrapped_model is None:
            # HeadroomAgnoModel(OpenAIChat(...)): the wrapped model given positionally, as HeadroomChatModel takes it.
            self.wrapped_model, self.id = self.id, ""
        wrapped = self.wrapped_model
        if not isinstance(wrapped, Model):
            raise ConfigurationError(
                "wrapped_model must be an Agno model (agno.models.base.Model)",
                {
                    "field": "wrapped_model",
                    "value": type(wrapped).__name__,
                    "allowed": "agno.models.base.Model",
                },
            )
        self._options = EngineOptions.build(
            config=self.config,
            mode=self.mode,
            token_budget=self.token_budget,
            store=self.store,
            metrics_store=self.metrics_store,
            tool_profiles=self.tool_profiles,
            integration="agno",
        )
        self.config, self.mode = self._options.config, self._options.mode
        defaults = {f.name: f.default for f in dataclasses.fields(HeadroomAgnoModel)}
        for f in dataclasses.fields(Model):
            if f.name not in _OWN_FIELDS and getattr(self, f.name) == defaults[f.name]:
                setattr(self, f.name, copy.copy(getattr(wrapped, f.name)))

    def __deepcopy__(self, memo: dict[int, Any]) -> HeadroomAgnoModel:
        # Copies (Agno makes some, e.g. for fallbacks) share the totals, config and stores.
        for shared in (self._tracker, self._options, self.config, self.store, self.metrics_store):
            if shared is not None:
                memo[id(shared)] = shared
        return super().__deepcopy__(memo)  # type: ignore[no-any-return]

    @property
    def _wrapped(self) -> Model:
        assert self.wrapped_model is not None  # checked in __post_init__
        return self.wrapped_model

    # --- savings ---------------------------------------------------------------

    def get_savings_summary(self) -> dict[str, Any]:
        """Calls, tokens before/after/saved, potential savings and transforms so far (shared with copies)."""
        return self._tracker.summary()

    # --- compression -------------------------------------------------------------

    def _prepare(self, messages: Sequence[Message], kwargs: dict[str, Any]) -> PreparedCall[Message]:
        """Compress one call's conversation through the engine; on any failure send it unchanged (fail open).

        ``kwargs`` are the provider call's: Agno's ``compress_tool_results`` flag, and the ``tools``
        that say whether the history note may name ``headroom_retrieve``.
        """

        def run() -> tuple[list[Message], CompressResult]:
            out = compress_agno_messages(
                messages,
                resolve_model(self._wrapped.id),
                use_compressed_content=bool(kwargs.get("compress_tool_results")),
                token_budget=self._options.token_budget,
                retrieve_tool=offers_retrieve_tool(kwargs.get("tools")),
                **self._options.engine_kwargs(),
            )
            return out.messages, out.result

        return prepare_call(messages, run)

    async def _aprepare(self, messages: Sequence[Message], kwargs: dict[str, Any]) -> PreparedCall[Message]:
        return await off_loop(text_size(m.content for m in messages), self._prepare, messages, kwargs)

    def _finish(self, call: PreparedCall[Message], response: ModelResponse, run_response: Any) -> None:
        """Attach the call's savings to the response and the run, and count them."""
        if call.savings is None:
            return
        response.extra = {**(response.extra or {}), "headroom": call.savings.to_dict()}
        self._tracker.record(call.savings)
        if run_response is not None:
            attach_to_run(run_response, call.savings, "model")

    # --- provider entry points: compress, then delegate -------------------------

    # Agno passes everything but ``messages`` by keyword (assistant_message, tools, run_response, ...).

    def invoke(self, messages: list[Message], **kwargs: Any) -> ModelResponse:
        call = self._prepare(messages, kwargs)
        response = self._wrapped.invoke(messages=call.messages, **kwargs)
        self._finish(call, response, kwargs.get("run_response"))
        return response

    async def ainvoke(self, messages: list[Message], **kwargs: Any) -> ModelResponse:
        call = await self._aprepare(messages, kwargs)
        response = await self._wrapped.ainvoke(messages=call.messages, **kwargs)
        self._finish(call, response, kwargs.get("run_response"))
        return response

    def invoke_stream(self, messages: list[Message], **kwargs: Any) -> Iterator[ModelResponse]:
        call = self._prepare(messages, kwargs)
        deltas = self._wrapped.invoke_stream(messages=call.messages, **kwargs)
        yield from on_first(deltas, lambda delta: self._finish(call, delta, kwargs.get("run_response")))

    async def ainvoke_stream(self, messages: list[Message], **kwargs: Any) -> AsyncIterator[ModelResponse]:
        call = await self._aprepare(messages, kwargs)
        deltas = self._wrapped.ainvoke_stream(messages=call.messages, **kwargs)
        async for delta in aon_first(deltas, lambda delta: self._finish(call, delta, kwargs.get("run_response"))):
            yield delta

    # --- everything provider-specific is the wrapped model's ----------------------

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return self._wrapped._parse_provider_response(response, **kwargs)

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return self._wrapped._parse_provider_response_delta(response)

    def parse_tool_calls(self, tool_calls_data: list[Any]) -> list[dict[str, Any]]:
        return self._wrapped.parse_tool_calls(tool_calls_data)

    def format_function_call_results(
        self,
        messages: list[Message],
        function_call_results: list[Message],
        compress_tool_results: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("headroom", None)  # our per-call extra, not the provider's
        self._wrapped.format_function_call_results(
            messages=messages,
            function_call_results=function_call_results,
            compress_tool_results=compress_tool_results,
            **kwargs,
        )

    def _format_tools(self, tools: Any) -> list[dict[str, Any]]:
        return self._wrapped._format_tools(tools)

    def get_provider(self) -> str:
        return self._wrapped.get_provider()

    def count_tokens(self, messages: list[Message], tools: Any = None, output_schema: Any = None) -> int:
        return self._wrapped.count_tokens(messages, tools, output_schema)

    async def acount_tokens(self, messages: list[Message], tools: Any = None, output_schema: Any = None) -> int:
        return await self._wrapped.acount_tokens(messages, tools, output_schema)

    def get_system_message_for_model(self, tools: list[Any] | None = None) -> str | None:
        return self._wrapped.get_system_message_for_model(tools)

    def get_instructions_for_model(self, tools: list[Any] | None = None) -> list[str] | None:
        return self._wrapped.get_instructions_for_model(tools)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._wrapped.to_dict(),
            "headroom": {"mode": self.mode.value if self.mode else None, "token_budget": self.token_budget},
        }
