"""Turning a :class:`~._json_plan.Plan` into output text, copying every kept byte.

Kept items, keys and separators are sliced from the original text, so the
output differs from the input only where something was dropped: each
reduced collection gets one marker in the collection's own formatting (a
trailing element, or sibling keys for an object of objects), each cut string
an inline marker. Refs come from ``ref_of(original, kind)``, so a caller can
render once with provisional refs and stash only if the result is worth it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...ccr.markers import omission_marker
from ...json_text import JsonStyle, Member, dump_marker, members, value_end
from ._plan import Plan

__all__ = ["HINT_KEY", "OMITTED_KEY", "REF_KEY", "Rendered", "render"]

OMITTED_KEY = "_headroom_omitted"
REF_KEY = "_headroom_ref"
HINT_KEY = "_headroom_hint"
_HINT = "call headroom_retrieve with this ref (and optionally a query) to get omitted items"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Rendered:
    """Output text plus, in document order, what was reduced and where it went.

    ``reports`` holds ``(path, original_count, kept_count, ref)`` per reduced
    collection; ``markers`` one dict per cut (path, kind, omitted, ref).
    """

    text: str = ""
    reports: list[tuple[str, int, int, str]] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


@dataclass
class _State:
    text: str
    style: JsonStyle
    ref_of: Callable[[str, str], str]
    inject: bool
    names_tool: bool
    result: Rendered
    hinted: bool = False


def render(
    text: str,
    start: int,
    plan: Plan,
    style: JsonStyle,
    ref_of: Callable[[str, str], str],
    inject: bool,
    names_tool: bool,
) -> Rendered:
    """Render the document whose top-level value starts at ``start``.

    ``names_tool`` False (the model has no ``headroom_retrieve``): markers carry the ref and no call hint.
    """
    state = _State(text=text, style=style, ref_of=ref_of, inject=inject, names_tool=names_tool, result=Rendered())
    out = [text[:start]]
    end = _render(state, start, plan, out)
    out.append(text[end:])
    state.result.text = "".join(out)
    return state.result


def _render(state: _State, pos: int, plan: Plan, out: list[str]) -> int:
    """Append the rendering of the value at ``pos`` to ``out``; return the value's end."""
    if plan.kind == "walk":
        return _render_walk(state, pos, plan, out)
    if plan.kind == "string":
        return _render_string(state, pos, plan, out)
    return _render_collection(state, pos, plan, out)


def _render_walk(state: _State, pos: int, plan: Plan, out: list[str]) -> int:
    text = state.text
    last = pos

    def visit(key: str | int, start: int) -> int:
        nonlocal last
        child = plan.children.get(key)
        if child is None:
            return value_end(text, start)
        out.append(text[last:start])
        last = _render(state, start, child, out)
        return last

    _found, end = members(text, pos, visit)
    out.append(text[last:end])
    return end


def _record(state: _State, plan: Plan, omitted: int, ref: str) -> None:
    state.result.markers.append({"path": plan.path, "kind": plan.kind, "omitted": omitted, "ref": ref})
    state.result.kinds.append(plan.kind)


def _render_string(state: _State, pos: int, plan: Plan, out: list[str]) -> int:
    value = plan.text
    head, tail = plan.kept
    ref = state.ref_of(value, "text")
    omitted = len(value) - head - tail
    marker = omission_marker(omitted, "chars", ref, names_tool=state.names_tool)
    cut = f"{value[:head]} {marker} {value[len(value) - tail :]}"
    # A lone surrogate (legal as a JSON escape) must stay escaped to remain encodable.
    ensure_ascii = state.style.ensure_ascii or _SURROGATE.search(cut) is not None
    out.append(json.dumps(cut, ensure_ascii=ensure_ascii))
    _record(state, plan, omitted, ref)
    return value_end(state.text, pos)


def _render_collection(state: _State, pos: int, plan: Plan, out: list[str]) -> int:
    text = state.text
    found, end = members(text, pos)
    lead = text[pos + 1 : found[0].start]
    sep = text[found[0].value_end : found[1].start]
    tail = text[found[-1].value_end : end - 1]
    ref = state.ref_of(text[pos:end], "json")
    omitted = plan.count - len(plan.kept)
    pieces: list[str] = []
    for index in plan.kept:
        member = found[index]
        child = plan.children.get(index)
        if child is None:
            pieces.append(text[member.start : member.value_end])
            continue
        piece = [text[member.start : member.value_start]]
        _render(state, member.value_start, child, piece)
        pieces.append("".join(piece))
    if state.inject:
        pieces.append(_marker_text(state, plan, found, lead, omitted, ref))
    state.result.reports.append((plan.path, plan.count, len(plan.kept), ref))
    _record(state, plan, omitted, ref)
    body = lead + sep.join(pieces) + tail if pieces else ""
    out.append(text[pos] + body + text[end - 1])
    return end


def _marker_text(state: _State, plan: Plan, found: Sequence[Member], lead: str, omitted: int, ref: str) -> str:
    """The marker in the collection's own style: an element, or sibling keys of an object."""
    ensure_ascii = state.style.ensure_ascii
    if plan.kind == "scalars":
        marker_text = omission_marker(omitted, "items", ref, names_tool=state.names_tool)
        return json.dumps(marker_text, ensure_ascii=ensure_ascii)
    marker: dict[str, Any] = {OMITTED_KEY: omitted, REF_KEY: ref}
    if state.names_tool and not state.hinted:  # one hint per document is enough to teach the pattern
        marker[HINT_KEY] = _HINT
        state.hinted = True
    if plan.kind == "object":
        text = state.text
        key_sep = text[value_end(text, found[0].start) : found[0].value_start]
        sep = text[found[0].value_end : found[1].start]
        return sep.join(
            f"{json.dumps(k)}{key_sep}{json.dumps(v, ensure_ascii=ensure_ascii)}" for k, v in marker.items()
        )
    prefix = lead.rsplit("\n", 1)[1] if "\n" in lead else ""
    return dump_marker(marker, state.style, prefix)
