"""Split a mixed tool output into pieces that each have one shape.

Agent tool outputs are often wrappers around content (``<returncode>0</returncode>``,
``<output>``...``</output>``), a header line before a JSON body, or a log with
a pretty-printed JSON blob in the middle. The router compresses each piece
with the compressor for its shape; frame lines (the wrapper tags) are kept as
they are. Pieces concatenate back to the input exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ._elide import split_lines

__all__ = ["Segment", "split_segments"]

# Tag-only lines (``<output>``, ``</warning><output_head>``) and one-value tags
# (``<returncode>0</returncode>``).
_FRAME_RE = re.compile(r"\s*(?:(?:</?[A-Za-z_][\w.-]*>\s*)+|<([A-Za-z_][\w.-]*)>[^<>\n]{0,200}</\1>\s*)")
# A line that opens a JSON value: a lone bracket, or a bracket followed by what JSON puts there.
_JSON_OPEN_RE = re.compile(r'\s*(?:[\[{]\s*$|\{\s*"|\[\s*[\[{"])')
_MIN_JSON_CHARS = 400
_MAX_JSON_CHARS = 5_000_000


@dataclass(frozen=True)
class Segment:
    """A piece of the input: ``frame`` pieces are wrapper lines, ``json`` pieces parse as JSON."""

    text: str
    frame: bool = False
    json: bool = False


def split_segments(text: str) -> list[Segment]:
    """Frame lines, JSON blocks and the runs of other lines between them, in order."""
    lines = split_lines(text)
    segments: list[Segment] = []
    body: list[str] = []

    def flush() -> None:
        if body:
            segments.append(Segment("".join(body)))
            body.clear()

    offsets = _line_offsets(lines)
    closes: dict[int, int] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FRAME_RE.fullmatch(line.rstrip("\r\n")) and line.strip():
            flush()
            segments.append(Segment(line, frame=True))
            i += 1
            continue
        end = None
        if _JSON_OPEN_RE.match(line):
            if closes is None:  # one linear pass, only for texts that may hold JSON
                closes = _bracket_pairs(text)
            end = _json_block_end(text, offsets, lines, i, closes)
        if end is not None:
            flush()
            segments.append(Segment("".join(lines[i:end]), json=True))
            i = end
            continue
        body.append(line)
        i += 1
    flush()
    return _merge_frames(segments)


def _line_offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _json_block_end(text: str, offsets: list[int], lines: list[str], first: int, closes: dict[int, int]) -> int | None:
    """Index of the line after a JSON value opening on line ``first``, when one parses there."""
    start = offsets[first] + len(lines[first]) - len(lines[first].lstrip())
    stop = closes.get(start)
    if stop is None or not _MIN_JSON_CHARS <= stop - start <= _MAX_JSON_CHARS:
        return None
    # The value must end its line: only whitespace may follow on that line.
    last = _line_at(offsets, stop - 1)
    if text[stop : offsets[last + 1]].strip():
        return None
    try:
        json.loads(text[start:stop])
    except ValueError:
        return None
    return last + 1


def _line_at(offsets: list[int], pos: int) -> int:
    lo, hi = 0, len(offsets) - 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if offsets[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


# JSON strings (skipped whole, escapes included) and brackets.
_JSON_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')


def _bracket_pairs(text: str) -> dict[int, int]:
    """Position of every opening bracket -> position after its closing one (brackets in strings ignored)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _JSON_TOKENS.finditer(text):
        ch = m.group()
        if ch in "[{":
            stack.append(m.start())
        elif ch in "]}" and stack:
            pairs[stack.pop()] = m.end()
    return pairs


def _merge_frames(segments: list[Segment]) -> list[Segment]:
    """Adjacent frame lines become one frame segment (fewer, larger pieces)."""
    merged: list[Segment] = []
    for seg in segments:
        if merged and seg.frame and merged[-1].frame:
            merged[-1] = Segment(merged[-1].text + seg.text, frame=True)
        else:
            merged.append(seg)
    return merged
