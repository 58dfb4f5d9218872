"""Base of the line compressors that rank their lines against the query (logs, search results, tables, diffs)."""

from __future__ import annotations

from collections.abc import Callable

from ..arguments import strict_arguments
from ..relevance import RelevanceScorer
from ._elide import fail_open
from .base import CompressionContext, CompressorOutput

__all__ = ["RankedLineCompressor"]


Run = Callable[[str, CompressionContext, "RelevanceScorer | None"], CompressorOutput]


@strict_arguments
class RankedLineCompressor:
    """A compressor with an optional relevance ``scorer`` whose :meth:`compress` never raises.

    Subclasses set ``name`` and ``run`` (the compression itself, a plain function).
    """

    name: str
    run: Run

    def __init__(self, *, scorer: RelevanceScorer | None = None) -> None:
        self._scorer = scorer

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        try:
            return self.run(text, ctx, self._scorer)
        except Exception as exc:  # noqa: BLE001 - fail open: the caller's LLM call must go on
            return fail_open(self.name, text, exc)
