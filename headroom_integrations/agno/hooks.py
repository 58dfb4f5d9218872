"""Agno hooks: compress a tool's result at the source, and report the savings on the run.

``Agent(tool_hooks=[headroom_tool_hook], post_hooks=[HeadroomPostHook()])``:

* the tool hook wraps every tool call; a large string (or JSON-able dict/list)
  result is compressed by the engine against the run's latest user message
  before Agno sees it (an output repeating an earlier one of the run, such as
  a file viewed again, becomes a pointer plus what changed). The model, the run output and the session all get the
  compressed text; what was dropped stays retrievable by ref
  (``headroom_retrieve``). Use ``HeadroomCompressionManager`` instead when the
  session should keep the originals.
* a tool hook has no access to the run output, so it keeps each run's
  summaries until the post hook adds them to ``run_output.metrics`` and
  ``metadata["headroom_tool_results"]``.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from typing_extensions import Unpack

from ..engine.ccr.store import RETRIEVE_TOOL_NAME
from ..engine.models import resolve_model
from ..engine.options import EngineOptions, OptionArgs, off_loop
from ..engine.savings import Savings, SavingsTracker
from ..engine.tool_results import ToolOutput, compress_tool_outputs
from ._convert import to_engine_messages, tool_query
from ._savings import attach_to_run
from .tools import agent_offers_retrieve

__all__ = ["HeadroomPostHook", "HeadroomToolHook", "headroom_tool_hook"]

# Runs whose savings wait for their post hook; older ones are dropped (their post hook never came).
_PENDING_RUNS = 1024


def _as_text(value: Any) -> str | None:
    """The text form of a tool result Headroom may compress (None: leave it alone)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            return None
    return None


class HeadroomToolHook:
    """An Agno tool hook (``tool_hooks=[...]``) that compresses each tool result.

    Options as for the other Headroom components (``config``, ``mode``,
    ``store``, ``metrics_store``). Results of ``headroom_retrieve`` and results
    that are not text (media, ``ToolResult``, generators) pass through.
    """

    def __init__(self, **options: Unpack[OptionArgs]) -> None:
        self._options = EngineOptions.build(integration="agno", owner="HeadroomToolHook", **options)
        self._tracker = SavingsTracker()
        self._pending: OrderedDict[str, list[Savings]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(
        self,
        function_name: str,
        function_call: Callable[..., Any],
        arguments: dict[str, Any],
        agent: Any = None,
        run_context: Any = None,
    ) -> Any:
        result = function_call(**arguments)
        if function_name == RETRIEVE_TOOL_NAME:
            return result
        if inspect.isawaitable(result):  # inside an async run the next step is a coroutine
            return self._compress_later(result, function_name, arguments, agent, run_context)
        text = _as_text(result)
        return result if text is None else self._compress(result, text, function_name, arguments, agent, run_context)

    async def _compress_later(
        self, result: Awaitable[Any], name: str, arguments: dict[str, Any], agent: Any, run_context: Any
    ) -> Any:
        value = await result
        text = _as_text(value)
        if text is None:
            return value
        return await off_loop(len(text), self._compress, value, text, name, arguments, agent, run_context)

    def _compress(
        self, value: Any, text: str, name: str, arguments: dict[str, Any], agent: Any, run_context: Any
    ) -> Any:
        """``text`` (the text form of ``value``) compressed, or ``value`` itself when nothing was saved."""
        model = getattr(getattr(agent, "model", None), "id", None)
        history = getattr(run_context, "messages", None) or ()  # the run's messages so far, as the model saw them
        out = compress_tool_outputs(
            [ToolOutput(text, name)],
            query=tool_query(history, arguments),
            options=self._options,
            model=resolve_model(model),
            earlier=to_engine_messages(history),
            retrieve_tool=agent_offers_retrieve(agent),
        )
        if out.savings is None:  # failed open: the tool's own result goes through
            return value
        self._tracker.record(out.savings)
        self._hold(getattr(run_context, "run_id", None), out.savings)
        return out.contents[0] if out.changed[0] else value

    def _hold(self, run_id: Any, savings: Savings) -> None:
        if not isinstance(run_id, str):
            return
        with self._lock:
            self._pending.setdefault(run_id, []).append(savings)
            self._pending.move_to_end(run_id)
            while len(self._pending) > _PENDING_RUNS:
                self._pending.popitem(last=False)

    def report_run(self, run_output: Any) -> None:
        """Add the savings of ``run_output``'s run to its metrics and metadata (what the post hook does)."""
        with self._lock:
            held = self._pending.pop(str(getattr(run_output, "run_id", "")), [])
        for savings in held:
            attach_to_run(run_output, savings, "tool_results")

    def get_savings_summary(self) -> dict[str, Any]:
        """Tool results compressed, tokens before/after/saved and transforms so far."""
        return self._tracker.summary()


headroom_tool_hook = HeadroomToolHook()
"""The default tool hook (engine defaults, the process default store)."""


class HeadroomPostHook:
    """An Agno post hook (``post_hooks=[...]``) that reports a tool hook's savings on the run output."""

    def __init__(self, tool_hook: HeadroomToolHook | None = None) -> None:
        self.tool_hook = tool_hook if tool_hook is not None else headroom_tool_hook

    def __call__(self, run_output: Any) -> None:
        self.tool_hook.report_run(run_output)
