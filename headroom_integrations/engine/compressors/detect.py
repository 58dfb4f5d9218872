"""Content-type detection for tool outputs.

The router needs to know *what* a tool returned (JSON, a log, grep hits, code,
a diff, HTML, a table, prose) before it can pick a compressor. Detection looks
at a bounded sample (head, middle and tail, whole lines) so it costs the same
on 1 KB and on 100 MB, and it is deterministic: scores are plain line counts.
The tool name (``hint``) only tips cases the text itself leaves ambiguous.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from ._patterns import (
    GREP_FILE,
    HUNK_RE,
    LOG_MARKER_RE,
    MD_TABLE_SEPARATOR_RE,
    TIME_OF_DAY_RE,
    TRACE_LINE_RE,
    is_error_line,
    strip_ansi,
)

__all__ = ["ContentDetection", "ContentType", "detect_content_type", "sample_lines"]

# Sample budget: three windows of this many characters (whole lines only).
_WINDOW_CHARS = 8_000
_WINDOW_LINES = 100
# Below this share of lines no shape dominates; a hint may decide below _HINT_BELOW.
_MIN_SHARE = 0.3
_HINT_BELOW = 0.75


class ContentType(str, enum.Enum):
    """What a tool output is, as far as compression is concerned.

    ``LOG`` covers every line-oriented record stream: application and system
    logs, CI/build output, test-runner output and plain listings.
    """

    JSON = "json"
    LOG = "log"
    SEARCH = "search"
    CODE = "code"
    DIFF = "diff"
    HTML = "html"
    TABULAR = "tabular"
    PROSE = "prose"
    BINARY = "binary"
    EMPTY = "empty"


@dataclass(frozen=True)
class ContentDetection:
    """The detected type, how sure detection is (0-1), the code language and
    whether the text is a numbered listing (``cat -n``, ``nl``)."""

    type: ContentType
    confidence: float
    language: str | None = None
    numbered: bool = False


def sample_lines(text: str) -> list[str]:
    """Whole lines from the head, middle and tail of ``text`` (all of it when small)."""
    if len(text) <= 3 * _WINDOW_CHARS:
        lines = text.splitlines()
        if len(lines) <= 3 * _WINDOW_LINES:
            return lines
        mid = len(lines) // 2 - _WINDOW_LINES // 2
        return lines[:_WINDOW_LINES] + lines[mid : mid + _WINDOW_LINES] + lines[-_WINDOW_LINES:]
    out: list[str] = []
    mid = len(text) // 2 - _WINDOW_CHARS // 2
    for start in (0, mid, len(text) - _WINDOW_CHARS):
        window = text[start : start + _WINDOW_CHARS].splitlines()
        whole = window[1 if start > 0 else 0 : -1 if start + _WINDOW_CHARS < len(text) else None]
        window = whole or window  # drop lines the window cut, unless that leaves nothing
        out.extend(window[-_WINDOW_LINES:] if start + _WINDOW_CHARS >= len(text) else window[:_WINDOW_LINES])
    return out


# --- shape patterns -------------------------------------------------------

_JSON_HEAD_RE = re.compile(r'\s*(?:\{\s*(?:"|\})|\[\s*(?:[\[{"\]]|-?\d|true\b|false\b|null\b))')
_JSON_TAIL_RE = re.compile(r'(?:["}\]\d]|true|false|null)\s*[\]}]\s*$')
_DIFF_HEADER_RE = re.compile(r"^(?:diff --git |--- (?:a/|/dev/null|\S)|\+\+\+ (?:b/|/dev/null|\S)|index [0-9a-f]{7,})")
_HTML_DOC_RE = re.compile(r"<!doctype html|<html[\s>]", re.IGNORECASE)
_HTML_TAG_RE = re.compile(
    r"</?(?:div|span|p|a|ul|ol|li|table|tr|td|th|thead|tbody|head|body|script|style|meta|link|img|br|"
    r"h[1-6]|form|input|button|nav|section|article|footer|header|main|label|select|option|iframe)\b",
    re.IGNORECASE,
)
# grep/rg: ``path:12:text`` / ``path-12-text`` (context) and ``path:text``.
_GREP_NUMBERED_RE = re.compile(r"^(?=(?:[A-Za-z]:)?[^\s:]*[./\\])(?:[A-Za-z]:)?[^\s:]+([:-])\d+\1(?!\d)")
_GREP_PLAIN_RE = re.compile(rf"{GREP_FILE}:(?!\d+:)(?!//)")
_NUMBERED_RE = re.compile(r"^\s*\d+(?:\t|:| \| )")
_CONTROL_RE = re.compile("[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f\ufffd]")
_WORD_RE = re.compile(r"[(\"']?[A-Za-z][a-z]*(?:'[a-z]+)?[.,;:!?)\"']{0,2}")
_CODE_LINE_RE = re.compile(
    r"(?:[{};]\s*$|\)\s*:\s*$|^\s*(?:def|class|import|from|return|if|elif|else|for|while|try|except|"
    r"catch|finally|func|fn|let|const|var|val|public|private|protected|static|package|using|namespace|"
    r"struct|impl|enum|interface|type|switch|case|#include|#define|@\w+)\b|^\s*(?://|/\*|\*|#)|"
    r"^\s*[\w.\[\]]+\s*[+\-*/]?=\s*\S|=>|->)"
)
_LANGUAGE_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("python", re.compile(r"^\s*(?:def \w+\(|class \w+[:(]|import \w|from [\w.]+ import |elif |self\.)")),
    ("go", re.compile(r"^\s*(?:func |package \w+$|import \(|type \w+ struct)|:= ")),
    ("rust", re.compile(r"^\s*(?:fn \w+|let mut |impl |use \w+::|pub fn )")),
    (
        "java",
        re.compile(r"^\s*(?:public |private |protected )(?:static )?(?:final )?[\w<>\[\]]+ \w+|^package [\w.]+;"),
    ),
    ("javascript", re.compile(r"^\s*(?:function \w*\(|const \w+ = |let \w+ = |export |module\.exports)|=> ")),
    ("c", re.compile(r"^\s*#include [<\"]|^\s*(?:int|void|char|static) \w+\(")),
    ("shell", re.compile(r"^#!/.*sh|^\s*(?:fi|esac|then|done)$|^\s*echo ")),
)


class _Line(enum.IntEnum):
    """The one class each sampled line gets (first matching rule wins)."""

    TRACE = 0
    DIFF = 1
    GREP = 2
    NUMBERED = 3
    LOG = 4
    HTML = 5
    CODE = 6
    PROSE = 7
    OTHER = 8


@dataclass
class _Counts:
    """Per-sample line counts the decision reads."""

    lines: int = 0
    by_class: list[int] = field(default_factory=lambda: [0] * len(_Line))
    grep_errors: int = 0
    hunks: int = 0
    diff_body: int = 0
    md_table: int = 0
    md_sep: int = 0

    def share(self, cls: _Line) -> float:
        return self.by_class[cls] / self.lines if self.lines else 0.0


def _classify(line: str, after_frame: bool) -> _Line:
    if TRACE_LINE_RE.match(line) or (after_frame and line[:1] in " \t"):
        return _Line.TRACE
    if _DIFF_HEADER_RE.match(line) or HUNK_RE.match(line):
        return _Line.DIFF
    if line == "--" or _GREP_NUMBERED_RE.match(line) or _GREP_PLAIN_RE.match(line):
        return _Line.GREP
    if _NUMBERED_RE.match(line):
        return _Line.NUMBERED
    if TIME_OF_DAY_RE.search(line[:80]) or LOG_MARKER_RE.search(line):
        return _Line.LOG
    if "<" in line and _HTML_TAG_RE.search(line):
        return _Line.HTML
    if _CODE_LINE_RE.search(line):
        return _Line.CODE
    tokens = line.split()
    if len(tokens) >= 6 and sum(1 for t in tokens if _WORD_RE.fullmatch(t)) >= len(tokens) * 0.7:
        return _Line.PROSE
    return _Line.OTHER


def _count(lines: list[str]) -> _Counts:
    c = _Counts()
    after_frame = False
    for raw in lines:
        line = strip_ansi(raw) if "\x1b" in raw else raw
        if not line.strip():
            continue
        c.lines += 1
        cls = _classify(line, after_frame)
        c.by_class[cls] += 1
        after_frame = cls is _Line.TRACE and line.lstrip().startswith("File ")
        if cls is _Line.GREP and is_error_line(line):
            c.grep_errors += 1
        if HUNK_RE.match(line):
            c.hunks += 1
        if line[0] in "+- @\\":
            c.diff_body += 1
        if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            c.md_table += 1
            if MD_TABLE_SEPARATOR_RE.match(line):
                c.md_sep += 1
    return c


def _delimited_share(lines: list[str]) -> float:
    """Share of lines with the same (>= 2) count of one delimiter, for the best delimiter."""
    rows = [ln for ln in lines if ln.strip()]
    if len(rows) < 3:
        return 0.0
    best = 0.0
    for delim in ("\t", ",", "|", ";"):
        counts: dict[int, int] = {}
        for row in rows:
            n = row.count(delim)
            counts[n] = counts.get(n, 0) + 1
        n_mode, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if n_mode >= 2:
            best = max(best, freq / len(rows))
    return best


def _language(lines: list[str]) -> str | None:
    votes = {name: 0 for name, _ in _LANGUAGE_HINTS}
    for line in lines:
        for name, pattern in _LANGUAGE_HINTS:
            if pattern.search(line):
                votes[name] += 1
    name, n = max(votes.items(), key=lambda kv: kv[1])
    return name if n >= 2 else None


def _strip_numbers(lines: list[str]) -> list[str]:
    return [_NUMBERED_RE.sub("", ln, count=1) for ln in lines]


def _looks_binary(text: str) -> bool:
    sample = text[:4096] + text[len(text) // 2 : len(text) // 2 + 4096] + text[-4096:]
    if "\x00" in sample:
        return True
    return len(_CONTROL_RE.findall(sample)) > len(sample) * 0.1


def _hint_type(hint: str | None) -> ContentType | None:
    """The type a tool name suggests, if any (it tips ambiguous cases only)."""
    if not hint:
        return None
    h = hint.lower()
    if "log" in h:
        return ContentType.LOG
    if "grep" in h or h in ("rg", "ripgrep", "ag", "ack", "code_search", "search_code"):
        return ContentType.SEARCH
    if "diff" in h or h in ("git_show", "patch"):
        return ContentType.DIFF
    if h.endswith("_api") or "json" in h:
        return ContentType.JSON
    if "html" in h or "browse" in h or "scrape" in h or h in ("fetch", "web_fetch", "http_get"):
        return ContentType.HTML
    if "csv" in h or "sql" in h:
        return ContentType.TABULAR
    if h in ("read_file", "cat", "view_file", "open_file"):
        return ContentType.CODE
    return None


def _scores(text: str, lines: list[str]) -> tuple[dict[ContentType, float], _Counts]:
    """Score each candidate type in [0, 1] from the sample's line classes."""
    c = _count(lines)
    stripped = text.strip()
    scores: dict[ContentType, float] = {}
    if c.hunks and (c.by_class[_Line.DIFF] > c.hunks or c.diff_body / c.lines >= 0.8):
        scores[ContentType.DIFF] = min(1.0, 0.5 + 0.5 * (c.diff_body + c.by_class[_Line.DIFF]) / c.lines)
    if _HTML_DOC_RE.search(stripped[:2048]):
        scores[ContentType.HTML] = 0.95
    else:
        scores[ContentType.HTML] = c.share(_Line.HTML)
    grep = c.share(_Line.GREP)
    # Compiler and linter diagnostics share the ``path:line:`` shape; those are logs.
    diagnostics = c.grep_errors > c.by_class[_Line.GREP] * 0.5
    scores[ContentType.SEARCH] = 0.0 if diagnostics else grep
    scores[ContentType.LOG] = c.share(_Line.LOG) + c.share(_Line.TRACE) + (grep if diagnostics else 0.0)
    scores[ContentType.CODE] = c.share(_Line.NUMBERED) + c.share(_Line.CODE)
    scores[ContentType.PROSE] = c.share(_Line.PROSE)
    table = max(_delimited_share(lines), c.md_table / c.lines if c.md_sep else 0.0)
    if table >= 0.8 and scores[ContentType.LOG] < 0.8:  # timestamped delimited records are logs
        scores[ContentType.TABULAR] = table
    return scores, c


