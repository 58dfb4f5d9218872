"""Coding-agent outputs: test runs, Python tracebacks and recursive directory listings.

What an agent acts on next is a failure, its traceback and the files it
names; what it never needs twice is a test runner's banner, progress dots,
passing tests, the frames of the standard library and site-packages, the
source listing of a failing test beyond the lines around its ``>`` marker,
a line repeated back to back, the ``__pycache__`` corners of an ``ls -R``.
Those are cut (each run stashed behind a marker, as every line compressor
does); every other line stays verbatim, and so does the first line naming
each project file path, so a later ``sed -n``/edit can still name it. Very
long lines (captured SQL, reprs) keep their head and tail. The summary line,
``FAILED``/``ERROR`` lines, ``E`` lines and exceptions are never cut.
"""

from __future__ import annotations

import re

from ..ccr.markers import content_ref
from ..relevance import RelevanceScorer
from ._elide import runs_from_mask, split_lines
from ._ranked import RankedLineCompressor
from .base import CompressionContext, CompressorOutput

__all__ = ["CodingOutputCompressor", "looks_like_coding_output"]

NAME = "coding"
_MIN_LINES = 8

_PYTEST_BANNER = re.compile(r"^=+ test (?:session|process) starts =+\s*$")
# Detection reads this much of an output, with these multi-line forms of the patterns above.
_DETECT_CHARS = 64_000
_PYTEST_BANNER_M = re.compile(_PYTEST_BANNER.pattern, re.MULTILINE)
_PYTEST_COLLECTED = re.compile(r"^(?:collected \d+ items?|collecting \.\.\.|rootdir: )")
_UNITTEST_RAN = re.compile(r"^Ran \d+ tests? in ")
_TRACEBACK = re.compile(r"^\s*Traceback \(most recent call last\):")
_PY_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+')
_PYTEST_FRAME = re.compile(r"^(?P<path>\S+\.py):\d+: in \S+")
_LS_HEADER = re.compile(r"^(?:\.|\.?/[^\s:]*):\s*$")
_TRACEBACK_M = re.compile(_TRACEBACK.pattern, re.MULTILINE)
_PY_FRAME_M = re.compile(_PY_FRAME.pattern, re.MULTILINE)
_UNITTEST_RAN_M = re.compile(_UNITTEST_RAN.pattern, re.MULTILINE)
_LS_HEADER_M = re.compile(r"^(?:\.|\.?/[^\s:]*):[ \t]*$", re.MULTILINE)
_PROGRESS = re.compile(r"^(?:\S+\.py\s+)?[.sxXFE]{3,}\s*(?:\[\s*\d+%\])?\s*$")
_PASSED = re.compile(r"(?:\sPASSED(?:\s|$)|^PASSED\s|\s\.\.\. ok\s*$)")
_LIBRARY = re.compile(r"(?:/lib/python\d[\d.]*/|site-packages/|dist-packages/|^<frozen |/usr/lib/)")
_PATH = re.compile(r"(?<![\w./-])[\w.-]*(?:/[\w.-]+)+\.\w{1,5}\b")
_CACHE_DIR = re.compile(r"(?:__pycache__|\.egg-info|\.pytest_cache|\.mypy_cache|\.git)(?:/|:|$)")
_CACHE_ENTRY = re.compile(r"\.(?:pyc|pyo|so|o)\s*$")
_SECTION_SEP = re.compile(r"^(?:_ ){5,}_?\s*$|^_{3,} .+ _{3,}\s*$|^=+ \w[\w ]* =+\s*$")
_NEVER_CUT = re.compile(
    r"^(?:E\s|>\s|FAILED\b|FAIL:|ERROR\b|ERROR:|OK\b|Ran \d+ tests?)|"
    r"^\s*\w[\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b|^=+ .*\d+ (?:passed|failed|errors?)\b"
)
# A listing section longer than this keeps its head and the entries the query names.
_LISTING_HEAD = 8
# Lines longer than this keep their first and last characters.
_LONG_LINE = 600
_LONG_HEAD = 240
_LONG_TAIL = 160
# Consecutive lines that count as a repeat of an earlier run.
_REPEAT_WINDOW = 3
# Project frames kept at the end of each traceback (nearest the error).
_LAST_FRAMES = 3
# Source lines shown before a failing test's ``>`` line.
_SOURCE_CONTEXT = 3


def looks_like_coding_output(text: str) -> bool:
    """Whether ``text`` is (or holds) a test run, a Python traceback or an ``ls -R`` listing.

    Cheap substring checks come first: most tool outputs are none of these.
    """
    head = text[:_DETECT_CHARS]
    if ("test session starts" in head or "test process starts" in head) and _PYTEST_BANNER_M.search(head):
        return True
    if ("Traceback" in head or 'File "' in head) and (_TRACEBACK_M.search(head) or _PY_FRAME_M.search(head)):
        return True
    if "Ran " in head and _UNITTEST_RAN_M.search(head):
        return True
    return ":\n" in head and len(_LS_HEADER_M.findall(head)) >= 3


def _query_words(query: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z_][\w]{3,}", query)}


