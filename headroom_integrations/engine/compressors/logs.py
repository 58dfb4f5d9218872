"""Logs and CI/build output: keep what explains the run, collapse the repetition.

Lines are grouped by *template* (the line with numbers, ids, hex, paths,
urls and timestamps masked; CI timestamp prefixes and colour codes ignored)
and by *family* (the template with qualified names and compound ids masked
too, so ``Running org.a.FooTest`` and ``Running org.a.BarTest`` are one
family). Kept verbatim, in original order: the first and last lines; every
error, warning, failure and exception line (a template repeated more often
than ``_ERROR_LINES_PER_TEMPLATE`` keeps its first occurrences); whole stack
traces (Python tracebacks, Java/JS ``at ...`` frames with ``Caused by:``, Go
panics; an identical repeat of a trace is dropped whole); the deeper-indented
lines right after an error (assertion messages, compiler notes); the closing
failure section of a build (from a few lines before its first failure line
near the end, e.g. ``BUILD FAILURE``, ``##[error]``, ``--- FAIL``, through the
summary); every line of a rare template (<= ``rare_template_max_count``
occurrences, unless its family is a listing of many names); the first
``max_lines_per_template`` lines of every family; and the lines the query
points at. Progress noise (downloads, progress bars, spinners) is dropped
unless another rule keeps it. Each dropped run is stashed (kind ``"lines"``)
behind a marker naming its ref.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..relevance import RelevanceScorer
from ._elide import Plan, finish, runs_from_mask, split_lines
from ._patterns import (
    GOROUTINE_RE,
    PY_TRACEBACK_RE,
    family_of,
    is_error_line,
    is_noise_line,
    line_core,
    strip_ansi,
    template_of,
)
from ._query_lines import query_line_hits
from ._ranked import RankedLineCompressor
from .base import CompressionContext, CompressorOutput

__all__ = ["LogCompressor", "LogLines", "analyse_log"]

NAME = "log"
_MIN_LINES = 12
_HEAD_LINES = 3
_TAIL_LINES = 5
_ERROR_LINES_PER_TEMPLATE = 5
_ERROR_CONTEXT_LINES = 5
_SECTION_MAX_LINES = 150
_SECTION_CONTEXT_LINES = 5
# A family with more distinct templates than this is a listing over names (test
# classes, hosts): its rare templates are not kept for rarity alone.
_FAMILY_MAX_VARIANTS = 12

_FRAME_RE = re.compile(
    r"\s*(?:\[\w+\]\s*)?(?:at [\w$.<>/\[\]-]+\(.*\)\s*$|at \S+:\d+:\d+\)?$|"
    r"\.\.\. \d+ (?:more|common frames omitted)|Caused by: |Suppressed: )"
)
# Error lines that report a failure (not just a warning) open the failure section.
_FAILURE_RE = re.compile(
    r"(?i)(?<![\w-])(?:errors?|fatal|fail(?:ed|ure|s)?|exception|panic|traceback)(?![\w-])|"
    r"(?<=[a-z])(?:Error|Exception)\b|##\[error\]|exit (?:code|status) [1-9]|make(?:\[\d+\])?: \*\*\*"
)


@dataclass(frozen=True)
class LogLines:
    """A log split into lines with the facts every rule reads.

    ``core`` is the line without CI timestamp prefix and colour codes (for
    matching only; output always uses ``raw``).
    """

    raw: list[str]
    core: list[str]
    template: list[str]
    family: list[str]
    error: list[bool]
    noise: list[bool]


def analyse_log(text: str) -> LogLines:
    """Split ``text`` into lines (``''.join(raw) == text``) and classify each."""
    raw = split_lines(text)
    core = [line_core(line) for line in raw]
    template = [template_of(c) for c in core]
    # A ``\r``-overwritten line is an error when any of its states was one.
    error = [is_error_line(strip_ansi(r) if "\r" in r.rstrip("\r\n") else c) for r, c in zip(raw, core, strict=True)]
    noise = [not e and is_noise_line(c) for c, e in zip(core, error, strict=True)]
    return LogLines(raw, core, template, [family_of(t) for t in template], error, noise)


def _compress_log(text: str, ctx: CompressionContext, scorer: RelevanceScorer | None) -> CompressorOutput:
    log = analyse_log(text)
    if len(log.raw) < _MIN_LINES:
        return CompressorOutput.unchanged(text, f"{NAME}: too few lines ({len(log.raw)})")
    keep, repeat = _select(log, ctx, scorer)
    runs = runs_from_mask(keep)

    def render(start: int, end: int, ref: str) -> str:
        dropped = range(start, end)
        if all(log.noise[i] or not log.core[i].strip() for i in dropped):
            unit = "progress lines"
        elif all(repeat[i] or not log.core[i].strip() for i in dropped):
            unit = "repeated lines"
        else:
            unit = "lines"
        return ctx.marker(end - start, unit, ref)

    return finish(NAME, text, Plan(log.raw, runs, render), ctx)


class LogCompressor(RankedLineCompressor):
    """Content compressor for logs and CI/build output (``name="log"``).

    ``scorer`` ranks lines for the query (default BM25).
    """

    name = NAME
    run = staticmethod(_compress_log)


def _select(log: LogLines, ctx: CompressionContext, scorer: RelevanceScorer | None) -> tuple[list[bool], list[bool]]:
    """Which lines stay, and which dropped lines repeat a template or trace shown earlier."""
    n = len(log.raw)
    cfg = ctx.config.content
    counts = Counter(log.template)
    keep = [False] * n
    repeat = [False] * n
    for i in range(min(_HEAD_LINES, n)):
        keep[i] = True
    for i in range(max(0, n - _TAIL_LINES), n):
        keep[i] = True

    in_repeated_trace = [False] * n
    seen_traces: set[tuple[str, ...]] = set()
    for start, end in _trace_blocks(log.core):
        shape = tuple(log.template[start:end])
        if shape in seen_traces:
            for i in range(start, end):
                in_repeated_trace[i] = repeat[i] = True
            continue
        seen_traces.add(shape)
        for i in range(start, end):
            keep[i] = True

    section = _failure_section(log)
    variants: dict[str, set[str]] = {}
    for tpl, fam in zip(log.template, log.family, strict=True):
        variants.setdefault(fam, set()).add(tpl)
    family_counts = Counter(log.family)
    kept_errors: Counter[str] = Counter()
    kept_per_family: Counter[str] = Counter()
    kept_in_section: Counter[str] = Counter()
    for i in range(n):
        if in_repeated_trace[i]:
            continue
        tpl, fam = log.template[i], log.family[i]
        if log.error[i]:
            if kept_errors[tpl] < _ERROR_LINES_PER_TEMPLATE:
                keep[i] = True
                kept_errors[tpl] += 1
                _keep_continuation(log, i, keep)
        elif log.noise[i]:
            pass
        elif (
            kept_per_family[fam] < cfg.max_lines_per_template
            or family_counts[fam] <= cfg.rare_template_max_count
            or (counts[tpl] <= cfg.rare_template_max_count and len(variants[fam]) <= _FAMILY_MAX_VARIANTS)
        ):
            keep[i] = True
        elif i >= section and kept_in_section[fam] < cfg.max_lines_per_template:
            keep[i] = True
            kept_in_section[fam] += 1
        if keep[i]:
            kept_per_family[fam] += 1
        else:
            repeat[i] = kept_per_family[fam] > 0

    candidates = [i for i in range(n) if not keep[i] and log.core[i].strip()]
    for i in query_line_hits(log.core, ctx, scorer, candidates):
        keep[i] = True
    return keep, repeat


def _keep_continuation(log: LogLines, i: int, keep: list[bool]) -> None:
    """Keep the lines right after error ``i`` that are indented deeper (its message, notes)."""
    base = _indent(log.core[i])
    for j in range(i + 1, min(len(log.core), i + 1 + _ERROR_CONTEXT_LINES)):
        line = log.core[j]
        if not line.strip() or _indent(line) <= base or log.noise[j]:
            return
        keep[j] = True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _failure_section(log: LogLines) -> int:
    """Index where the closing failure section starts (``len`` when the log ends without failure).

    The section opens a few lines before the first failure line among the
    last ``_SECTION_MAX_LINES`` lines, so the step that failed is shown too.
    """
    n = len(log.core)
    for i in range(max(0, n - _SECTION_MAX_LINES), n):
        if log.error[i] and _FAILURE_RE.search(log.core[i]):
            return max(0, i - _SECTION_CONTEXT_LINES)
    return n


def _trace_blocks(core: list[str]) -> list[tuple[int, int]]:
    """``[start, end)`` spans of stack traces: Python tracebacks, ``at ...`` frame runs, Go panics."""
    blocks: list[tuple[int, int]] = []
    n = len(core)
    i = 0
    while i < n:
        line = core[i]
        end = i
        if PY_TRACEBACK_RE.search(line):
            end = _python_traceback_end(core, i)
        elif GOROUTINE_RE.match(line):
            end = i + 1
            while end < n and core[end].strip():
                end += 1
        elif _FRAME_RE.match(line):
            start = i - 1 if i > 0 and core[i - 1].strip() and not _FRAME_RE.match(core[i - 1]) else i
            end = i
            while end < n and _FRAME_RE.match(core[end]):
                end += 1
            blocks.append((start, end))
            i = end
            continue
        if end > i:
            blocks.append((i, end))
            i = end
        else:
            i += 1
    return blocks


def _python_traceback_end(core: list[str], start: int) -> int:
    """End of the traceback opening at ``start``: indented frames, then the exception line."""
    n = len(core)
    base = _indent(core[start])
    j = start + 1
    while j < n and (_indent(core[j]) > base and core[j].strip()):
        j += 1
    if j < n and core[j].strip():  # the exception line
        j += 1
    return j
