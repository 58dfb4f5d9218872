"""Unified diffs (``git diff``, ``diff -u``, ``git show``): every change stays, context shrinks.

Kept verbatim: ``diff --git``/``index``/mode/rename/binary lines, ``---``/``+++``
file headers, ``@@`` hunk headers, every added and removed line, ``\\ No
newline`` notes, and ``content.diff_context_lines`` unchanged lines on each side
of a change. Hunks are read by their ``@@`` line counts, so a removed line that
itself starts with ``--`` is never mistaken for a file header. Only when
``content.diff_max_tokens`` is set, the diff is still over it and the query
names something specific, whole files the query does not touch shrink to their
header plus a ``+added/-removed`` marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..relevance import BM25Scorer, RelevanceScorer, extract_identifiers
from ._elide import Plan, finish, runs_from_mask, split_lines
from ._patterns import HUNK_RE
from ._ranked import RankedLineCompressor
from .base import CompressionContext, CompressorOutput

__all__ = ["DiffCompressor"]

NAME = "diff"
_COMBINED_HUNK = re.compile(r"(@{3,}) ")
_BINARY_DATA = re.compile(r"[A-Za-z][0-9A-Za-z+/=;`|~!@#$%^&*(){}<>?_-]{4,}$")

# Line roles.
_KEEP, _HUNK_HEADER, _CONTEXT, _ADDED, _REMOVED = "keep", "@@", "context", "+", "-"


@dataclass(frozen=True)
class _FileSection:
    """Lines ``[start, end)`` of one file's diff, with its path and change counts."""

    start: int
    end: int
    path: str
    added: int
    removed: int


def _compress(text: str, ctx: CompressionContext, scorer: RelevanceScorer | None) -> CompressorOutput:
    lines = split_lines(text)
    roles = _roles(lines)
    if not any(r in (_ADDED, _REMOVED) for r in roles):
        return CompressorOutput.unchanged(text, f"{NAME}: no hunks found")
    keep = _keep_mask(roles, ctx.config.content.diff_context_lines)
    runs = runs_from_mask(keep)
    whole: dict[int, _FileSection] = {}
    budget = ctx.config.content.diff_max_tokens
    if budget and _specific(ctx.query):
        whole = _files_to_summarise(lines, roles, runs, ctx, budget, scorer or BM25Scorer(ctx.config.relevance))
        runs = [r for r in runs if not any(f.start <= r[0] < f.end for f in whole.values())]
        runs = sorted(runs + [(f.start + _header_length(roles, f), f.end) for f in whole.values()])

    def render(start: int, end: int, ref: str) -> str:
        section = next((f for f in whole.values() if f.start + _header_length(roles, f) == start), None)
        if section is not None:
            return ctx.marker(end - start, "diff lines", ref, f"(+{section.added} -{section.removed})")
        return ctx.marker(end - start, "context lines", ref)

    return finish(NAME, text, Plan(lines, runs, render), ctx)


class DiffCompressor(RankedLineCompressor):
    """Content compressor for unified diffs (``name="diff"``); ``scorer`` (default BM25) ranks files."""

    name = NAME
    run = staticmethod(_compress)


def _hunk_counts(line: str) -> tuple[int, int] | None:
    m = HUNK_RE.match(line)
    if m is None:
        return None
    return int(m.group(1) or 1), int(m.group(2) or 1)


def _roles(lines: Sequence[str]) -> list[str]:
    """Role of each line, reading hunks by their ``@@`` counts (combined diffs by prefix width)."""
    roles = [_KEEP] * len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        counts = _hunk_counts(line)
        combined = _COMBINED_HUNK.match(line) if counts is None else None
        if counts is not None:
            roles[i] = _HUNK_HEADER
            i = _read_hunk(lines, roles, i + 1, *counts)
        elif combined is not None:
            roles[i] = _HUNK_HEADER
            i = _read_combined(lines, roles, i + 1, len(combined.group(1)) - 1)
        elif line.startswith("GIT binary patch"):
            i = _skip_binary(lines, roles, i + 1)
        else:
            i += 1
    return roles


def _read_hunk(lines: Sequence[str], roles: list[str], i: int, old: int, new: int) -> int:
    while i < len(lines) and (old > 0 or new > 0):
        head = lines[i][:1]
        if head in (" ", "\n", "\r"):
            roles[i], old, new = _CONTEXT, old - 1, new - 1
        elif head == "-":
            roles[i], old = _REMOVED, old - 1
        elif head == "+":
            roles[i], new = _ADDED, new - 1
        elif head != "\\":
            return i  # malformed or cut off: the rest is read afresh
        i += 1
    return i