class _Selection:
    """The keep mask over ``lines`` and the rules that clear it."""

    def __init__(self, lines: list[str], query: str) -> None:
        self.lines = lines
        self.text = [line.rstrip("\r\n") for line in lines]
        self.keep = [True] * len(lines)
        self.words = _query_words(query)

    def drop(self, i: int) -> None:
        if not _NEVER_CUT.search(self.text[i]):
            self.keep[i] = False

    def pytest_banner(self) -> None:
        """Everything between the session banner and ``collected N items`` (environment dumps)."""
        for start, line in enumerate(self.text):
            if not _PYTEST_BANNER.match(line):
                continue
            for i in range(start + 1, min(len(self.text), start + 200)):
                line = self.text[i]
                if line.startswith("collected") or _SECTION_SEP.match(line) or re.match(r"\S+\.py\b", line):
                    break
                if not _PYTEST_COLLECTED.match(line):
                    self.drop(i)
            return

    def progress_and_passes(self) -> None:
        """Progress dots without a failure, ``PASSED``/``... ok`` lines."""
        for i, line in enumerate(self.text):
            stripped = line.strip()
            if _PROGRESS.match(stripped):
                dots = stripped.split()[-1] if "[" not in stripped else stripped.split("[")[0].split()[-1]
                if "F" not in dots and "E" not in dots:
                    self.drop(i)
            elif _PASSED.search(line) and "FAIL" not in line and "ERROR" not in line:
                self.drop(i)

    def repeats(self) -> None:
        """A non-blank line equal to the line before it (``Cloning test database ...`` times eight)."""
        for i in range(1, len(self.text)):
            if self.text[i].strip() and self.text[i] == self.text[i - 1]:
                self.drop(i)

    def repeated_runs(self) -> None:
        """Runs of ``_REPEAT_WINDOW`` or more lines shown identically earlier in the output
        (the same traceback under another failing test, a warning printed per import)."""
        seen: set[tuple[str, ...]] = set()
        for i in range(len(self.text) - _REPEAT_WINDOW + 1):
            window = tuple(self.text[i : i + _REPEAT_WINDOW])
            if not any(line.strip() for line in window):
                continue
            if window in seen:
                for j in range(i, i + _REPEAT_WINDOW):
                    self.drop(j)
            else:
                seen.add(window)

    def frames(self) -> None:
        """Traceback frames between a traceback's first frame and its last ``_LAST_FRAMES``.

        Library frames go wherever they stand (except the very last, where the error was
        raised); project frames in the middle go too, but the first line naming each project
        file stays (see :meth:`first_paths`), so every file of the trace is still named.
        """
        n = len(self.text)
        spans: list[tuple[int, int, bool]] = []  # (first line, end, library) per frame
        for i, line in enumerate(self.text):
            match = _PY_FRAME.match(line) or _PYTEST_FRAME.match(line)
            if match is None:
                continue
            end = i + 1
            while (
                end < n
                and self.text[end].strip()
                and _indent(self.text[end]) > _indent(line)
                and not _is_frame(self.text[end])
            ):
                end += 1
            spans.append((i, end, bool(_LIBRARY.search(match.group("path")))))
        chains: list[list[tuple[int, int, bool]]] = []
        for span in spans:
            if chains and _gap_is_frames(self.text, chains[-1][-1][1], span[0]):
                chains[-1].append(span)
            else:
                chains.append([span])
        for chain in chains:
            for rank, (start, end, library) in enumerate(chain):
                tail = rank >= len(chain) - _LAST_FRAMES
                if rank == len(chain) - 1 or (not library and (rank == 0 or tail)):
                    continue
                for j in range(start, end):
                    self.drop(j)

    def test_sources(self) -> None:
        """In a pytest failure block, the test's source beyond its first line and the lines before ``>``."""
        block: list[int] = []
        for i, line in enumerate(self.text):
            if _SECTION_SEP.match(line):
                block = []
                continue
            if line.startswith(">"):
                source = [j for j in block if self.text[j].startswith("    ")]
                for j in source[1:-_SOURCE_CONTEXT] if len(source) > _SOURCE_CONTEXT + 1 else []:
                    self.drop(j)
                block = []
                continue
            block.append(i)

    def warning_boilerplate(self) -> None:
        """The advice lines of an agent harness's ``<warning>`` (its first line says what happened)."""
        for start, line in enumerate(self.text):
            if line.strip() != "<warning>":
                continue
            for i in range(start + 2, min(len(self.text), start + 12)):
                if self.text[i].startswith("</warning>"):
                    break
                self.drop(i)

    def listings(self) -> None:
        """``ls -R``: cache directories and build artefacts go; long sections keep head and query hits."""
        n = len(self.text)
        i = 0
        while i < n:
            if not _LS_HEADER.match(self.text[i]):
                i += 1
                continue
            end = i + 1
            while end < n and self.text[end].strip() and not _LS_HEADER.match(self.text[end]):
                end += 1
            if end < n and not self.text[end].strip():
                end += 1
            if _CACHE_DIR.search(self.text[i]):
                for j in range(i, end):
                    self.drop(j)
            else:
                entries = [j for j in range(i + 1, end) if self.text[j].strip()]
                for rank, j in enumerate(entries):
                    name = self.text[j].strip()
                    stem = name.rsplit(".", 1)[0].lower()
                    if _CACHE_ENTRY.search(name) or _CACHE_DIR.search(name):
                        self.drop(j)
                    elif rank >= _LISTING_HEAD and stem not in self.words:
                        self.drop(j)
            i = end

    def first_paths(self) -> None:
        """The first line naming each project file path stays, whatever the rules above said."""
        seen: set[str] = set()
        for i, line in enumerate(self.text):
            for path in _PATH.findall(line) if "/" in line else ():
                if path in seen or _LIBRARY.search(path):
                    continue
                seen.add(path)
                self.keep[i] = True


