"""Tables (CSV, TSV, markdown, whitespace-aligned): keep the rows that say something.

Kept verbatim: the header, the first and last rows (so the reader sees the
shape and the range), every row holding an exact identifier from the query,
then, up to ``content.table_max_rows`` rows: error-ish rows, the rows ranking
best for the query, rows with outlying numbers (robust z-score per numeric
column) and rows with rare values of a categorical column. Runs of other rows
become one marker each. CSV records that span lines (quoted newlines) are
kept or dropped whole.
"""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..relevance import RelevanceScorer
from ._elide import Plan, finish, runs_from_mask, split_lines
from ._patterns import MD_TABLE_SEPARATOR_RE, is_error_line
from ._query_lines import query_line_hits
from ._ranked import RankedLineCompressor
from .base import CompressionContext, CompressorOutput

__all__ = ["TabularCompressor"]

NAME = "tabular"
_HEAD_ROWS = 3
_TAIL_ROWS = 2
_MIN_ROWS = 8
_SNIFF_CHARS = 8192
_CONSISTENT_SHARE = 0.8
_NUMERIC_SHARE = 0.8
_OUTLIER_Z = 3.5
_MAD_SCALE = 1.4826
_CATEGORY_MIN_TOP = 5
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class _Row:
    """Lines ``[start, end)`` of one record and its cells."""

    start: int
    end: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class _Table:
    """The rows of a table; lines before ``rows[0]`` (header, preamble) and after the last row stay."""

    rows: list[_Row]


def _compress(text: str, ctx: CompressionContext, scorer: RelevanceScorer | None) -> CompressorOutput:
    lines = split_lines(text)
    table = _markdown(lines) or _delimited(text, lines) or _aligned(lines)
    if table is None or len(table.rows) < _MIN_ROWS:
        return CompressorOutput.unchanged(text, f"{NAME}: no table of {_MIN_ROWS}+ rows found")
    kept = _select(table.rows, ctx, scorer)
    keep_line = [True] * len(lines)
    for i, row in enumerate(table.rows):
        if i not in kept:
            for j in range(row.start, row.end):
                keep_line[j] = False
    starts = {row.start for row in table.rows}

    def rows_in(start: int, end: int) -> int:
        return sum(1 for j in range(start, end) if j in starts)

    plan = Plan(lines, runs_from_mask(keep_line), lambda s, e, ref: ctx.marker(rows_in(s, e), "rows", ref))
    return finish(NAME, text, plan, ctx)


# --- parsing ------------------------------------------------------------------------------------


class TabularCompressor(RankedLineCompressor):
    """Content compressor for tabular text (``name="tabular"``); ``scorer`` defaults to BM25."""

    name = NAME
    run = staticmethod(_compress)


def _strip_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _markdown(lines: Sequence[str]) -> _Table | None:
    """A markdown table: ``|`` rows around a ``|---|`` separator; the header is everything above it."""
    sep = next((i for i, ln in enumerate(lines) if MD_TABLE_SEPARATOR_RE.match(_strip_newline(ln))), None)
    if sep is None:
        return None
    rows = []
    for j in range(sep + 1, len(lines)):
        line = _strip_newline(lines[j]).strip()
        if not line.startswith("|") and "|" not in line:
            break
        rows.append(_Row(j, j + 1, tuple(c.strip() for c in line.strip("|").split("|"))))
    return _Table(rows) if rows else None


def _delimited(text: str, lines: Sequence[str]) -> _Table | None:
    """CSV/TSV (delimiter sniffed among ``,``, tab, ``;``, ``|``); the first record is the header."""
    try:
        dialect = csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=",\t;|")
    except csv.Error:
        return None
    reader = csv.reader(iter(lines), dialect)
    rows: list[_Row] = []
    start = 0
    try:
        for record in reader:
            rows.append(_Row(start, reader.line_num, tuple(record)))
            start = reader.line_num
    except csv.Error:
        return None
    widths = Counter(len(r.cells) for r in rows if r.cells)
    if not widths:
        return None
    width, count = widths.most_common(1)[0]
    if width < 2 or count < _CONSISTENT_SHARE * len(rows):
        return None
    return _Table(rows[1:])


def _aligned(lines: Sequence[str]) -> _Table | None:
    """Whitespace-aligned output (``ps``, ``kubectl get``): a header line, then one row per line."""
    header_at = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if header_at is None:
        return None
    width = len(lines[header_at].split())
    if width < 2:
        return None
    rows = [
        _Row(j, j + 1, tuple(_strip_newline(lines[j]).split(None, width - 1)))
        for j in range(header_at + 1, len(lines))
        if lines[j].strip()
    ]
    fitting = sum(1 for r in rows if len(r.cells) == width)
    return _Table(rows) if rows and fitting >= _CONSISTENT_SHARE * len(rows) else None


# --- selection -----------------------------------------------------------------------------------


def _select(rows: Sequence[_Row], ctx: CompressionContext, scorer: RelevanceScorer | None) -> set[int]:
    """Indices of rows to keep, by priority, within ``content.table_max_rows`` (query ids always kept)."""
    n = len(rows)
    texts = [" ".join(r.cells) for r in rows]
    kept = set(range(min(_HEAD_ROWS, n))) | set(range(max(0, n - _TAIL_ROWS), n))
    hits = query_line_hits(texts, ctx, scorer)
    budget = ctx.config.content.table_max_rows
    ordered = [
        sorted(hits),
        [i for i, t in enumerate(texts) if is_error_line(t)],
        _outliers(rows),
        _rare(rows, ctx.config.content.rare_template_max_count),
    ]
    kept |= hits
    for group in ordered[1:]:
        for i in group:
            if len(kept) >= budget:
                return kept
            kept.add(i)
    return kept


def _number(cell: str) -> float | None:
    m = _NUMBER.fullmatch(cell.strip().replace(",", "").rstrip("%").lstrip("$"))
    return float(m.group(0)) if m else None


def _columns(rows: Sequence[_Row]) -> list[list[tuple[int, str]]]:
    width = max(len(r.cells) for r in rows)
    return [[(i, r.cells[c]) for i, r in enumerate(rows) if c < len(r.cells)] for c in range(width)]


def _outliers(rows: Sequence[_Row]) -> list[int]:
    """Rows whose value in a numeric column lies far from the column's median (robust z-score)."""
    found: set[int] = set()
    for column in _columns(rows):
        values = [(i, _number(cell)) for i, cell in column if cell.strip()]
        numbers = [(i, v) for i, v in values if v is not None]
        if len(numbers) < _MIN_ROWS or len(numbers) < _NUMERIC_SHARE * len(values):
            continue
        median = statistics.median(v for _, v in numbers)
        mad = statistics.median(abs(v - median) for _, v in numbers)
        if mad == 0:
            continue
        found.update(i for i, v in numbers if abs(v - median) / (_MAD_SCALE * mad) > _OUTLIER_Z)
    return sorted(found)


def _rare(rows: Sequence[_Row], max_count: int) -> list[int]:
    """Rows holding a value seen at most ``max_count`` times in a categorical column."""
    found: set[int] = set()
    for column in _columns(rows):
        counts = Counter(cell.strip() for _, cell in column)
        if not counts or counts.most_common(1)[0][1] < _CATEGORY_MIN_TOP or len(counts) > max(10, len(column) // 3):
            continue
        found.update(i for i, cell in column if counts[cell.strip()] <= max_count)
    return sorted(found)
