"""Where a conversation spends tokens on nothing: the signals behind ``simulate()``.

Each signal is a token count of text the model gains nothing from reading:
JSON indentation and null fields, HTML markup and scripts, base64 blobs,
runs of whitespace, dynamic values that break the system prompt's cache, and
lines repeated verbatim or as the same template (log lines that differ only in
their numbers, ids and timestamps). Signals are measured per text part and do not
double count JSON: whitespace and repetition are only counted outside JSON
(where :attr:`WasteSignals.json_bloat` already covers layout).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ..messages import iter_text_slots
from ._dynamic import dynamic_spans

__all__ = ["WasteSignals", "detect_waste"]

logger = logging.getLogger(__name__)

# Larger texts are skipped (and logged): scanning them costs more than the estimate is worth.
_MAX_SCAN_CHARS = 4_000_000
_MIN_REPEATED_LINE = 16

_HTML_TAG = re.compile(r"<[A-Za-z!/][^<>]{0,2000}>")
_HTML_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_BASE64 = re.compile(r"(?:data:[\w/+.-]{1,100};base64,)?[A-Za-z0-9+/]{64,}={0,2}")
_TRAILING_SPACES = re.compile(r"[ \t]+$", re.MULTILINE)
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_BLANK_LINES = re.compile(r"\n{3,}")
# Numbers, hex ids and timestamps: two log lines equal after masking them are the same template.
_VARYING = re.compile(r"[0-9a-fA-F]*\d[0-9a-fA-F:.\-TZ]*")


class _Counter(Protocol):
    def count_text(self, text: str) -> Any: ...


@dataclass(frozen=True)
class WasteSignals:
    """Tokens spent on each kind of waste (estimates of what compression can remove)."""

    json_bloat: int = 0
    html_noise: int = 0
    base64: int = 0
    whitespace: int = 0
    dynamic_dates: int = 0
    repetition: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}

    # Headroom's documented names for the same counts.
    @property
    def json_bloat_tokens(self) -> int:
        return self.json_bloat

    @property
    def html_noise_tokens(self) -> int:
        return self.html_noise

    @property
    def base64_tokens(self) -> int:
        return self.base64

    @property
    def whitespace_tokens(self) -> int:
        return self.whitespace

    @property
    def dynamic_date_tokens(self) -> int:
        return self.dynamic_dates

    @property
    def repetition_tokens(self) -> int:
        return self.repetition


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _json_bloat(text: str, count: _Counter) -> int | None:
    """Tokens saved by compact, null-free JSON; None when ``text`` is not a JSON document."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        compact = json.dumps(_without_nulls(json.loads(stripped)), separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
    return _saved(count, text, compact)


def _is_base64(blob: str) -> bool:
    body = blob.split(",", 1)[-1]
    return any(c.isdigit() for c in body) and any(c.isupper() for c in body) and any(c.islower() for c in body)


def _drop_base64(blob: re.Match[str]) -> str:
    return "" if _is_base64(blob.group(0)) else blob.group(0)


def _span_tokens(count: _Counter, pieces: Sequence[str]) -> int:
    """Tokens of many small pieces, counting each distinct piece once."""
    return sum(int(count.count_text(piece)) * n for piece, n in Counter(pieces).items() if piece)


def _saved(count: _Counter, text: str, reduced: str) -> int:
    """Tokens ``reduced`` saves over ``text`` (measured whole: pieces counted apart overstate)."""
    return max(0, int(count.count_text(text)) - int(count.count_text(reduced)))


def _html_noise(text: str, count: _Counter) -> int:
    if len(_HTML_TAG.findall(text)) < 3:
        return 0
    return _saved(count, text, _HTML_TAG.sub(" ", _HTML_BLOCK.sub(" ", text)))


def _whitespace(text: str, count: _Counter) -> int:
    """Tokens of whitespace runs beyond the single space or blank line they could be."""
    reduced = _BLANK_LINES.sub("\n\n", _INNER_SPACES.sub(" ", _TRAILING_SPACES.sub("", text)))
    return _saved(count, text, reduced)


def detect_waste(messages: Sequence[Mapping[str, Any]], tokenizer: _Counter) -> WasteSignals:
    """Measure each waste signal over every text part of ``messages``.

    ``tokenizer`` is anything with ``count_text`` (an engine ``Tokenizer``).
    Malformed messages are skipped; texts over a few MB are skipped with a log line.
    """
    totals: Counter[str] = Counter()
    lines: list[str] = []
    for slot in iter_text_slots(messages if isinstance(messages, Sequence) else []):
        text = slot.text
        if len(text) > _MAX_SCAN_CHARS:
            logger.info("waste scan skipped message %d: %d chars", slot.index, len(text))
            continue
        if slot.kind == "system" and slot.index == 0:
            totals["dynamic_dates"] += _span_tokens(tokenizer, [text[a:b] for a, b in dynamic_spans(text)])
        if any(_is_base64(b) for b in _BASE64.findall(text)):
            totals["base64"] += _saved(tokenizer, text, _BASE64.sub(_drop_base64, text))
        bloat = _json_bloat(text, tokenizer)
        if bloat is not None:
            totals["json_bloat"] += bloat
            continue
        totals["html_noise"] += _html_noise(text, tokenizer)
        totals["whitespace"] += _whitespace(text, tokenizer)
        lines.extend(line.strip() for line in text.splitlines() if len(line.strip()) >= _MIN_REPEATED_LINE)
    seen: set[str] = set()
    repeats = []
    for line in lines:
        template = _VARYING.sub("#", line)
        if template in seen:
            repeats.append(line)
        seen.add(template)
    totals["repetition"] = _span_tokens(tokenizer, repeats)
    return WasteSignals(**totals)
