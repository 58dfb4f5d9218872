"""Numbered listings (``cat -n``, ``nl``, ``grep -n``): strip numbers for analysis only.

Agents read files through ``cat -n``/``sed -n`` and ``grep -n``; the line
numbers are what their next command cites, so output lines stay exactly as
they came. Analysis (finding functions, indentation, braces) needs the code
without the number column; :func:`parse_listing` gives both views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._elide import split_lines

__all__ = ["Listing", "parse_listing"]

# cat -n / nl: "   12\tcode"; grep -n over cat -n: "12:   12\tcode"; bat-like "  12 | code";
# grep -n: "12:code", context lines "12-code".
_NUMBER_PREFIX = re.compile(r"(?:\d+[:-])?\s*(\d+)\t|\s*(\d+) \| |(\d+)[:-]")
_MIN_NUMBERED_SHARE = 0.6
_MIN_ASCENDING_SHARE = 0.8


@dataclass(frozen=True)
class Listing:
    """Original lines plus the code text of each (None for a line that is not code, e.g. ``--``)."""

    lines: list[str]
    code: list[str | None]
    numbered: bool


def _strip_newline(line: str) -> str:
    return line[:-1].rstrip("\r") if line.endswith("\n") else line


def parse_listing(text: str) -> Listing:
    """Split ``text`` into lines; when most lines carry ascending numbers, strip them for analysis."""
    lines = split_lines(text)
    bare = [_strip_newline(line) for line in lines]
    code: list[str | None] = []
    numbers: list[int] = []
    matched = nonblank = 0
    for line in bare:
        if not line.strip():
            code.append("")
            continue
        nonblank += 1
        m = _NUMBER_PREFIX.match(line)
        if m is None:
            code.append(None)
            continue
        matched += 1
        numbers.append(int(next(g for g in m.groups() if g is not None)))
        code.append(line[m.end() :])
    ascending = sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if b > a)
    is_numbered = (
        nonblank > 0
        and matched >= _MIN_NUMBERED_SHARE * nonblank
        and (len(numbers) < 2 or ascending >= _MIN_ASCENDING_SHARE * (len(numbers) - 1))
    )
    if not is_numbered:
        return Listing(lines=lines, code=list(bare), numbered=False)
    return Listing(lines=lines, code=code, numbered=True)
