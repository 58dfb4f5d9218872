"""LangGraph: a ``pre_model_hook`` and a compression node for graphs whose state uses ``add_messages``.

* :func:`create_pre_model_hook` (transient): returns ``{"llm_input_messages": ...}``,
  the conversation with tool results compressed and the history fitted into
  ``token_budget``. The state is not touched. Use it as ``pre_model_hook`` of
  ``create_react_agent`` or in any graph that reads ``llm_input_messages``.
* :func:`create_compression_node` (persistent): returns ``{"messages": [...]}``
  holding compressed copies of the tool messages *with the same ids*, so
  ``add_messages`` replaces them in place: the state shrinks for good, nothing
  is duplicated, and later turns repeat the same bytes.

Both compress each tool result against the turn it answers, so the result is
the same on every later turn, and both work sync and async (large inputs are
compressed in a worker thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableLambda
from typing_extensions import Unpack

from ..engine.options import EngineOptions, OptionArgs, check_flag, off_loop, text_size
from ..engine.savings import SavingsTracker
from ._fitting import build_view
from ._options import build_options, model_for
from ._tool_results import ToolResult, compress_tool_results

__all__ = ["HeadroomGraphStep", "create_compression_node", "create_pre_model_hook"]

logger = logging.getLogger(__name__)


def _messages(state: Any) -> list[BaseMessage]:
    value = state.get("messages") if isinstance(state, dict) else getattr(state, "messages", None)
    return list(value or [])


class HeadroomGraphStep(RunnableLambda):
    """A LangGraph node or hook (sync and async) that keeps running totals of what it saved."""

    def __init__(self, func: Callable[[Any], dict[str, Any]], tracker: SavingsTracker, name: str) -> None:
        async def afunc(state: Any) -> dict[str, Any]:
            return await off_loop(text_size(m.content for m in _messages(state)), func, state)

        super().__init__(func, afunc=afunc, name=name)
        self.savings_tracker = tracker

    def get_savings_summary(self) -> dict[str, Any]:
        """Calls so far, tokens before/after/saved and the transforms applied."""
        return self.savings_tracker.summary()


def create_pre_model_hook(*, retrieve_tool: bool = True, **options: Unpack[OptionArgs]) -> HeadroomGraphStep:
    """A transient hook: ``state -> {"llm_input_messages": compressed, fitted messages}``.

    ``token_budget`` None fits into ``model``'s context window less the output
    buffer. The returned runnable's ``savings_tracker`` sums what each call saved.
    ``retrieve_tool``: the graph's model has ``headroom_retrieve`` bound
    (``create_retrieve_tool(store)``); False: markers and the history note carry the bare ref.
    """
    engine_options = build_options(owner="create_pre_model_hook", own=("retrieve_tool",), **options)
    offered = check_flag("retrieve_tool", retrieve_tool)
    tracker = SavingsTracker()
    target = model_for(engine_options)

    def headroom_pre_model_hook(state: Any) -> dict[str, Any]:
        view = build_view(_messages(state), engine_options, target, retrieve_tool=offered)
        if view.savings is not None:
            tracker.record(view.savings)
        return {"llm_input_messages": view.messages}

    return HeadroomGraphStep(headroom_pre_model_hook, tracker, "headroom_pre_model_hook")


def _replacements(
    messages: Sequence[BaseMessage], options: EngineOptions, model: str, retrieve_tool: bool
) -> list[ToolResult]:
    """The compressed tool messages that can replace their originals by id."""
    _, results = compress_tool_results(messages, options, model, retrieve_tool=retrieve_tool)
    updates = []
    for result in results:
        if not result.changed:
            continue
        if result.message.id is None:  # add_messages could not replace it: it would be appended twice
            logger.debug("headroom: a tool message without id is left as it is")
            continue
        updates.append(result)
    return updates


def create_compression_node(*, retrieve_tool: bool = True, **options: Unpack[OptionArgs]) -> HeadroomGraphStep:
    """A persistent node: ``state -> {"messages": [compressed tool messages, same ids]}``.

    Add it before the model node (or as ``pre_model_hook``) of a graph whose
    ``messages`` channel uses ``add_messages``. Tool messages already
    compressed are skipped, so running it every turn costs little and changes
    nothing twice. Its savings count each replaced message once; in audit and
    simulate modes it replaces (and counts) nothing. ``retrieve_tool`` as in
    :func:`create_pre_model_hook`.
    """
    engine_options = build_options(owner="create_compression_node", own=("retrieve_tool",), **options)
    offered = check_flag("retrieve_tool", retrieve_tool)
    tracker = SavingsTracker()
    target = model_for(engine_options)

    def headroom_compress_tool_results(state: Any) -> dict[str, Any]:
        updates = _replacements(_messages(state), engine_options, target, offered)
        for result in updates:
            if result.savings is not None:
                tracker.record(result.savings)
        return {"messages": [result.message for result in updates]}

    return HeadroomGraphStep(headroom_compress_tool_results, tracker, "headroom_compress_tool_results")
