"""Values that change from call to call: dates, times, timestamps, UUIDs, request ids.

A system prompt that embeds "Today is 2025-06-01" or a request id differs on
every call, so a provider's prompt cache never hits. The cache aligner moves
these values out of the stable prefix and the waste detector counts them;
both find them with the patterns here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..relevance.identifiers import UUID_PATTERN

__all__ = ["DYNAMIC_OPENER_AFTER_STOP", "dynamic_spans", "is_dynamic_line"]

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_WEEKDAYS = (
    r"(?:Mon(?:day)?|Tue(?:s(?:day)?)?|Wed(?:nesday)?|Thu(?:r(?:s(?:day)?)?)?|Fri(?:day)?"
    r"|Sat(?:urday)?|Sun(?:day)?)"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_ZONE = r"(?:\s?(?:UTC|GMT|Z|[A-Z]{2,4}T|EST|PST|CST|MST|[+-]\d{2}:?\d{2}))?"

_PATTERNS: tuple[re.Pattern[str], ...] = (
    # ISO dates and date-times: 2025-06-01, 2025-06-01T10:20:30.123Z, 2024-05-15 15:00:00 EST
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?" + _ZONE + r")?\b"),
    # 06/01/2025, 1/6/25
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}(?:\d{2})?\b"),
    # Monday, June 1st, 2025 / 1 June 2025 / June 2025 is not a day and is left alone
    re.compile(
        rf"\b(?:{_WEEKDAYS},?\s+)?(?:{_MONTHS}\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"
        rf"|\d{{1,2}}{_ORDINAL}\s+{_MONTHS}\.?,?\s+\d{{4}})\b"
    ),
    # 14:05, 2:05 pm, 14:05:09 UTC
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?" + _ZONE + r"(?![\w:])"),
    # UUIDs
    re.compile(rf"\b{UUID_PATTERN}\b"),
    # request / trace / session ids with their label
    re.compile(
        r"\b(?:request|req|trace|span|session|correlation|conversation|run|call)[ _-]?id\b"
        r"\s*[:=#]?\s*[\"']?[\w.:-]{6,}",
        re.IGNORECASE,
    ),
    # Unix timestamps with their label
    re.compile(r"\b(?:timestamp|ts|epoch|time)\b\s*[:=]\s*\d{10}(?:\d{3})?\b", re.IGNORECASE),
)

# Phrases whose purpose is to state the current date, time or an id ("Today is Tuesday").
_OPENERS = (
    r"(?:today is|today's date|todays date|current date|the current date"
    r"|current time|the current time|current datetime|the date is|the time is|now is|it is currently"
    r"|date:|time:|datetime:|timestamp:|request id|trace id|session id)"
)
_DYNAMIC_LINE = re.compile(r"^\s*(?:[-*\u2022]\s+|#+\s+)?" + _OPENERS + r"\b", re.IGNORECASE)
# A sentence end followed by such a phrase: the phrase starts a new sentence, whatever precedes it.
DYNAMIC_OPENER_AFTER_STOP = re.compile(r"[.!?]\s+(?=" + _OPENERS + r"(?:\b|(?<=:)))", re.IGNORECASE)


def dynamic_spans(text: str, extra: Sequence[re.Pattern[str]] = ()) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` spans of dynamic values in ``text`` (plus ``extra`` patterns)."""
    spans = sorted((m.start(), m.end()) for p in (*_PATTERNS, *extra) for m in p.finditer(text) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def is_dynamic_line(line: str) -> bool:
    """True when the line's purpose is to state a current date, time or id."""
    return _DYNAMIC_LINE.match(line) is not None
