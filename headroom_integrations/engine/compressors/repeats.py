"""Tool outputs that repeat an earlier one in the same conversation: a pointer plus what changed.

Coding agents view the same file twice, re-read overlapping line ranges and
re-run the same failing tests. When most lines of a tool output already
stand in one earlier tool output, the output becomes a note naming that
output (by its tool and call id, which the model sees and which history fitting
does not renumber), its new lines verbatim (in order, with the line numbers a file view
carries), and short markers where shared lines were; the whole output is
stashed under one ref. The decision reads only the output and the ones
before it, so it is the same on every later hop (prompt caches stay valid).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from ..ccr.markers import content_ref
from ..messages import TextSlot, result_call_id
from ._elide import split_lines
from .base import CompressionContext, CompressorOutput

__all__ = ["EarlierOutput", "compress_repeat", "output_label"]

NAME = "repeat"
# An output shorter than this many non-blank lines is not worth a pointer.
_MIN_LINES = 10
# Share of the output's non-blank lines that must already stand in the earlier output.
_MIN_SHARED = 0.6
# Only the most recent earlier outputs are compared (bounds the work per message).
_MAX_EARLIER = 24

EarlierOutput = tuple[int, str, str]  # (message index, tool output text, how the model finds it)


def output_label(message: Any, slot: TextSlot, index: int) -> str:
    """How a pointer names a tool output: its tool and call id (``the read_file result (call_7)``).

    Message numbers would shift when a system prompt is added or history is fitted; the call id
    stands next to the output in every provider format. Without one, the message's 0-based index.
    """
    call_id = result_call_id(message, slot.path) if isinstance(message, Mapping) else None
    if call_id is None:
        return f"message {index}"
    return f"the {slot.tool_name or 'tool'} result ({call_id})"


@functools.lru_cache(maxsize=512)
def _line_set(text: str) -> frozenset[str]:
    return frozenset(line.rstrip() for line in text.splitlines() if line.strip())


def compress_repeat(text: str, earlier: Sequence[EarlierOutput], ctx: CompressionContext) -> CompressorOutput | None:
    """The pointer form of ``text`` when it mostly repeats one of ``earlier``, else None (never raises)."""
    try:
        return _compress(text, earlier, ctx)
    except Exception:  # noqa: BLE001 - fail open: the normal compressors still run
        return None


def _compress(text: str, earlier: Sequence[EarlierOutput], ctx: CompressionContext) -> CompressorOutput | None:
    if not earlier or text.count("\n") < _MIN_LINES - 1:
        return None
    lines = split_lines(text)
    body = [line.rstrip() for line in lines if line.strip()]
    if len(body) < _MIN_LINES:
        return None
    best: EarlierOutput | None = None
    best_shared = 0
    for candidate in list(earlier)[-_MAX_EARLIER:]:
        other = candidate[1]
        if other == text or not isinstance(other, str):
            shared = len(body) if other == text else 0
        else:
            others = _line_set(other)
            shared = sum(line in others for line in body)
        if shared > best_shared:
            best, best_shared = candidate, shared
    if best is None or best_shared < _MIN_SHARED * len(body):
        return None
    best_index, source, label = best
    shared_lines = _line_set(source)
    parts: list[str] = []
    run = 0
    for line in lines:
        if line.strip() and line.rstrip() in shared_lines:
            run += 1
            continue
        if run:
            parts.append(f"[... {run} line{'' if run == 1 else 's'} as in {label} ...]\n")
            run = 0
        parts.append(line if line.endswith("\n") else line + "\n")
    if run:
        parts.append(f"[... {run} line{'' if run == 1 else 's'} as in {label} ...]\n")
    changed = len(body) - best_shared
    note = ctx.marker(best_shared, "lines", content_ref(text), f"that repeat {label} ({changed} new lines shown)")
    out = f"{note}\n{''.join(parts)}".rstrip("\n")
    before, after = ctx.count(text), ctx.count(out)
    if after > before * (1.0 - ctx.config.content.min_savings_ratio):
        return None
    ref = ctx.stash(text, "text")
    if ref != content_ref(text):
        out = out.replace(content_ref(text), ref)
    return CompressorOutput(out, True, f"{NAME}:msg{best_index}", (ref,))