def _read_combined(lines: Sequence[str], roles: list[str], i: int, parents: int) -> int:
    while i < len(lines):
        prefix = lines[i][:parents]
        if len(prefix) < parents or any(c not in " +-" for c in prefix):
            if lines[i].startswith("\\"):
                i += 1
                continue
            return i
        roles[i] = _ADDED if "+" in prefix else _REMOVED if "-" in prefix else _CONTEXT
        i += 1
    return i


def _skip_binary(lines: Sequence[str], roles: list[str], i: int) -> int:
    """Base85 payload lines of a ``GIT binary patch`` become dropped context."""
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        if line.startswith(("literal ", "delta ")) or not line:
            i += 1
            continue
        if not _BINARY_DATA.match(line):
            return i
        roles[i] = _CONTEXT
        i += 1
    return i


def _keep_mask(roles: Sequence[str], window: int) -> list[bool]:
    """Everything but context lines farther than ``window`` from a change (binary payload always goes)."""
    n = len(roles)
    distance = [n + 1] * n
    last = -(n + 1)
    for i, role in enumerate(roles):
        if role in (_ADDED, _REMOVED):
            last = i
        elif role != _CONTEXT:
            last = -(n + 1)  # a hunk or file boundary: context does not reach across it
        distance[i] = i - last
    last = 2 * n + 2
    for i in range(n - 1, -1, -1):
        role = roles[i]
        if role in (_ADDED, _REMOVED):
            last = i
        elif role != _CONTEXT:
            last = 2 * n + 2
        distance[i] = min(distance[i], last - i)
    return [role != _CONTEXT or distance[i] <= window for i, role in enumerate(roles)]


# --- whole-file summaries (opt-in) ---------------------------------------------------------------


def _specific(query: str) -> bool:
    """A query names something when it holds an exact identifier (a path, a code name, an id...)."""
    return bool(query and extract_identifiers(query))


def _sections(lines: Sequence[str], roles: Sequence[str]) -> list[_FileSection]:
    """One section per file: from its ``diff`` line (or ``---``/``+++`` pair) to the next file's."""
    outside = [i for i, role in enumerate(roles) if role == _KEEP]
    starts = [i for i in outside if lines[i].startswith("diff ")]
    if not starts:
        starts = [
            i for i in outside if lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")
        ]
    out = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        path = next((ln[4:].strip() for ln in lines[start:end] if ln.startswith("+++ ")), lines[start].strip())
        added = sum(1 for r in roles[start:end] if r == _ADDED)
        removed = sum(1 for r in roles[start:end] if r == _REMOVED)
        out.append(_FileSection(start, end, path, added, removed))
    return out


def _header_length(roles: Sequence[str], section: _FileSection) -> int:
    """Lines of a file section before its first hunk (kept when the file is summarised)."""
    for i in range(section.start, section.end):
        if roles[i] == _HUNK_HEADER:
            return i - section.start
    return section.end - section.start


def _files_to_summarise(
    lines: Sequence[str],
    roles: Sequence[str],
    runs: Sequence[tuple[int, int]],
    ctx: CompressionContext,
    budget: int,
    scorer: RelevanceScorer,
) -> dict[int, _FileSection]:
    """Least relevant files (no query identifier, lowest BM25) to shrink until the diff fits ``budget``."""
    sections = _sections(lines, roles)
    if len(sections) < 2:
        return {}
    dropped = {i for start, end in runs for i in range(start, end)}
    texts = ["".join(ln for i, ln in enumerate(lines[s.start : s.end], s.start) if i not in dropped) for s in sections]
    cost = [ctx.count(t) for t in texts]
    total = sum(cost)
    scores = scorer.score_items(texts, ctx.query)
    identifiers = extract_identifiers(ctx.query)
    chosen: dict[int, _FileSection] = {}
    top = max(range(len(sections)), key=lambda i: (scores[i], -i))
    for i in sorted(range(len(sections)), key=lambda i: (scores[i], -cost[i], i)):
        if total <= budget:
            break
        if i == top or any(ident in texts[i] for ident in identifiers):
            continue
        if _header_length(roles, sections[i]) == sections[i].end - sections[i].start:
            continue  # no hunks (mode change, binary note): nothing to shrink
        chosen[i] = sections[i]
        total -= cost[i]
    return chosen