def detect_content_type(text: str, hint: str | None = None) -> ContentDetection:
    """Detect what ``text`` is; ``hint`` (the tool name) tips ambiguous cases."""
    if not isinstance(text, str) or not text.strip():
        return ContentDetection(ContentType.EMPTY, 1.0)
    if _looks_binary(text):
        return ContentDetection(ContentType.BINARY, 0.9)
    head = text[:256].lstrip()
    if _JSON_HEAD_RE.match(head[:64]) and _JSON_TAIL_RE.search(text[-256:].rstrip()[-64:]):
        return ContentDetection(ContentType.JSON, 0.95)
    lines = sample_lines(text)
    scores, counts = _scores(text, lines)
    best, conf = max(scores.items(), key=lambda kv: (kv[1], -_PRIORITY.index(kv[0])))
    if conf < _MIN_SHARE:  # no dominant shape: plain line records (listings, key: value output)
        best, conf = ContentType.LOG, _MIN_SHARE
    hinted = _hint_type(hint)
    if (
        hinted is not None
        and hinted is not best
        and conf < _HINT_BELOW
        and (hinted is ContentType.LOG or scores.get(hinted, 0.0) >= conf * 0.5)
    ):
        best, conf = hinted, max(scores.get(hinted, 0.0), _MIN_SHARE)
    numbered = best is ContentType.CODE and counts.share(_Line.NUMBERED) >= 0.6
    language = None
    if best is ContentType.CODE:
        language = _language(_strip_numbers(lines) if numbered else lines)
    return ContentDetection(best, round(min(conf, 1.0), 3), language, numbered)


# Tie-break order: the more specific shape wins.
_PRIORITY = (
    ContentType.JSON,
    ContentType.DIFF,
    ContentType.HTML,
    ContentType.SEARCH,
    ContentType.CODE,
    ContentType.LOG,
    ContentType.TABULAR,
    ContentType.PROSE,
)
