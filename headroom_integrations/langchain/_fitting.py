"""A conversation as the model should see it: the engine's one path, on LangChain messages.

``engine.compress`` compresses each tool result against its own turn (the
same bytes on every later turn) and fits the history into the budget (the
model's window less the output buffer when none is set), with its strict
refit when the last turns alone overflow. This module only maps LangChain
messages in and out, and keeps the state's copy when the mode only measures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from langchain_core.messages import BaseMessage

from ..engine.compress import CompressResult
from ..engine.options import EngineOptions
from ..engine.savings import Savings
from ._convert import compress_messages

__all__ = ["Fitted", "build_view"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fitted:
    """The messages to send, their source positions, and the savings of the step (None: failed open).

    ``result`` is the engine's result, for a metrics row written later (``build_view(record=False)``).
    """

    messages: list[BaseMessage]
    source_indices: list[int | None]
    savings: Savings | None
    result: CompressResult | None = None


def build_view(
    messages: Sequence[BaseMessage],
    options: EngineOptions,
    model: str,
    *,
    compress_contents: bool = True,
    fit: bool = True,
    retrieve_tool: bool = True,
    record: bool = True,
) -> Fitted:
    """``messages`` through the engine: contents compressed per turn, then fitted; fails open.

    ``retrieve_tool``: the model can call ``headroom_retrieve`` (markers and the note for
    fitted-away history name it; otherwise they give the ref alone).
    ``record=False``: no metrics row now; the caller writes it with ``options.record_call``.
    """
    config = options.config
    if not compress_contents:
        config = config.with_changes(content=replace(config.content, enabled=False))
    budget = options.budget(model) if fit else None
    try:
        out = compress_messages(
            messages,
            model,
            token_budget=budget,
            retrieve_tool=retrieve_tool,
            **options.engine_kwargs(config, record=record),
        )
    except Exception as exc:  # fail open: the call goes through with the full history
        logger.warning("headroom: history left as it is: %s", type(exc).__name__)
        return Fitted(list(messages), list(range(len(messages))), None)
    savings = out.result.savings
    if not options.changes_messages:
        return Fitted(list(messages), list(range(len(messages))), savings, out.result)
    return Fitted(out.messages, list(out.result.source_indices), savings, out.result)
