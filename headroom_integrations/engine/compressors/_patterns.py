"""Line-level patterns shared by detection and the line compressors.

One place decides what counts as an error line, a progress line, a stack
frame, a diff hunk header, a grep file prefix, a markdown table rule, and
which parts of a line are variable (timestamps, ids, numbers), so detection
and the log, search, diff and table compressors agree. URLs and UUIDs are
identifiers first (:mod:`..relevance.identifiers` defines them). Every check
has a cheap substring pre-filter: these run on every line of large logs.
"""

from __future__ import annotations

import re

from ..relevance.identifiers import URL_RE, UUID_PATTERN

__all__ = [
    "GOROUTINE_RE",
    "GREP_FILE",
    "HUNK_RE",
    "LOG_MARKER_RE",
    "MD_TABLE_SEPARATOR_RE",
    "PY_TRACEBACK_RE",
    "TIME_OF_DAY_RE",
    "TRACE_LINE_RE",
    "family_of",
    "is_error_line",
    "is_noise_line",
    "line_core",
    "strip_ansi",
    "template_of",
]

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]")
# GitHub Actions timestamps, also behind ``gh run view --log``'s ``job<TAB>step<TAB>`` columns.
_CI_PREFIX_RE = re.compile(r"(?:[^\t\n]*\t[^\t\n]*\t)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")

TIME_OF_DAY_RE = re.compile(r"(?<![\d.])\d{1,2}:\d{2}:\d{2}(?!\d)")
LOG_MARKER_RE = re.compile(
    r"\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|SEVERE)\b|"
    r"^\s*(?:##\[\w+\]|\[(?:INFO|ERROR|WARNING|WARN|DEBUG)\]|> Task :|npm (?:ERR|WARN)!?|"
    r"Step \d+/\d+|\+ \S|={5,} .+ ={5,}$|_{5,} .+ _{5,}$|(?:FAILED|PASSED|ERROR) \S+::|"
    r"-{3} (?:FAIL|PASS):|ok {2,}\S|FAIL\t|E {3}|Running \S+|Downloading\b|Compiling\b)|"
    r"::\S+ (?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b|\.py [.FEsxX]+\s+\[\s*\d+%\]|"
    r"^\d{2}-\d{2} \d{2}:\d{2}|^\[\d+\.\d+ "
)
PY_TRACEBACK_RE = re.compile(r"Traceback \(most recent call last\):")
GOROUTINE_RE = re.compile(r"goroutine \d+ \[")
TRACE_LINE_RE = re.compile(
    rf"{PY_TRACEBACK_RE.pattern}|\s+File \".*\", line \d+|\s+at [\w$.<>/]+\(.*\)\s*$|"
    rf"\s+at \S+:\d+:\d+\)?$|Caused by: |{GOROUTINE_RE.pattern}|panic: |"
    r"\s*\.\.\. \d+ (?:more|common frames omitted)"
)
# Unified diff hunk header; the groups are the old and new line counts (absent means 1).
HUNK_RE = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
# The rule under a markdown table header: | --- | :---: |
MD_TABLE_SEPARATOR_RE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
# A file name in a grep/rg prefix (``src/app.py`` of ``src/app.py:text``): a name with an extension.
GREP_FILE = r"(?:\.{0,2}/)?(?:[\w.+@-]+/)*[\w.+@-]+\.\w{1,10}"

# Words (of the lower-cased line, ``_`` and ``-`` bind) and phrases that report a problem.
_ERROR_WORDS = frozenset(
    "error errors fatal exception exceptions fail failed failure failures fails panic panicked critical "
    "severe warn warning warnings traceback denied refused abort aborted crash crashed undeclared "
    "undefined unresolved invalid killed broken rejected unreachable cannot".split()
)
_ERROR_PHRASES = (
    "timed out",
    "unable to",
    "could not",
    "couldn't",
    "can't",
    "no such file",
    "no space left",
    "not found",
    "segmentation fault",
    "err!",
    "##[error]",
    "<<< failure",
    "<<< error",
)
# Every error word contains one of these: a cheap substring test before splitting words.
_ERROR_STEMS = tuple(
    "err fail fatal exception panic critical severe warn traceback denied refused abort crash undeclared "
    "undefined unresolved invalid killed broken rejected unreachable cannot".split()
)
_WORD_RE = re.compile(r"[a-z_-]+")
_EXIT_RE = re.compile(r"exit (?:code|status) [1-9]")
_CAMEL_ERROR_RE = re.compile(r"[a-z](?:Error|Exception)\b")
# "Failures: 0", "0 errors", "errors=0": mentions that report *no* problem.
_ZERO_COUNT_RE = re.compile(
    r"(?i)(?<![\w-])(?:(?:errors?|failures?|failed|warnings?|skipped)\s*[:=]?\s*0(?![\d.])|"
    r"0 (?:errors?|failures?|failed|warnings?))"
)

