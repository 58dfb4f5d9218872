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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .compress import compress
from .config import HeadroomMode
from .options import EngineOptions
from .savings import call_summary

__all__ = ["CompressedToolOutputs", "ToolOutput", "compress_tool_outputs"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolOutput:
    """One tool output: its content (text or OpenAI-style content blocks) and the call it answers."""

    content: Any
    tool_name: str | None = None
    tool_call_id: str | None = None


@dataclass(frozen=True)
class CompressedToolOutputs:
    """What to hand on for each output, whether it changed, and the summary (None: failed open)."""

    contents: list[Any]
    changed: list[bool]
    summary: dict[str, Any] | None


def _as_message(index: int, output: ToolOutput) -> dict[str, Any]:
    message = {"role": "tool", "tool_call_id": output.tool_call_id or f"headroom-{index}", "content": output.content}
    if output.tool_name:
        message["name"] = output.tool_name
    return message


def compress_tool_outputs(
    outputs: Sequence[ToolOutput], *, query: str, options: EngineOptions, model: str
) -> CompressedToolOutputs:
    """Compress ``outputs`` in one engine call (one summary, one metrics row); fails open."""
    originals = [output.content for output in outputs]
    try:
        messages = [_as_message(i, output) for i, output in enumerate(outputs)]
        result = compress(messages, model, query=query, **options.engine_kwargs())
    except Exception as exc:  # fail open: the tools' own outputs go through
        logger.warning("headroom: tool outputs left uncompressed: %r", exc)
        return CompressedToolOutputs(originals, [False] * len(originals), None)
    optimize = result.mode is HeadroomMode.OPTIMIZE
    contents = [message.get("content") for message in result.messages] if optimize else originals
    changed = [new != old for new, old in zip(contents, originals, strict=True)]
    return CompressedToolOutputs(contents, changed, call_summary(result, sent_original=not optimize))
