"""Exact identifiers in a query: the strings a user expects to find verbatim.

Lexical and semantic scores blur exact strings ("ORD-10442" shares nothing
with "ORD-10443" semantically and little lexically), yet an item holding the
id the user asked about is the one that matters. These patterns pull those
strings out of a query so scorers can test items for them directly.

The value shapes that are not query-specific (URLs, UUIDs) are defined here
once and shared: the log templates mask the same URLs and UUIDs, and the
cache aligner treats UUIDs as dynamic values.
"""

from __future__ import annotations

import re

__all__ = ["URL_RE", "UUID_PATTERN", "extract_identifiers", "identifier_pattern"]

_MAX_QUERY_CHARS = 20_000
_MAX_QUOTED_CHARS = 200
# Token identifiers never contain whitespace; a run of non-space longer than this
# is data, not an identifier, and hiding it keeps every pattern below linear-time.
_MAX_TOKEN_CHARS = 200
_LONG_RUN = re.compile(rf"\S{{{_MAX_TOKEN_CHARS + 1},}}")
_ALNUM_EDGE = r"(?<![A-Za-z0-9_])"
_ALNUM_TAIL = r"(?![A-Za-z0-9_])"
_TRAILING_PUNCT = ".,;:!?)]}>'\""

# A URL of any scheme (https, s3, git+ssh, jdbc:mysql...), up to whitespace, quotes or angle brackets.
URL_RE = re.compile(r"\b[A-Za-z][\w+.-]*://[^\s<>\"'`]+")
# A UUID, without boundaries: callers decide what may touch it.
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# Token-level identifiers. None crosses whitespace, so with long runs masked
# (see _LONG_RUN) a hostile query cannot make them backtrack for long.
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Paths and dotted names are found as maximal runs of their characters, then
# checked in Python: a run is matched once, so nothing backtracks.
_PATH_RUN = re.compile(r"[\w.@+~:\\/-]+")
_DRIVE = re.compile(r"[A-Za-z]:\\")
_FILE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_DOTTED_RUN = re.compile(r"[\w.-]+")
_DOTTED = re.compile(r"[A-Za-z0-9_][\w-]*(?:\.[A-Za-z0-9_][\w-]*)+")
# Also covers hex shas (3f9a2c1) and UUIDs: alphanumeric runs joined by - or _.
_ID = re.compile(r"\b[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*\b")
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w]|\.\d)")
_CODE_NAME = re.compile(r"\b(?:_*[A-Za-z][A-Za-z0-9]*_\w*|[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*)\b")

# Phrases: quoted strings and Title Case names. They may contain token-level
# identifiers, which are kept as well.
_Q = _MAX_QUOTED_CHARS
_QUOTED = re.compile(
    rf"(?:(?<![\w\"])\"([^\"\n]{{2,{_Q}}})\"(?![\w\"])"
    rf"|(?<![\w'])'([^'\n]{{2,{_Q}}})'(?![\w'])"
    rf"|`([^`\n]{{2,{_Q}}})`"
    rf"|\u201c([^\u201d\n]{{2,{_Q}}})\u201d"
    rf"|\u2018([^\u2019\n]{{2,{_Q}}})\u2019)"
)
_TITLE_WORD = r"[A-Z][A-Za-z'\u2019-]*(?![\w])"
_CONNECTOR = r"(?:of|the|de|da|del|der|di|du|la|le|van|von|&)"
_TITLE = re.compile(rf"\b{_TITLE_WORD}(?:\s+(?:{_CONNECTOR}\s+)*{_TITLE_WORD})+")
# Capitalised only because they open a sentence or question; never part of a name.
_LEADING_FUNCTION_WORDS = frozenset(
    "a an and are as at but by can could did do does for from had has have how i if in is it its "
    "may my no not of on or our please should so tell that the their then there these they this "
    "those to was we were what when where which while who whom whose why will with would you your".split()
)
_ORDINAL_OR_TIME = re.compile(r"\d+(?:st|nd|rd|th|am|pm|s)", re.IGNORECASE)
# A bare year dates a question ("trips in 2023") rather than naming a record.
_YEAR = re.compile(r"(?:19|20)\d\d")
_SHORT_SHA = re.compile(r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,39}", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]?")


def _strip_trailing(text: str) -> str:
    return text.rstrip(_TRAILING_PUNCT)


def _is_id(token: str) -> bool:
    """An id mixes digits with letters (ABC-123, HAT170, 3f9a2c1) or joins digit groups (2024-05-07)."""
    digits = _digit_count(token)
    if len(token) < 4 or not digits or _ORDINAL_OR_TIME.fullmatch(token):
        return False
    if any(c.isalpha() for c in token):
        return True
    return ("-" in token or "_" in token) and digits >= 3


def _digit_count(token: str) -> int:
    return sum(c.isdigit() for c in token)