def _is_frame(line: str) -> bool:
    return bool(_PY_FRAME.match(line) or _PYTEST_FRAME.match(line))


def _gap_is_frames(text: list[str], end: int, start: int) -> bool:
    """Whether only blank lines and pytest's ``_ _ _`` separators stand between two frames."""
    return all(not text[k].strip() or text[k].startswith("_ _ _") for k in range(end, start))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _segments(lines: list[str], keep: list[bool]) -> tuple[list[str], list[bool]]:
    """Kept lines longer than ``_LONG_LINE`` split into head, middle (dropped) and tail.

    A middle naming a file path stays whole.
    """
    segments: list[str] = []
    mask: list[bool] = []
    for line, kept in zip(lines, keep, strict=True):
        if not kept or len(line) <= _LONG_LINE:
            segments.append(line)
            mask.append(kept)
            continue
        head, middle, tail = line[:_LONG_HEAD], line[_LONG_HEAD:-_LONG_TAIL], line[-_LONG_TAIL:]
        if _PATH.search(middle):
            segments.append(line)
            mask.append(True)
            continue
        segments += [head, middle, tail]
        mask += [True, False, True]
    return segments, mask


def _compress_coding(text: str, ctx: CompressionContext, scorer: RelevanceScorer | None) -> CompressorOutput:
    lines = split_lines(text)
    if len(lines) < _MIN_LINES:
        return CompressorOutput.unchanged(text, f"{NAME}: too few lines ({len(lines)})")
    sel = _Selection(lines, ctx.query or "")
    sel.pytest_banner()
    sel.progress_and_passes()
    sel.repeats()
    sel.repeated_runs()
    sel.frames()
    sel.test_sources()
    sel.warning_boilerplate()
    sel.listings()
    sel.first_paths()
    segments, mask = _segments(lines, sel.keep)
    return _finish(text, segments, mask, ctx)


def _short_marker(segments: list[str], start: int, end: int) -> str:
    if end - start == 1 and not segments[start].endswith("\n"):  # the middle of a long line
        return f"[... {len(segments[start])} characters ...]"
    count = end - start
    return f"[... {count} line{'' if count == 1 else 's'} ...]"


def _worth_cutting(segments: list[str], start: int, end: int, ctx: CompressionContext) -> bool:
    """Whether the run costs more tokens than its marker (counted only when the size leaves doubt)."""
    body, marker = "".join(segments[start:end]), _short_marker(segments, start, end)
    if len(body.strip()) > 4 * len(marker):
        return True
    return ctx.count(body) > ctx.count(marker) + 1


def _finish(text: str, segments: list[str], mask: list[bool], ctx: CompressionContext) -> CompressorOutput:
    """Short markers where runs were cut, one closing marker with the ref of the whole output.

    Many small cuts each naming a ref would cost more than they save; the model gets the
    whole output back from the one ref.
    """
    runs = [(start, end) for start, end in runs_from_mask(mask) if _worth_cutting(segments, start, end, ctx)]
    if not runs:
        return CompressorOutput.unchanged(text, f"{NAME}: nothing worth omitting")
    parts: list[str] = []
    pos = 0
    for start, end in runs:
        parts.extend(segments[pos:start])
        body = "".join(segments[start:end])
        parts.append(_short_marker(segments, start, end) + body[len(body.rstrip()) :])
        pos = end
    parts.extend(segments[pos:])
    dropped = sum(end - start for start, end in runs)
    closing = ctx.marker(dropped, "parts", content_ref(text), "in all (the ref returns the whole output)")
    out = "".join(parts)
    out += ("" if out.endswith("\n") else "\n") + closing + ("\n" if text.endswith("\n") else "")
    before, after = ctx.count(text), ctx.count(out)
    needed = ctx.config.content.min_savings_ratio
    if after > before * (1.0 - needed):
        return CompressorOutput.unchanged(
            text, f"{NAME}: would save {before - after} of {before} tokens, below min_savings_ratio {needed}"
        )
    ref = ctx.stash(text, "lines")
    if ref != content_ref(text):
        out = out.replace(content_ref(text), ref)
    return CompressorOutput(out, True, f"{NAME}:{len(segments)}->{len(segments) - dropped}", (ref,))


class CodingOutputCompressor(RankedLineCompressor):
    """Content compressor for test runs, tracebacks and ``ls -R`` listings (``name="coding"``)."""

    name = NAME
    run = staticmethod(_compress_coding)
