"""Query filtering of a stored original: return only the parts that match.

A model that retrieves with a query wants the few items, lines or paragraphs
it asked about, not the whole original again. Each kind is split into units
(JSON array items, lines, paragraphs or sentences); exact identifiers in the
query decide first (a unit holding the asked-for id is the answer), and BM25
keyword relevance decides otherwise. When nothing matches, the result is a
one-line note and not the whole content: an empty answer would read as "the
data holds nothing", and the full content is one call without a query away.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from ..json_text import Member, NotJSONError, members, parse_strict, skip_ws
from ..relevance import BM25Scorer

__all__ = ["MIN_RELEVANCE", "RELATIVE_RELEVANCE", "filter_content"]

logger = logging.getLogger(__name__)

# A keyword match needs at least RELATIVE_RELEVANCE of the best unit's BM25
# score and at least MIN_RELEVANCE. BM25 is normalised against the whole
# query's weight, so a long question gives low scores even to good units:
# the floor only rejects units that share nothing but words found in
# (nearly) every unit. Both were tuned on the dev corpus (bench_store.py).
MIN_RELEVANCE = 0.02
RELATIVE_RELEVANCE = 0.5
# Units holding query identifiers match when their identifier coverage is at
# least this share of the best coverage (an id shared by every record, such
# as the repository name, does not drag them all in).
_IDENTIFIER_SHARE = 0.5
_MAX_JSON_DEPTH = 16
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _matching_units(units: Sequence[str], query: str) -> list[int]:
    """Indices (in order) of the units that answer ``query``."""
    if not units:
        return []
    evidence = BM25Scorer().evidence(units, query)
    if evidence.identifier_hits:
        scores, floor = evidence.coverage, _IDENTIFIER_SHARE * max(evidence.coverage)
    else:
        scores = evidence.base
        floor = max(MIN_RELEVANCE, RELATIVE_RELEVANCE * max(scores))
    return [i for i, score in enumerate(scores) if score > 0 and score >= floor]


def _largest_array(text: str) -> list[Member] | None:
    """Items of the array with the most items (first in document order on ties), or None."""
    best: list[Member] | None = None
    stack = [(skip_ws(text, 0), 0)]
    while stack:
        pos, depth = stack.pop()
        found, _end = members(text, pos)
        if text[pos] == "[" and (best is None or len(found) > len(best)):
            best = found
        if depth < _MAX_JSON_DEPTH:
            stack.extend((m.value_start, depth + 1) for m in reversed(found) if text[m.value_start] in "[{")
    return best


def _no_match(ref: str, query: str, count: int, unit: str) -> str:
    return (
        f"[no match: none of the {count} {unit} of ref={ref} matches query {query!r}; "
        "retrieve without a query for the full content]"
    )


def _filter_json(content: str, query: str, ref: str) -> str | None:
    """JSON array of the matching items, or None when ``content`` has no array to filter.

    Items are copied byte for byte from the original (number spellings and
    escapes survive); a pretty-printed original gives one item per line.
    """
    try:
        parse_strict(content)
    except NotJSONError as exc:
        logger.info("ccr ref %s: stored as json but %s; filtering lines instead", ref, exc.reason)
        return None
    if content.lstrip()[:1] not in ("[", "{"):
        return None
    found = _largest_array(content)
    if not found:
        return None
    items = [content[m.value_start : m.value_end] for m in found]
    keep = _matching_units(items, query)
    if not keep:
        return _no_match(ref, query, len(items), "items")
    if "\n" not in content:
        return "[" + ", ".join(items[i] for i in keep) + "]"
    lines = []
    for i in keep:
        start = found[i].value_start
        indent = content[content.rfind("\n", 0, start) + 1 : start]
        lines.append((indent if not indent.strip() else "") + items[i])
    return "[\n" + ",\n".join(lines) + "\n]"


def _filter_lines(content: str, query: str, ref: str, first_line: int) -> str:
    lines = content.splitlines()
    keep = _matching_units(lines, query)
    if not keep:
        return _no_match(ref, query, len(lines), "lines")
    return "\n".join(f"{first_line + i}: {lines[i]}" for i in keep)


def _filter_text(content: str, query: str, ref: str) -> str:
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(content) if p.strip()]
    if len(paragraphs) > 1:
        units, unit, joiner = paragraphs, "paragraphs", "\n\n"
    else:
        units = [s for s in _SENTENCE_END.split(content.strip()) if s]
        unit, joiner = "sentences", "\n"
    keep = _matching_units(units, query)
    if not keep:
        return _no_match(ref, query, len(units), unit)
    return joiner.join(units[i] for i in keep)


def filter_content(content: str, kind: str, query: str, *, ref: str, first_line: int = 1) -> str:
    """The parts of ``content`` (stored as ``kind``) that match ``query``.

    ``"json"``: a JSON array of the matching items of the document's largest
    array (lines filtering when it has none or does not parse); ``"lines"``:
    matching lines as ``"<number>: <line>"``, numbered as in the original text
    (1-based; ``content`` starts on its line ``first_line``); other kinds:
    matching paragraphs, or sentences when the text is one paragraph.
    """
    if kind == "json":
        filtered = _filter_json(content, query, ref)
        if filtered is not None:
            return filtered
        return _filter_lines(content, query, ref, first_line)
    if kind == "lines":
        return _filter_lines(content, query, ref, first_line)
    return _filter_text(content, query, ref)