def _path_candidates(m: re.Match[str]) -> list[tuple[int, str]]:
    """File paths in one run of path characters (``src/a.py:12`` gives ``src/a.py``)."""
    run = m.group(0)
    if "/" not in run and "\\" not in run or "://" in run:
        return []
    if _DRIVE.match(run):
        pieces = [(0, run)]
    else:
        pieces, offset = [], 0
        for piece in run.split(":"):
            pieces.append((offset, piece))
            offset += len(piece) + 1
    found = []
    for offset, piece in pieces:
        value = _strip_trailing(piece)
        body = value.lstrip("~./")
        if not body or ("/" not in value and "\\" not in value):
            continue
        # "and/or" is prose; a path is rooted, deep, or names a file.
        rooted = value[:1] in "/~." or _DRIVE.match(value) is not None
        deep = body.count("/") + body.count("\\") >= 2
        if rooted or deep or _FILE_SUFFIX.search(value) is not None:
            found.append((m.start() + offset, value))
    return found


def _is_dotted_name(value: str) -> bool:
    """Hostnames, module paths, versions and IPs; not abbreviations (e.g.) or decimals (3.14)."""
    if "." not in value or _DOTTED.fullmatch(value) is None or _ABBREVIATION.fullmatch(value):
        return False
    parts = value.split(".")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return False  # a decimal: left to the number rule
    return len(parts) > 2 or max(len(p) for p in parts) >= 2


def _token_spans(text: str) -> list[tuple[int, int]]:
    """Spans of token-level identifiers, before overlap resolution."""
    spans: list[tuple[int, int]] = []

    def add(m: re.Match[str], value: str | None = None) -> None:
        value = m.group(0) if value is None else value
        if value:
            spans.append((m.start(), m.start() + len(value)))

    for m in URL_RE.finditer(text):
        add(m, _strip_trailing(m.group(0)))
    for m in _EMAIL.finditer(text):
        add(m)
    for m in _PATH_RUN.finditer(text):
        for start, value in _path_candidates(m):
            spans.append((start, start + len(value)))
    for m in _DOTTED_RUN.finditer(text):
        value = m.group(0).strip(".-")
        if _is_dotted_name(value):
            start = m.start() + m.group(0).index(value)
            spans.append((start, start + len(value)))
    for m in _ID.finditer(text):
        if _is_id(m.group(0)):
            add(m)
    for m in _NUMBER.finditer(text):
        if _digit_count(m.group(0)) >= 3 and not _YEAR.fullmatch(m.group(0)):
            add(m)
    for m in _CODE_NAME.finditer(text):
        add(m)
    return spans


def _phrase_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quoted strings (without quotes) and Title Case multi-word names."""
    spans: list[tuple[int, int]] = []
    for m in _QUOTED.finditer(text):
        group = next(g for g in range(1, 6) if m.group(g) is not None)
        inner = m.group(group)
        stripped = inner.strip()
        if len(stripped) >= 2:
            start = m.start(group) + inner.index(stripped)
            spans.append((start, start + len(stripped)))
    for m in _TITLE.finditer(text):
        words = list(re.finditer(r"\S+", m.group(0)))
        while words and words[0].group(0).lower() in _LEADING_FUNCTION_WORDS:
            words.pop(0)
        capitalised = [w for w in words if w.group(0)[:1].isupper()]
        if len(capitalised) >= 2:
            spans.append((m.start() + words[0].start(), m.start() + words[-1].end()))
    return spans


def _drop_contained(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop spans lying inside another (a URL's host, a path's file name); keep partial overlaps."""
    kept: list[tuple[int, int]] = []
    reach = -1
    for start, end in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if end <= reach:
            continue
        kept.append((start, end))
        reach = end
    return kept


def extract_identifiers(text: str) -> list[str]:
    """Exact identifiers in ``text``, in order of appearance, without duplicates.

    Finds ids (``ABC-123``, UUIDs, hex shas, alphanumerics with digits),
    numbers of 3+ digits (not a bare year such as 2023: that dates a
    question), e-mails, URLs, hostnames and dotted names, file paths, code
    names (``snake_case``, ``camelCase``), quoted strings and Title Case
    multi-word names. A token identifier inside a longer one (the host of a
    URL) is not repeated; identifiers inside quotes or names are.
    """
    if not isinstance(text, str) or not text:
        return []
    text = text[:_MAX_QUERY_CHARS]
    masked = _LONG_RUN.sub(lambda m: " " * len(m.group(0)), text)
    spans = _drop_contained(_token_spans(masked)) + _phrase_spans(text)
    spans.sort(key=lambda s: (s[0], -s[1]))
    seen: set[str] = set()
    result: list[str] = []
    for start, end in spans:
        value = text[start:end]
        if value not in seen:
            seen.add(value)
            result.append(value)
    return result


def identifier_pattern(identifier: str) -> re.Pattern[str]:
    """Case-insensitive pattern finding ``identifier`` as a whole token, not inside a longer one.

    An abbreviated commit sha (``69cc298``) also matches the full sha it starts.
    """
    head = _ALNUM_EDGE if identifier[:1].isalnum() or identifier[:1] == "_" else ""
    tail = _ALNUM_TAIL if identifier[-1:].isalnum() or identifier[-1:] == "_" else ""
    sha_rest = "[0-9a-f]*" if _SHORT_SHA.fullmatch(identifier) else ""
    return re.compile(head + re.escape(identifier) + sha_rest + tail, re.IGNORECASE)
