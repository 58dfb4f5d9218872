"""Shared machinery of the cut-and-mark compressors (code, diff, prose, tables).

Each of those compressors splits its input into verbatim *segments* (lines or
sentences), decides which runs to drop, and lets this module do the rest the
same way everywhere: every dropped run is stashed on its own (so its ref gives
back exactly that run), replaced by one :func:`omission_marker`, and the
result is only used when it saves at least ``content.min_savings_ratio`` of
the tokens. Replacing each marker by the stashed run restores the input byte
for byte: the run's trailing whitespace stays in the output after the marker.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Concatenate, ParamSpec

from ..ccr.markers import REF_LENGTH, content_ref
from .base import CompressionContext, CompressorOutput

__all__ = [
    "MarkerRenderer",
    "Plan",
    "fail_open",
    "finish",
    "never_raises",
    "plain_marker",
    "preview",
    "runs_from_mask",
    "split_lines",
]

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_Compress = Callable[Concatenate[str, _P], CompressorOutput]

# (first dropped segment index, end index, ref) -> the marker text put in place of the run
MarkerRenderer = Callable[[int, int, str], str]


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept; only ``\\n`` splits, so ``''.join`` is the input."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def runs_from_mask(keep: Sequence[bool]) -> list[tuple[int, int]]:
    """Maximal ``[start, end)`` runs of segments that are not kept."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, kept in enumerate(keep):
        if not kept and start is None:
            start = i
        elif kept and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(keep)))
    return runs


def plain_marker(unit: str, ctx: CompressionContext, prefix: Callable[[int], str] | None = None) -> MarkerRenderer:
    """A renderer writing ``ctx.marker(count, unit, ref)``, after ``prefix(start)`` when given."""

    def render(start: int, end: int, ref: str) -> str:
        return (prefix(start) if prefix else "") + ctx.marker(end - start, unit, ref)

    return render


@dataclass(frozen=True)
class Plan:
    """Segments, the runs to drop, and how each run's marker reads (see :func:`plain_marker`)."""

    segments: Sequence[str]
    runs: Sequence[tuple[int, int]]
    render: MarkerRenderer

    def chunks(self) -> list[tuple[str, str]]:
        """(stashed content, trailing whitespace kept after the marker) per run."""
        out = []
        for start, end in self.runs:
            body = "".join(self.segments[start:end])
            chunk = body.rstrip()
            out.append((chunk, body[len(chunk) :]))
        return out

    def first_line(self, start: int) -> int:
        """The 1-based line of the input that segment ``start`` begins on."""
        return 1 + sum(segment.count("\n") for segment in self.segments[:start])

    def assemble(self, ref_for: Callable[[str], str]) -> str:
        """The output text, with ``ref_for(chunk)`` naming each dropped run."""
        parts: list[str] = []
        pos = 0
        for (start, end), (chunk, tail) in zip(self.runs, self.chunks(), strict=True):
            parts.extend(self.segments[pos:start])
            parts.append(self.render(start, end, ref_for(chunk)) + tail)
            pos = end
        parts.extend(self.segments[pos:])
        return "".join(parts)


def _worth_cutting(plan: Plan, ctx: CompressionContext) -> Plan:
    """Drop runs that cost no more tokens than the marker replacing them."""
    runs = [
        (start, end)
        for (start, end), (chunk, _) in zip(plan.runs, plan.chunks(), strict=True)
        if ctx.count(chunk) > ctx.count(plan.render(start, end, "0" * REF_LENGTH))
    ]
    return replace(plan, runs=runs)


def preview(plan: Plan, ctx: CompressionContext) -> str:
    """The text :func:`finish` would produce (if it saves enough), without stashing anything."""
    return _worth_cutting(plan, ctx).assemble(content_ref)


def finish(
    name: str,
    original: str,
    plan: Plan,
    ctx: CompressionContext,
    *,
    kind: str = "lines",
    min_savings: float | None = None,
) -> CompressorOutput:
    """Turn a plan into the output, or the original when it does not save enough.

    ``min_savings`` defaults to ``content.min_savings_ratio``. Nothing is
    stashed until the savings are known, so a rejected plan leaves no trace
    in the store.
    """
    plan = _worth_cutting(plan, ctx)
    if not plan.runs:
        return CompressorOutput.unchanged(original, f"{name}: nothing worth omitting")
    text = plan.assemble(content_ref)
    before = ctx.count(original)
    after = ctx.count(text)
    needed = ctx.config.content.min_savings_ratio if min_savings is None else min_savings
    if before <= 0 or after > before * (1.0 - needed):
        return CompressorOutput.unchanged(
            original,
            f"{name}: would save {before - after} of {before} tokens, below min_savings_ratio {needed}",
        )
    refs = {
        chunk: ctx.stash(chunk, kind, first_line=plan.first_line(start))
        for (chunk, _), (start, _end) in zip(plan.chunks(), plan.runs, strict=True)
    }
    if any(ref != content_ref(chunk) for chunk, ref in refs.items()):
        text = plan.assemble(refs.__getitem__)
    kept = len(plan.segments) - sum(end - start for start, end in plan.runs)
    return CompressorOutput(
        text=text,
        modified=True,
        transform=f"{name}:{len(plan.segments)}->{kept}",
        refs=tuple(dict.fromkeys(refs.values())),
    )


def fail_open(name: str, text: str, exc: BaseException) -> CompressorOutput:
    """The original text plus a logged reason: bad input never breaks the caller's LLM call."""
    logger.warning("%s compressor failed open: %s: %s", name, type(exc).__name__, exc)
    return CompressorOutput.unchanged(text, f"{name}: failed open ({type(exc).__name__})")


def never_raises(name: str) -> Callable[[_Compress[_P]], _Compress[_P]]:
    """Decorate a compress function whose first argument is the text: exceptions become :func:`fail_open`."""

    def wrap(fn: _Compress[_P]) -> _Compress[_P]:
        @functools.wraps(fn)
        def run(text: str, *args: _P.args, **kwargs: _P.kwargs) -> CompressorOutput:
            try:
                return fn(text, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - fail open by design
                return fail_open(name, text, exc)

        return run  # type: ignore[return-value]  # functools.wraps keeps the call signature

    return wrap