_NOISE_START_RE = re.compile(
    r"(?i)\s*(?:Progress \(\d+\)|Download(?:ing|ed)\b|go: (?:downloading|extracting|finding)|Fetching\b|"
    r"Get:\d+ |(?:Unpacking|Selecting previously unselected|Preparing to unpack|Setting up)\b|"
    r"(?:remote: )?(?:Receiving objects|Resolving deltas|Counting objects|Compressing objects|"
    r"Enumerating objects|Updating files):|Collecting \S|Using cached \S|Requirement already satisfied|"
    r"npm (?:http|timing|sill|verb)\b|Received \d+ of \d+ \(|[|/\\-]$|"
    r"(?:[0-9a-f]{12}: )?(?:Pulling fs layer|Waiting|Verifying Checksum|Download complete|"
    r"Pull complete|Extracting|Already exists)\b)"
)
_BAR_RE = re.compile(r"\[[=#>\-. ]{10,}\]")
_BLOCKS_RE = re.compile(r"[\u2580-\u259f\u2501\u25a0\u25a1]{5,}")
_RATE_RE = re.compile(r"\d\s*[kKMG]i?B/s\b")

_PATH_RE = re.compile(r"[\\/][\w.@+~-]+(?:[\\/][\w.@+~-]+)+[\\/]?")
_UUID_RE = re.compile(UUID_PATTERN)
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+|[0-9a-fA-F]{8,}")
# Qualified names: java.lang.String, org.yaml:snakeyaml:jar:1.9, proxy.example.com:8080.
_QUALIFIED_RE = re.compile(r"(?<![\w$-])[A-Za-z_$][\w$-]*(?:[.:$][\w$-]+){2,}")
# Compound ids once digits are masked: R0-M0-NE-C:J0-U0, appattempt_0_0_0.
_COMPOUND_ID_RE = re.compile(r"(?<![\w.:-])(?=[\w.:-]*0)\w+(?:[-:_.]\w+){2,}")
_DIGITS_RE = re.compile(r"\d+")
# A whole line that is one file or directory name (``find``/``ls`` output).
_LISTING_ENTRY_RE = re.compile(r"[\w./\\@+~-]{1,300}:?")


def strip_ansi(text: str) -> str:
    """``text`` without ANSI colour and cursor sequences."""
    return _ANSI_RE.sub("", text) if "\x1b" in text else text


def line_core(line: str) -> str:
    """What a terminal shows of a line, for matching only: no CI timestamp prefix, no
    colour codes, no line ending, and of ``\r``-overwritten progress only the last state."""
    line = line.rstrip("\r\n")
    if "\r" in line:
        line = next((seg for seg in reversed(line.split("\r")) if seg.strip()), "")
    if "Z" in line[:80]:
        m = _CI_PREFIX_RE.match(line)
        if m:
            line = line[m.end() :]
    return strip_ansi(line)


def _mask_hex(match: re.Match[str]) -> str:
    token = match.group()
    return token if token.isalpha() else "<H>"


def template_of(core: str) -> str:
    """The line's shape with variable parts (urls, paths, ids, hex, numbers, spacing) masked.

    Two lines share a template when they differ only in such values, e.g.
    ``Downloading https://x/a-1.2.jar`` and ``Downloading https://x/b-3.0.jar``.
    A line that is one word or path (a ``find``/``ls`` listing) is content, not a
    parameter of a message: it is its own template.
    """
    out = core.strip()
    if _LISTING_ENTRY_RE.fullmatch(out) and not out.isdigit():
        return out
    if "/" in out or "\\" in out:
        if "://" in out:
            out = URL_RE.sub("<URL>", out)
        out = _PATH_RE.sub("<P>", out)
    if out.count("-") >= 4:
        out = _UUID_RE.sub("<H>", out)
    out = _DIGITS_RE.sub("0", _HEX_RE.sub(_mask_hex, out))
    return " ".join(out.split())


def family_of(template: str) -> str:
    """A coarser shape: qualified names (classes, hosts, artifacts) and compound ids masked too.

    ``Running org.a.FooTest`` and ``Running org.a.BarTest`` share a family
    but not a template; so do lines naming nodes ``R02-M1-NE-C:J05`` and ``R17-M0-N4-C:J12``.
    """
    out = _QUALIFIED_RE.sub("<Q>", template) if "." in template or ":" in template else template
    return _COMPOUND_ID_RE.sub("<I>", out) if "0" in out else out


def _reports_problem(core: str) -> bool:
    low = core.lower()
    return (
        (any(stem in low for stem in _ERROR_STEMS) and not _ERROR_WORDS.isdisjoint(_WORD_RE.findall(low)))
        or any(phrase in low for phrase in _ERROR_PHRASES)
        or ("exit " in low and _EXIT_RE.search(low) is not None)
        or (("Error" in core or "Exception" in core) and _CAMEL_ERROR_RE.search(core) is not None)
    )


def is_error_line(core: str) -> bool:
    """True when the line reports an error, warning or failure (not a zero count of them)."""
    if not _reports_problem(core):
        return False
    if "0" in core and _ZERO_COUNT_RE.search(core):
        return _reports_problem(_ZERO_COUNT_RE.sub(" ", core))
    return True


def is_noise_line(core: str) -> bool:
    """True for progress output: download/fetch chatter, progress bars, spinners, rates."""
    if _NOISE_START_RE.match(core):
        return True
    return bool(
        ("[" in core and _BAR_RE.search(core))
        or ("B/s" in core and _RATE_RE.search(core))
        or (not core.isascii() and _BLOCKS_RE.search(core))
    )
