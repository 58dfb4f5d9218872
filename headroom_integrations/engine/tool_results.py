"""Tool outputs compressed on their own, against a query: the path every tool-level component takes.

A tool hook, a tool wrapper or a middleware sees tool outputs one call at a
time, not a conversation. It hands them here; each becomes a tool message of
its own and :func:`engine.compress <headroom_integrations.engine.compress.compress>`
decides (so results of ``headroom_retrieve`` and text already compressed by
Headroom pass through, as everywhere). The caller gets what to hand on: the
compressed content in optimize mode where it saved tokens, the original
otherwise (audit and simulate only measure), plus the per-call summary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .compress import compress
from .config import HeadroomMode
from .options import EngineOptions
from .savings import Savings

__all__ = ["CompressedToolOutputs", "ToolOutput", "compress_tool_outputs"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolOutput:
    """One tool output: its content (text or OpenAI-style content blocks), the call it answers, its query.

    ``query`` (see :func:`~.messages.tool_result_query`) overrides the call's shared one for this output.
    """

    content: Any
    tool_name: str | None = None
    tool_call_id: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class CompressedToolOutputs:
    """What to hand on for each output, whether it changed, and the savings (None: failed open)."""

    contents: list[Any]
    changed: list[bool]
    savings: Savings | None


def _as_message(index: int, output: ToolOutput) -> dict[str, Any]:
    message = {"role": "tool", "tool_call_id": output.tool_call_id or f"headroom-{index}", "content": output.content}
    if output.tool_name:
        message["name"] = output.tool_name
    return message


def compress_tool_outputs(
    outputs: Sequence[ToolOutput],
    *,
    query: str,
    options: EngineOptions,
    model: str,
    earlier: Sequence[Mapping[str, Any]] = (),
    retrieve_tool: bool = True,
) -> CompressedToolOutputs:
    """Compress ``outputs`` in one engine call (one account, one ``tool_result`` metrics row); fails open.

    ``query`` is the outputs' own turn (:func:`~.messages.tool_result_query`), never a later question.
    ``earlier`` is the conversation so far as the model saw it (engine message dicts): an output that
    repeats one of its tool outputs (a file viewed again, a test re-run) becomes a pointer plus what changed.
    ``retrieve_tool`` False (the model has no ``headroom_retrieve``): markers name the ref only.
    """
    originals = [output.content for output in outputs]
    try:
        messages = [_as_message(i, output) for i, output in enumerate(outputs)]
        own = {i: output.query for i, output in enumerate(outputs) if output.query is not None}
        result = compress(
            messages,
            model,
            query=query,
            queries=own,
            earlier=earlier,
            record_kind="tool_result",
            retrieve_tool=retrieve_tool,
            **options.engine_kwargs(),
        )
    except Exception as exc:  # fail open: the tools' own outputs go through
        logger.warning("headroom: tool outputs left uncompressed: %r", exc)
        return CompressedToolOutputs(originals, [False] * len(originals), None)
    optimize = result.mode is HeadroomMode.OPTIMIZE
    contents = [message.get("content") for message in result.messages] if optimize else originals
    changed = [new != old for new, old in zip(contents, originals, strict=True)]
    return CompressedToolOutputs(contents, changed, result.savings)
