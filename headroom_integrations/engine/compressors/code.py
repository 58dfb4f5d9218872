"""Source code: keep the outline and the bodies the task needs, elide the rest.

What stays verbatim: imports, module-level statements, class and ``def``
lines with their decorators and signatures, the first line of long
docstrings, and the bodies of functions the query names or that rank highest
for it (up to ``content.code_target_ratio`` of the tokens). Every other body
becomes one marker line; Python bodies become ``...  # [marker]`` so a module
that parsed before still parses. Numbered listings (``cat -n``, ``grep -n``)
keep their numbers: analysis runs on the stripped code, output uses the
original lines.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Sequence

from ..arguments import strict_arguments
from ..relevance import BM25Scorer, RelevanceScorer
from ._code_blocks import Block, Cut, brace_blocks, indent_blocks, python_ast_blocks
from ._elide import Plan, finish, never_raises, plain_marker
from ._listing import Listing, parse_listing
from .base import CompressionContext, CompressorOutput
from .detect import detect_content_type

__all__ = ["CodeCompressor", "compress_code"]

logger = logging.getLogger(__name__)

NAME = "code"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PY_DEFINITION = re.compile(r"\s*(?:async\s+def|def|class)\s+\w+\s*[(:]")
_MIN_NAME_CHARS = 3
_HASH_COMMENT_LANGUAGES = frozenset(("python", "shell", "ruby", "perl", "r"))


@strict_arguments
class CodeCompressor:
    """Content compressor for source code (``name="code"``).

    ``language`` skips detection; ``scorer`` ranks bodies against the query
    (default: BM25 with ``ctx.config.relevance``).
    """

    name = NAME

    def __init__(self, language: str | None = None, *, scorer: RelevanceScorer | None = None) -> None:
        self.language = language
        self.scorer = scorer

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        return compress_code(text, ctx, language=self.language, scorer=self.scorer)


def compress_code(
    text: str, ctx: CompressionContext, language: str | None = None, *, scorer: RelevanceScorer | None = None
) -> CompressorOutput:
    """Elide the function bodies ``ctx.query`` does not need; never raises."""
    return _compress(text, ctx, language, scorer or BM25Scorer(ctx.config.relevance))


@never_raises(NAME)
def _compress(text: str, ctx: CompressionContext, language: str | None, scorer: RelevanceScorer) -> CompressorOutput:
    if not text.strip():
        return CompressorOutput.unchanged(text, f"{NAME}: empty input")
    listing = parse_listing(text)
    code = listing.code
    if language is None:
        language = detect_content_type("\n".join(c for c in code if c is not None)).language
    language = (language or "").lower() or None
    whole_module = (
        language in (None, "python")
        and not listing.numbered
        and not re.search(r"\r(?!\n)", text)
        and all(c is not None for c in code)
    )
    ast_blocks = python_ast_blocks([c or "" for c in code]) if whole_module else None
    if ast_blocks is not None:
        language = "python"
        blocks = ast_blocks
    elif language == "python" or (language is None and _looks_indented_python(code)):
        language = "python"
        blocks = indent_blocks(code)
    else:
        blocks = brace_blocks(code, language)
    if not blocks:
        return CompressorOutput.unchanged(text, f"{NAME}: no function bodies or docstrings to elide")
    kept = _relevant(blocks, code, ctx, scorer)
    cuts = [cut for i, block in enumerate(blocks) if i not in kept for cut in block.cuts]
    out = finish(NAME, text, _plan(listing, cuts, language, ctx, python=ast_blocks is not None), ctx)
    if ast_blocks is not None and out.modified and not _parses(out.text):
        # Defensive: the ast-based cuts are built to keep the module valid; if they
        # ever do not, give the original back rather than broken Python.
        logger.warning("code compressor produced unparseable Python; returning the original")
        return CompressorOutput.unchanged(text, f"{NAME}: elided output did not parse")
    return out


def _looks_indented_python(code: Sequence[str | None]) -> bool:
    """Python-shaped text: a ``def``/``class`` header, or ``:``-ended lines and no ``{``-ended ones."""
    present = [c.rstrip() for c in code if c is not None and c.strip()]
    if any(_PY_DEFINITION.match(c) for c in present):
        return True
    return not any(c.endswith("{") for c in present) and sum(c.endswith(":") for c in present) >= 2


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _plan(
    listing: Listing, cuts: Sequence[Cut], language: str | None, ctx: CompressionContext, *, python: bool
) -> Plan:
    """Runs to drop and how each marker line looks (indent, ``...``, comment sign)."""
    ordered = sorted(cuts, key=lambda c: c.start)
    prefix: dict[int, str] = {}
    for cut in ordered:
        if listing.numbered:
            prefix[cut.start] = ""
        elif cut.doc:
            prefix[cut.start] = cut.indent
        elif python:
            prefix[cut.start] = cut.indent + "...  # "
        else:
            sign = "# " if language in _HASH_COMMENT_LANGUAGES else "// "
            prefix[cut.start] = cut.indent + sign

    marker = plain_marker("lines", ctx, lambda s: prefix.get(s, ""))
    return Plan(listing.lines, [(c.start, c.end) for c in ordered], marker)


def _relevant(
    blocks: Sequence[Block], code: Sequence[str | None], ctx: CompressionContext, scorer: RelevanceScorer
) -> set[int]:
    """Indices of blocks whose bodies stay: named by the query, then the best ranked within the budget.

    BM25 ranks the rest (it already lifts blocks holding the query's exact
    identifiers); a long task description mentions many names, so holding
    one is not enough on its own to keep a body past the budget.
    """
    query = ctx.query or ""
    if not query.strip():
        return set()
    texts = ["\n".join(c or "" for c in code[b.start : b.end]) for b in blocks]
    words = set(_WORD.findall(query))
    kept = {i for i, block in enumerate(blocks) if len(block.name) >= _MIN_NAME_CHARS and block.name in words}
    total = ctx.count("\n".join(c or "" for c in code))
    cost = [ctx.count("\n".join(c or "" for cut in b.cuts for c in code[cut.start : cut.end])) for b in blocks]
    budget = ctx.config.content.code_target_ratio * total - (total - sum(cost)) - sum(cost[i] for i in kept)
    scores = scorer.score_items(texts, query)
    ranked = sorted(range(len(blocks)), key=lambda i: (-scores[i], i))
    if ranked and scores[ranked[0]] > 0 and ranked[0] not in kept:
        kept.add(ranked[0])  # the best match stays even past the budget: it is what the task is about
        budget -= cost[ranked[0]]
    for i in ranked:
        if scores[i] > 0 and i not in kept and cost[i] <= budget:
            kept.add(i)
            budget -= cost[i]
    return kept
