"""grep / ripgrep results: keep every file visible, the best matches per file verbatim.

Understands ``path:12:text`` matches, ``path-12-text`` context lines, ``--``
group separators and ``path:text`` (no line numbers). Lines are grouped by
file; each file keeps its ``search_max_matches_per_file`` matches that rank
highest for the query (the first ones when the query says nothing about
them) with their context lines. Past ``_MAX_FILES_SHOWN`` files, the files
ranking lowest keep no lines. A file never disappears silently: each cut
leaves a marker naming the file, how many lines went, and the ref that brings
them back. Kept lines, paths and line numbers are verbatim and in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..relevance import BM25Scorer, RelevanceScorer, extract_identifiers
from ._elide import Plan, finish, runs_from_mask, split_lines
from ._patterns import GREP_FILE
from ._ranked import RankedLineCompressor
from .base import CompressionContext, CompressorOutput

__all__ = ["CONTEXT", "MATCH", "OTHER", "SEPARATOR", "SearchCompressor", "SearchLine", "parse_search_results"]

NAME = "search"
_MAX_FILES_SHOWN = 40
_MIN_PARSED_SHARE = 0.5
_MAX_SCORED_LINES = 20_000

_NUMBERED_RE = re.compile(r"((?:[A-Za-z]:)?[^\s:]+?):(\d+):")
_PLAIN_RE = re.compile(rf"({GREP_FILE}|(?:[\w.+@-]*/)+[\w.+@-]+):(?!\d+:)(?!//)")
_CONTEXT_RE = re.compile(r"-(\d+)-")

# SearchLine kinds.
MATCH, CONTEXT, SEPARATOR, OTHER = "match", "context", "separator", "other"


@dataclass(frozen=True)
class SearchLine:
    """One parsed line: its kind, file (None for separators and unparsed lines) and text after the prefix."""

    kind: str
    path: str | None
    text: str


def parse_search_results(lines: Sequence[str]) -> list[SearchLine]:
    """Classify each line of grep/rg output (line endings may be attached)."""
    parsed: list[SearchLine] = []
    known: set[str] = set()
    for line in lines:
        body = line.rstrip("\r\n")
        m = _NUMBERED_RE.match(body) or _PLAIN_RE.match(body)
        if m and _looks_like_path(m.group(1)):
            known.add(m.group(1))
            parsed.append(SearchLine(MATCH, m.group(1), body[m.end() :]))
        elif body == "--":
            parsed.append(SearchLine(SEPARATOR, None, body))
        else:
            parsed.append(SearchLine(OTHER, None, body))
    for i, item in enumerate(parsed):  # context lines need the paths the matches revealed
        if item.kind == OTHER:
            for m in _CONTEXT_RE.finditer(item.text):
                if item.text[: m.start()] in known:
                    parsed[i] = SearchLine(CONTEXT, item.text[: m.start()], item.text[m.end() :])
                    break
    return parsed


def _looks_like_path(path: str) -> bool:
    return ("/" in path or "\\" in path or "." in path.lstrip(".")) and not path.endswith(".")


def _compress_search(text: str, ctx: CompressionContext, scorer: RelevanceScorer | None) -> CompressorOutput:
    lines = split_lines(text)
    parsed = parse_search_results(lines)
    matches = [i for i, p in enumerate(parsed) if p.kind == MATCH]
    nonblank = sum(1 for line in lines if line.strip())
    if not matches or len(matches) + sum(p.kind == CONTEXT for p in parsed) < nonblank * _MIN_PARSED_SHARE:
        return CompressorOutput.unchanged(text, f"{NAME}: not grep-style output")
    owner = _owners(parsed)
    scores = _scores(parsed, matches, ctx, scorer)
    keep = _select(parsed, owner, matches, scores, ctx.config.content.search_max_matches_per_file)
    runs = _runs_per_file(keep, owner)

    def render(start: int, end: int, ref: str) -> str:
        path = owner[start]
        return ctx.marker(end - start, "lines", ref, f"from {path}" if path else "")

    return finish(NAME, text, Plan(lines, runs, render), ctx)


class SearchCompressor(RankedLineCompressor):
    """Content compressor for grep/ripgrep output (``name="search"``).

    ``scorer`` ranks matches for the query (default BM25).
    """

    name = NAME
    run = staticmethod(_compress_search)


def _owners(parsed: list[SearchLine]) -> list[str | None]:
    """The file each line belongs to; separators and stray lines belong to the file before them."""
    owner: list[str | None] = []
    current: str | None = None
    for item in parsed:
        if item.path is not None:
            current = item.path
        owner.append(current)
    return owner


def _scores(
    parsed: list[SearchLine], matches: list[int], ctx: CompressionContext, scorer: RelevanceScorer | None
) -> dict[int, float]:
    """Query relevance of each match line (path included); all zero without a usable query."""
    query = ctx.query or ""
    if not query.strip() or len(matches) > _MAX_SCORED_LINES:
        return {i: 0.0 for i in matches}
    items = [f"{parsed[i].path} {parsed[i].text}" for i in matches]
    scorer = scorer if scorer is not None else BM25Scorer(ctx.config.relevance)
    values = scorer.score_items(items, query)
    identifiers = [ident.lower() for ident in extract_identifiers(query)]
    out: dict[int, float] = {}
    for i, item, value in zip(matches, items, values, strict=True):
        low = item.lower()
        out[i] = value + (1.0 if any(ident in low for ident in identifiers) else 0.0)
    return out


def _select(
    parsed: list[SearchLine],
    owner: list[str | None],
    matches: list[int],
    scores: dict[int, float],
    per_file: int,
) -> list[bool]:
    """Keep the best ``per_file`` matches of the best files, their context, and stray lines."""
    by_file: dict[str, list[int]] = {}
    for i in matches:
        by_file.setdefault(parsed[i].path or "", []).append(i)
    order = list(by_file)
    ranked = sorted(order, key=lambda p: (-max(scores[i] for i in by_file[p]), order.index(p)))
    shown = set(ranked[:_MAX_FILES_SHOWN])
    keep = [False] * len(parsed)
    for path, idx in by_file.items():
        if path not in shown:
            continue
        for i in sorted(idx, key=lambda i: (-scores[i], i))[:per_file]:
            keep[i] = True
    for group in _groups(parsed):
        hits = [j for j in group if parsed[j].kind == MATCH]
        for i in group:
            if parsed[i].kind == CONTEXT and hits:
                nearest = min(hits, key=lambda j: (abs(j - i), j))
                keep[i] = keep[nearest]
    for i, item in enumerate(parsed):
        if item.kind == OTHER and owner[i] is None:
            keep[i] = True
        elif item.kind == SEPARATOR:  # a separator stays between two kept groups
            keep[i] = 0 < i < len(parsed) - 1 and keep[i - 1] and keep[i + 1]
    return keep


def _groups(parsed: list[SearchLine]) -> list[list[int]]:
    """Runs of lines of one file with no separator between them (one grep context group)."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i, item in enumerate(parsed):
        if item.path is None or (current and parsed[current[-1]].path != item.path):
            if current:
                groups.append(current)
            current = []
        if item.path is not None:
            current.append(i)
    if current:
        groups.append(current)
    return groups


def _runs_per_file(keep: list[bool], owner: list[str | None]) -> list[tuple[int, int]]:
    """Dropped runs, split where the file changes so every marker names one file."""
    runs: list[tuple[int, int]] = []
    for start, end in runs_from_mask(keep):
        cut = start
        for k in range(start + 1, end):
            if owner[k] != owner[k - 1]:
                runs.append((cut, k))
                cut = k
        runs.append((cut, end))
    return runs
