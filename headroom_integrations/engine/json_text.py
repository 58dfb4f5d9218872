"""Strict JSON parsing and byte-faithful navigation of the original text.

The crusher never re-serialises what it keeps: it copies the original bytes
of every kept value, so escapes (``\\/``, ``\\u00e9``), number spellings and
whitespace survive exactly. This module parses strictly (no NaN, no duplicate
keys), locates the span of every child of a container with the C scanner of
the standard library, and learns the document's formatting so the few new
elements (markers) look like their neighbours.
"""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "JsonStyle",
    "Member",
    "NotJSONError",
    "detect_style",
    "dump_marker",
    "members",
    "parse_strict",
    "skip_ws",
    "value_end",
]

_WS = re.compile(r"[ \t\n\r]*")


class NotJSONError(ValueError):
    """The text is not strict JSON; ``reason`` is the short, user-facing cause."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reject_constant(name: str) -> Any:
    raise NotJSONError(f"non-finite number {name}")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise NotJSONError("duplicate keys")
    return result


_STRICT = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
# Spans are only ever scanned after the strict parse succeeded, so the plain
# (fast) decoder is enough to find where each value ends.
_scan_once = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def parse_strict(text: str) -> Any:
    """Parse ``text``; raise :class:`NotJSONError` for anything but strict JSON."""
    try:
        return _STRICT.decode(text)
    except NotJSONError:
        raise
    except RecursionError:
        raise NotJSONError("nesting too deep") from None
    except ValueError:
        raise NotJSONError("not JSON") from None


def skip_ws(text: str, pos: int) -> int:
    """Index of the first non-whitespace character at or after ``pos``."""
    if pos < len(text) and text[pos] in " \t\n\r":
        return _WS.match(text, pos).end()  # type: ignore[union-attr]
    return pos


def value_end(text: str, pos: int) -> int:
    """End index of the JSON value starting at ``pos`` (C speed)."""
    return int(_scan_once(text, pos)[1])


class Member(NamedTuple):
    """One child of a container: its key (or index), and where it sits in the text."""

    key: str | int
    start: int
    value_start: int
    value_end: int


def members(text: str, pos: int, visit: Callable[[str | int, int], int] | None = None) -> tuple[list[Member], int]:
    """Children of the array or object at ``pos`` and the container's end.

    ``visit(key, value_start)`` must return the value's end; it lets a caller
    render a child while walking instead of scanning it twice.
    """
    is_array = text[pos] == "["
    close = "]" if is_array else "}"
    scan, ws = _scan_once, _WS.match
    found: list[Member] = []
    i = skip_ws(text, pos + 1)
    if text[i] == close:
        return found, i + 1
    while True:
        start = i
        key: str | int
        if is_array:
            key = len(found)
        else:
            key, i = scan(text, i)
            i = skip_ws(text, skip_ws(text, i) + 1)
        end = visit(key, i) if visit is not None else scan(text, i)[1]
        found.append(Member(key, start, i, end))
        i = end if text[end] not in " \t\n\r" else ws(text, end).end()  # type: ignore[union-attr]
        if text[i] != ",":
            return found, i + 1
        i += 1
        if text[i] in " \t\n\r":
            i = ws(text, i).end()  # type: ignore[union-attr]


@dataclass(frozen=True)
class JsonStyle:
    """How the input was written: indentation unit, key separator, ASCII escaping."""

    indent: str | None = None
    key_sep: str = ": "
    item_sep: str = ", "
    ensure_ascii: bool = False


def _first_member(text: str, pos: int) -> tuple[int, int, int] | None:
    """(first child start, its value start, its value end) of the container at ``pos``."""
    start = skip_ws(text, pos + 1)
    if text[start] in "]}":
        return None
    value_start = start
    if text[pos] == "{":
        value_start = skip_ws(text, skip_ws(text, value_end(text, start)) + 1)
    return start, value_start, value_end(text, value_start)


def detect_style(text: str, max_steps: int = 64) -> JsonStyle:
    """Learn the formatting by following first children down to where it shows.

    Only the first child of each container on the way is scanned, so this
    costs no more than the size of one item.
    """
    indent: str | None = None
    key_sep: str | None = None
    item_sep: str | None = None
    pos = skip_ws(text, 0)
    for _ in range(max_steps):
        if pos >= len(text) or text[pos] not in "[{":
            break
        first = _first_member(text, pos)
        if first is None:
            break
        start, value_start, end = first
        if indent is None and "\n" in text[pos + 1 : start]:
            indent = text[pos + 1 : start].rsplit("\n", 1)[1]
        if key_sep is None and text[pos] == "{":
            key_sep = text[value_end(text, start) : value_start]
        after = skip_ws(text, end)
        if item_sep is None and text[after] == ",":
            item_sep = text[end : skip_ws(text, after + 1)]
        if key_sep is not None and item_sep is not None:
            break
        pos = value_start
    return JsonStyle(
        indent=indent,
        key_sep=key_sep if key_sep is not None and "\n" not in key_sep else ": ",
        item_sep="," if indent is not None else (item_sep or ", ").rstrip("\n\r\t"),
        ensure_ascii=text.isascii() and "\\u" in text,
    )


def dump_marker(value: Any, style: JsonStyle, prefix: str) -> str:
    """Serialise a new element in the input's style, indented to sit at ``prefix``."""
    text = json.dumps(
        value,
        ensure_ascii=style.ensure_ascii,
        indent=style.indent,
        separators=(style.item_sep, style.key_sep),
    )
    return text.replace("\n", "\n" + prefix) if style.indent is not None else text
