"""Dropping the object fields of compact JSON that carry nothing: ``null``, ``""``, ``[]`` and ``{}``.

Small JSON (a handful of records) has nothing worth dropping item-wise, but
API payloads often spend a good share of their tokens on empty fields. Only
object members go; array elements (records, positional values) always stay,
and so does every other byte: what is kept is sliced from the input. The
caller stashes the original and appends :func:`with_note`, so the model reads
that fields were omitted and has the ref to get them back.
"""

from __future__ import annotations

import json

from ...json_text import members
from ._render import REF_KEY

__all__ = ["NOTE_KEY", "with_note", "without_empty_fields"]

NOTE_KEY = "_headroom_note"
# In compact JSON an empty value's text is exactly one of these.
_EMPTY = ("null", '""', "[]", "{}")


def without_empty_fields(compact: str) -> tuple[str, int]:
    """``compact`` (JSON without insignificant whitespace) minus its empty object fields, and how many went."""
    if compact[:1] not in ("[", "{") or not any(empty in compact for empty in _EMPTY):
        return compact, 0
    out: list[str] = []
    omitted = _prune(compact, 0, out)
    return ("".join(out), omitted) if omitted else (compact, 0)


def _prune(text: str, pos: int, out: list[str]) -> int:
    """Append the value at ``pos`` without its empty fields; return how many were dropped."""
    opener = text[pos]
    found, end = members(text, pos)
    omitted = 0
    kept: list[str] = []
    for member in found:
        start, end_of_value = member.value_start, member.value_end
        if opener == "{" and end_of_value - start <= 4 and text[start:end_of_value] in _EMPTY:
            omitted += 1
            continue
        if text[start] in "[{" and end_of_value - start > 2:
            piece = [text[member.start : start]]
            omitted += _prune(text, start, piece)
            kept.append("".join(piece))
        else:
            kept.append(text[member.start : end_of_value])
    out.append(opener + ",".join(kept) + text[end - 1])
    return omitted


def with_note(pruned: str, omitted: int, ref: str) -> str:
    """``pruned`` with a note naming what was omitted and the ref of the original.

    An object gets two sibling keys, an array one trailing element (its records
    are all still there); a scalar has no fields, so it never reaches here.
    """
    note = json.dumps({NOTE_KEY: f"{omitted} null/empty fields omitted", REF_KEY: ref}, separators=(",", ":"))
    body = note[1:-1] if pruned[0] == "{" else note
    sep = "" if len(pruned) == 2 else ","
    return f"{pruned[:-1]}{sep}{body}{pruned[-1]}"
