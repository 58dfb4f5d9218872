"""Tools whose outputs are compressed at the source, and the tool that brings dropped data back.

``wrap_tools([search, fetch])`` returns tools with the very same name,
description and argument schema (the model sees no difference) whose outputs
go through the engine before they become a ``ToolMessage``: one compression
per call, against the call's own arguments. Artifacts
(``response_format="content_and_artifact"``) and ``ToolMessage``/``Command``
returns keep everything but the compressed text. Whatever is cut stays
retrievable: give the agent :func:`create_retrieve_tool` (``headroom_retrieve``).
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool, tool
from langchain_core.tools.base import TOOL_MESSAGE_BLOCK_TYPES
from pydantic import BaseModel, Field, PrivateAttr, model_validator

from ..engine.ccr.store import RETRIEVE_TOOL_NAME, retrieve
from ..engine.errors import CacheError, ConfigurationError
from ..engine.models import DEFAULT_MODEL
from ..engine.options import EngineOptions, check_option, off_loop, text_size
from ..engine.savings import Savings, SavingsTracker
from ..engine.tool_results import ToolOutput, compress_tool_outputs
from ._convert import to_engine_messages
from ._options import build_options
from ._pydantic import check_fields, configuration_errors
from ._run_metadata import annotate_run
from ._savings import tool_run_metadata
from ._tool_results import compress_tool_message, tool_query

__all__ = ["RETRIEVE_TOOL_NAME", "HeadroomToolWrapper", "create_retrieve_tool", "wrap_tools"]

# BaseTool settings a wrapper takes over from the tool it wraps, so it behaves the same.
_COPIED = (
    "name",
    "description",
    "args_schema",
    "return_direct",
    "response_format",
    "handle_tool_error",
    "handle_validation_error",
    "tags",
    "metadata",
    "extras",
    "verbose",
)


class _RetrieveInput(BaseModel):
    ref: str = Field(description="The ref of a `headroom_retrieve ref=...` marker or a `_headroom_ref` field.")
    query: str | None = Field(
        default=None,
        description="Optional words or identifiers: only the matching items, lines or passages come back.",
    )


def create_retrieve_tool(store: Any = None, *, name: str = RETRIEVE_TOOL_NAME, metrics_store: Any = None) -> BaseTool:
    """The ``headroom_retrieve`` tool: the original content behind a ref, optionally filtered by a query.

    ``store`` must be the store the compression wrote to (the process default
    store when None). An unknown or expired ref answers with a one-line note
    saying why, so the agent can carry on. With ``metrics_store`` every
    retrieval is recorded there, so the tool whose output was cut keeps more next time.
    """
    check_option("store", store)
    check_option("metrics_store", metrics_store)

    def headroom_retrieve(ref: str, query: str | None = None) -> str:
        try:
            return retrieve(ref.strip(), query, store=store, metrics_store=metrics_store)
        except CacheError as exc:
            return f"[headroom_retrieve: {exc.message}]"

    return StructuredTool.from_function(
        headroom_retrieve,
        name=name,
        description=(
            "Get back content that Headroom left out of a compressed tool result or history. "
            "Pass the ref shown in the omission marker; add a query to receive only the matching parts."
        ),
        args_schema=_RetrieveInput,
    )


def _call_extras(method: Callable[..., Any], config: RunnableConfig, run_manager: Any) -> dict[str, Any]:
    """The run manager and config a tool method asks for, as LangChain passes them."""
    extras: dict[str, Any] = {}
    if "run_manager" in inspect.signature(method).parameters:
        extras["run_manager"] = run_manager
    try:
        hints = typing.get_type_hints(method)
    except Exception:  # unresolvable annotations: the method takes no config then
        hints = {}
    for param, hint in hints.items():
        if hint is RunnableConfig:
            extras[param] = config
            break
    return extras


def _is_blocks(content: Any) -> bool:
    return isinstance(content, list) and all(
        isinstance(b, str) or (isinstance(b, dict) and b.get("type") in TOOL_MESSAGE_BLOCK_TYPES) for b in content
    )


def _as_message_content(content: Any) -> str | list[Any] | None:
    """Content as a ToolMessage would carry it (JSON text for data), None when it has no text form."""
    if isinstance(content, str) or _is_blocks(content):
        return content
    try:
        return json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError):
        return None


class HeadroomToolWrapper(BaseTool):
    """A tool identical to ``tool`` for the model, whose outputs are compressed when produced.

    ``HeadroomToolWrapper(search_tool, store=store)``. Options are the engine's
    (``config``, ``mode``, ``store``, ``metrics_store``, ``tool_profiles``) plus
    ``model`` for token counting. Savings so far: :meth:`get_savings_summary`.
    """

    tool: BaseTool
    """The wrapped tool; it does the work."""
    model: str = DEFAULT_MODEL
    """Model name whose tokenizer counts the savings."""
    config: Any = None
    mode: Any = None
    store: Any = None
    metrics_store: Any = None
    tool_profiles: dict[str, Any] | None = None

    _options: EngineOptions = PrivateAttr()
    _tracker: SavingsTracker = PrivateAttr(default_factory=SavingsTracker)
    _query: str | None = PrivateAttr(default=None)
    _on_savings: Callable[[Savings], None] | None = PrivateAttr(default=None)
    _history: Sequence[BaseMessage] = PrivateAttr(default=())
    _call_id: str | None = PrivateAttr(default=None)
    _retrieve_tool: bool = PrivateAttr(default=True)

    @classmethod
    def for_call(
        cls,
        tool: BaseTool,
        *,
        query: str,
        options: EngineOptions,
        model: str,
        on_savings: Callable[[Savings], None],
        history: Sequence[BaseMessage] = (),
        call_id: str | None = None,
        retrieve_tool: bool = True,
    ) -> HeadroomToolWrapper:
        """A one-call wrapper (for a middleware): compresses against ``query`` inside the tool's own run.

        Compressing inside the run lets the traced tool run carry what it saved. ``history`` (the
        conversation so far) lets an output that repeats an earlier tool result become a pointer;
        ``call_id`` (the tool call's id) tells this result apart from an identical earlier one;
        ``retrieve_tool`` False: the agent has no ``headroom_retrieve``, so markers name the ref only.
        """
        wrapper = cls(tool, model=model)
        wrapper._options = options
        wrapper._query = query
        wrapper._on_savings = on_savings
        wrapper._history = history
        wrapper._call_id = call_id
        wrapper._retrieve_tool = retrieve_tool
        return wrapper

    def __init__(self, tool: BaseTool | None = None, /, **kwargs: Any) -> None:
        if tool is not None:
            kwargs["tool"] = tool
        check_fields(type(self), kwargs)
        with configuration_errors():
            super().__init__(**kwargs)
        self._options = build_options(
            config=self.config,
            mode=self.mode,
            store=self.store,
            metrics_store=self.metrics_store,
            model=self.model,
            tool_profiles=self.tool_profiles,
        )

    @model_validator(mode="before")
    @classmethod
    def _copy_identity(cls, data: Any) -> Any:
        """Name, description, schema and error handling come from the wrapped tool."""
        if not isinstance(data, dict):
            return data
        wrapped = data.get("tool")
        if not isinstance(wrapped, BaseTool):
            raise ConfigurationError(
                "HeadroomToolWrapper needs a LangChain tool (BaseTool)",
                {"field": "tool", "value": type(wrapped).__name__, "allowed": "BaseTool"},
            )
        return {**{name: getattr(wrapped, name) for name in _COPIED}, **data}

    # --- the model sees the wrapped tool's schema ---

    @property
    def tool_call_schema(self) -> Any:
        return self.tool.tool_call_schema

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.tool.get_input_schema(config)

    @property
    def _injected_args_keys(self) -> frozenset[str]:
        return self.tool._injected_args_keys

    def _to_args_and_kwargs(self, tool_input: str | dict[str, Any], tool_call_id: str | None) -> Any:
        return self.tool._to_args_and_kwargs(tool_input, tool_call_id)

    def _filter_injected_args(self, tool_input: dict[str, Any]) -> dict[str, Any]:
        return self.tool._filter_injected_args(tool_input)

    # --- running ---

    def _run(
        self,
        *args: Any,
        config: RunnableConfig,
        run_manager: CallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> Any:
        method = self.tool._run
        output = method(*args, **_call_extras(method, config, run_manager), **kwargs)
        return self._compress_output(output, args, kwargs, run_manager)

    async def _arun(
        self,
        *args: Any,
        config: RunnableConfig,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> Any:
        # As BaseTool.arun decides: a tool without its own _arun runs its _run in a thread.
        check = self.tool._run if type(self.tool)._arun is BaseTool._arun else self.tool._arun
        output = await self.tool._arun(*args, **_call_extras(check, config, run_manager), **kwargs)
        return await off_loop(text_size([output]), self._compress_output, output, args, kwargs, run_manager)

    def _compress_output(self, output: Any, args: tuple[Any, ...], kwargs: dict[str, Any], run_manager: Any) -> Any:
        query = self._query
        if query is None:
            visible = set(self.tool.args)
            call_args = {k: v for k, v in kwargs.items() if k in visible}
            call_args.update({str(i): a for i, a in enumerate(args)})
            query = tool_query((), call_args)
        if self.response_format == "content_and_artifact" and isinstance(output, tuple) and len(output) == 2:
            return self._compress_content(output[0], query, run_manager), output[1]
        return self._compress_content(output, query, run_manager)

    def _compress_content(self, content: Any, query: str, run_manager: Any) -> Any:
        """``content`` with its text compressed; the very same object when nothing is saved."""
        if isinstance(content, ToolMessage):
            result = compress_tool_message(
                content, query, self._options, self.model, self._history, retrieve_tool=self._retrieve_tool
            )
            self._record(result.savings, run_manager)
            return result.message
        text = _as_message_content(content)
        if text is None:
            return content
        earlier = to_engine_messages(self._history) if self._history else []
        output = ToolOutput(text, self.name, self._call_id)
        out = compress_tool_outputs(
            [output],
            query=query,
            options=self._options,
            model=self.model,
            earlier=earlier,
            retrieve_tool=self._retrieve_tool,
        )
        self._record(out.savings, run_manager)
        return out.contents[0] if out.changed[0] else content

    def _record(self, savings: Savings | None, run_manager: Any) -> None:
        """Count the call and write what it saved on the tool's own traced run (still open here)."""
        if savings is None:
            return
        self._tracker.record(savings)
        if savings.transforms:
            annotate_run(run_manager, tool_run_metadata(savings))
        if self._on_savings is not None:
            self._on_savings(savings)

    def get_savings_summary(self) -> dict[str, Any]:
        """Outputs compressed so far (``calls``), tokens before/after/saved, transforms."""
        return self._tracker.summary()


def wrap_tools(tools: Sequence[BaseTool | Callable[..., Any]], **options: Any) -> list[BaseTool]:
    """Each tool (or plain function, made a tool first) wrapped by :class:`HeadroomToolWrapper`.

    ``options`` are the wrapper's (``model``, ``config``, ``mode``, ``store``,
    ``metrics_store``, ``tool_profiles``). Tools already wrapped are returned as they are.
    """
    wrapped: list[BaseTool] = []
    for item in tools:
        if isinstance(item, HeadroomToolWrapper):
            wrapped.append(item)
            continue
        base = item if isinstance(item, BaseTool) else tool(item)
        wrapped.append(HeadroomToolWrapper(base, **options))
    return wrapped
