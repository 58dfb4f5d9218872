"""``HeadroomMiddleware``: compressing context for ``langchain.agents.create_agent``.

Two moments, two rules:

* **A tool result is compressed once, when it is produced** (``wrap_tool_call``),
  against the question it answers and the call's arguments. The compressed
  ``ToolMessage`` is what the agent state (and a checkpointer) keeps, so every
  later request repeats the same bytes and provider prompt caches keep hitting.
* **The history is fitted per request** (``wrap_model_call``) into
  ``token_budget`` (or the model's context window): only the request changes;
  the state keeps every message.

Dropped content stays in the store; the middleware registers the
``headroom_retrieve`` tool so the agent can ask for it by ref::

    agent = create_agent(model, tools, middleware=[HeadroomMiddleware(token_budget=30_000)],
                         checkpointer=InMemorySaver())
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse, ToolCallRequest
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import LLMResult
from langchain_core.tools import BaseTool
from langgraph.types import Command
from typing_extensions import Unpack

from ..engine.adapter import offers_retrieve_tool
from ..engine.cache_control import CacheUsage
from ..engine.ccr.store import RETRIEVE_TOOL_NAME, store_over
from ..engine.compress import CompressResult
from ..engine.options import EngineOptions, OptionArgs, check_flag, off_loop, text_size
from ..engine.savings import Savings, SavingsTracker
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
from ._fitting import Fitted, build_view
from ._options import build_options, model_for
from ._run_metadata import metadata_for_runs
from ._savings import history_run_metadata
from ._tool_results import HEADROOM_KEY, compress_tool_message, is_compressed, tool_query, with_account
from .chat_models import HeadroomChatModel
from .tools import HeadroomToolWrapper, create_retrieve_tool

__all__ = ["HeadroomMiddleware"]

logger = logging.getLogger(__name__)

ToolOutcome = ToolMessage | Command[Any]


class HeadroomMiddleware(AgentMiddleware):
    """Compresses tool results when produced and fits each model request into a token budget.

    Args:
        token_budget: tokens the request's messages may use; None: the model's
            context window less ``config.intelligent_context.output_buffer_tokens``.
        model: model name for token counts and the context window; None: the
            agent model's own name.
        config, mode, store, metrics_store: the engine's options (:class:`OptionArgs`).
            With no ``store``, an agent created with ``store=`` (a LangGraph
            ``BaseStore``) keeps the refs there; otherwise the process default store.
        compress_tool_results: compress tool results in ``wrap_tool_call``.
        manage_history: fit requests in ``wrap_model_call``.
        retrieve_tool: register ``headroom_retrieve`` (reading ``store``).
        anthropic_cache_control: add Anthropic prompt-cache breakpoints to each
            request (last tool, system prompt, the stable messages). Only a
            ``ChatAnthropic`` agent model takes them; with another model the
            request goes unchanged and the reason is logged once (the model is
            only known per request: an agent may switch models).
    """

    def __init__(
        self,
        *,
        compress_tool_results: bool = True,
        manage_history: bool = True,
        retrieve_tool: bool = True,
        anthropic_cache_control: bool = False,
        **options: Unpack[OptionArgs],
    ) -> None:
        super().__init__()
        own = ("compress_tool_results", "manage_history", "retrieve_tool", OPTION)
        self.options = build_options(owner="HeadroomMiddleware", own=own, **options)
        self.anthropic_cache_control = check_flag(OPTION, anthropic_cache_control)
        self.compress_tool_results = bool(compress_tool_results)
        self.manage_history = bool(manage_history)
        enabled = retrieve_tool and self.options.config.ccr.enabled
        retrieve = create_retrieve_tool(self.options.store, metrics_store=self.options.feedback_sink)
        self.tools = [retrieve] if enabled else []
        self.tool_results = SavingsTracker()
        self.model_calls = SavingsTracker()

    def get_savings_summary(self) -> dict[str, Any]:
        """Totals so far: ``tool_results`` (compressed once each) and ``model_calls`` (history fitting).

        ``model_calls`` also adds up the prompt-cache tokens the provider reported on the answers.
        """
        return {"tool_results": self.tool_results.summary(), "model_calls": self.model_calls.summary()}

    # --- tool results: compressed once, persisted ---------------------------------

    def _skips(self, request: ToolCallRequest) -> bool:
        return (
            not self.compress_tool_results
            or request.tool_call.get("name") == RETRIEVE_TOOL_NAME
            or isinstance(request.tool, HeadroomToolWrapper)  # compressed at the source already
        )

    @staticmethod
    def _history(request: ToolCallRequest) -> list[BaseMessage]:
        state = request.state
        return list(state.get("messages", []) if isinstance(state, dict) else getattr(state, "messages", []))

    def _query(self, request: ToolCallRequest) -> str:
        return tool_query(self._history(request), request.tool_call.get("args"))

    def _at_source(self, request: ToolCallRequest, done: list[Savings]) -> ToolCallRequest:
        """The request with its tool compressing inside its own run (so the traced tool run shows the savings)."""
        if not isinstance(request.tool, BaseTool):
            return request
        # The tool path never depends on the agent's model: the same result always compresses the same.
        options = self._options_for(request.runtime)
        wrapper = HeadroomToolWrapper.for_call(
            request.tool,
            query=self._query(request),
            options=options,
            model=model_for(options),
            on_savings=done.append,
            history=self._history(request),
            call_id=request.tool_call.get("id"),
            retrieve_tool=bool(self.tools),
        )
        return request.override(tool=wrapper)

    def _compress_message(self, message: ToolMessage, request: ToolCallRequest, done: list[Savings]) -> ToolMessage:
        if is_compressed(message):
            return message
        if done:  # compressed at the source: persist its account so nothing compresses it again
            savings = done[-1]
            self.tool_results.record(savings)
            return with_account(message, savings) if savings.transforms else message
        options = self._options_for(request.runtime)
        result = compress_tool_message(
            message,
            self._query(request),
            options,
            model_for(options),
            self._history(request),
            retrieve_tool=bool(self.tools),
        )
        if result.savings is not None:
            self.tool_results.record(result.savings)
        return result.message  # type: ignore[return-value]

    def _compress_outcome(self, outcome: ToolOutcome, request: ToolCallRequest, done: list[Savings]) -> ToolOutcome:
        """The tool's outcome with its tool messages compressed (a Command's update included)."""
        if isinstance(outcome, ToolMessage):
            return self._compress_message(outcome, request, done)
        update = outcome.update if isinstance(outcome, Command) else None
        if not isinstance(update, dict) or not isinstance(update.get("messages"), list):
            return outcome
        messages = [
            self._compress_message(m, request, done) if isinstance(m, ToolMessage) else m for m in update["messages"]
        ]
        return dataclasses.replace(outcome, update={**update, "messages": messages})

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolOutcome]
    ) -> ToolOutcome:
        if self._skips(request):
            return handler(self._retrieve_from_runtime_store(request))
        done: list[Savings] = []
        outcome = handler(self._at_source(request, done))
        return self._compress_outcome(outcome, request, done)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[ToolOutcome]]
    ) -> ToolOutcome:
        if self._skips(request):
            return await handler(self._retrieve_from_runtime_store(request))
        done: list[Savings] = []
        outcome = await handler(self._at_source(request, done))
        size = len(str(outcome.content)) if isinstance(outcome, ToolMessage) else len(str(outcome.update))
        return await off_loop(size, self._compress_outcome, outcome, request, done)

    # --- the agent's runtime store (LangGraph BaseStore), used when no store was given ---

    def _options_for(self, runtime: Any) -> EngineOptions:
        base_store = getattr(runtime, "store", None)
        if self.options.store is not None or base_store is None:
            return self.options
        return dataclasses.replace(self.options, store=store_over(base_store, self.options.config.ccr))

    def _retrieve_from_runtime_store(self, request: ToolCallRequest) -> ToolCallRequest:
        """A ``headroom_retrieve`` call reads the store the refs were written to."""
        options = self._options_for(request.runtime)
        if options is self.options or not self.tools or request.tool_call.get("name") != RETRIEVE_TOOL_NAME:
            return request
        tool = create_retrieve_tool(options.store, metrics_store=options.feedback_sink)
        return dataclasses.replace(request, tool=tool)

    # --- model requests: the history fitted, state untouched ----------------------

    def _fit(self, request: ModelRequest) -> tuple[ModelRequest, dict[str, Any], CompressResult | None]:
        """The request fitted (state untouched), the run metadata its model call carries, the engine's result."""
        system = request.system_message
        messages: list[BaseMessage] = ([system] if system is not None else []) + list(request.messages)
        model = model_for(self.options, request.model)
        fitted: Fitted = build_view(
            messages,
            self._options_for(request.runtime),
            model,
            compress_contents=self.compress_tool_results and self.manage_history,
            fit=self.manage_history,
            retrieve_tool=offers_retrieve_tool(request.tools),
            record=False,  # the row waits for the answer and its cache tokens
        )
        metadata: dict[str, Any] = {}
        if fitted.savings is not None:
            self.model_calls.record(fitted.savings)
            accounts = [m.response_metadata[HEADROOM_KEY] for m in messages if is_compressed(m)]
            saved = sum(int(a.get("tokens_saved", 0)) for a in accounts)
            transforms = [str(t) for a in accounts for t in a.get("transforms", ())]
            metadata = history_run_metadata(fitted.savings, saved, transforms)
        same = len(fitted.messages) == len(messages)
        if same and all(a is b for a, b in zip(fitted.messages, messages, strict=True)):
            return request, metadata, fitted.result
        out: list[Any] = list(fitted.messages)
        new_system = system
        lead = fitted.source_indices[0] if fitted.source_indices else -1
        # The system message (or the one the history note opened, note_role="system") stays the request's own.
        if out and isinstance(out[0], SystemMessage) and (lead is None or (system is not None and lead == 0)):
            new_system = out.pop(0)
        return request.override(system_message=new_system, messages=out), metadata, fitted.result

    def _with_breakpoints(self, request: ModelRequest) -> ModelRequest:
        """The request with Anthropic cache breakpoints on its stable prefix, when asked for and possible."""
        if not self.anthropic_cache_control:
            return request
        if not is_anthropic(request.model):
            log_not_anthropic("HeadroomMiddleware", request.model)
            return request
        system = request.system_message
        messages: list[BaseMessage] = ([system] if system is not None else []) + list(request.messages)
        top_level = has_top_level(request.model, request.model_settings)
        marked, tools = add_breakpoints(messages, list(request.tools), top_level=top_level)
        sent: list[Any] = list(marked)
        head = sent.pop(0) if system is not None else None
        new_system = head if isinstance(head, SystemMessage) else system
        return request.override(system_message=new_system, messages=sent, tools=tools or [])

    def _answered(self, result: CompressResult | None, response: Any, model: Any) -> None:
        """Book an answered model call: the provider's cache tokens in the totals and the metrics row."""
        try:
            if isinstance(response, ExtendedModelResponse):
                response = response.model_response
            replies = [response] if isinstance(response, AIMessage) else list(getattr(response, "result", ()))
            usage = cache_usage(replies)
            self.model_calls.record_cache(usage)
            if result is not None:
                # A HeadroomChatModel agent model writes this call's cache tokens in its own row.
                row_usage = CacheUsage() if isinstance(model, HeadroomChatModel) else usage
                self.options.record_call(result, row_usage, provider=provider_of(model))
        except Exception as exc:  # bookkeeping never fails the agent
            logger.warning("headroom: could not record the model call's cache usage: %r", exc)

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> Any:
        request, metadata, result = self._fit(request)
        request = self._with_breakpoints(request)
        with metadata_for_runs(metadata, _usage_metadata):
            response = handler(request)
        self._answered(result, response, request.model)
        return response

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> Any:
        size = text_size(m.content for m in request.messages)
        request, metadata, result = await off_loop(size, self._fit, request)
        request = self._with_breakpoints(request)
        with metadata_for_runs(metadata, _usage_metadata):
            response = await handler(request)
        self._answered(result, response, request.model)
        return response


def _usage_metadata(response: LLMResult) -> dict[str, int]:
    """The ``headroom_cache_*`` metadata of a model run, from the usage its reply reports."""
    replies = [getattr(g, "message", None) for generations in response.generations for g in generations]
    return cache_metadata(cache_usage(replies))
