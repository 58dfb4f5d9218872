"""History units: what is kept or dropped together, what is protected, how kept units reassemble.

A unit is one message, or an assistant message with tool calls plus the
messages carrying their results (see :func:`group_units`). Dropping whole
units can never orphan a tool call or a tool result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..messages import group_units, iter_text_slots, message_text
from ._tokens import message_tokens

__all__ = [
    "Unit",
    "assemble",
    "build_units",
    "floor_positions",
    "is_valid_messages",
    "place_note",
    "protected_positions",
]

_SYSTEM_ROLES = ("system", "developer")


@dataclass(frozen=True)
class Unit:
    """One unit of history: its message indices, role, token cost and text."""

    position: int
    indices: tuple[int, ...]
    role: str
    tokens: int
    text: str
    starts_turn: bool
    is_tool_step: bool

    @property
    def is_system(self) -> bool:
        return self.role in _SYSTEM_ROLES


def is_valid_messages(messages: Any) -> bool:
    """A list of dicts each with a string role: the only shape the history transforms edit."""
    return (
        isinstance(messages, Sequence)
        and not isinstance(messages, (str, bytes))
        and all(isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in messages)
    )


def build_units(messages: Sequence[Mapping[str, Any]], tokenizer: Any) -> list[Unit]:
    """Group ``messages`` into units with their token costs (per-message costs add up)."""
    units: list[Unit] = []
    for position, indices in enumerate(group_units(messages)):
        members = [messages[i] for i in indices]
        first = members[0]
        kinds = {slot.kind for slot in iter_text_slots(members[:1])}
        units.append(
            Unit(
                position=position,
                indices=tuple(indices),
                role=str(first.get("role", "")),
                tokens=sum(message_tokens(tokenizer, m) for m in members),
                text="\n".join(message_text(m) for m in members),
                starts_turn=first.get("role") == "user" and "tool" not in kinds,
                is_tool_step=len(members) > 1
                or bool(first.get("tool_calls"))
                or first.get("role") in ("tool", "function"),
            )
        )
    return units


def floor_positions(units: Sequence[Unit], *, keep_system: bool) -> set[int]:
    """The units no budget can remove: the system message(s) (when kept), the final user message,
    and a tool step that ends the conversation after it.

    That last tool step is the result the model just asked for: dropping it (rather than
    compressing it) would make an agent call the same tool again, round after round.
    """
    floor = {u.position for u in units if u.is_system} if keep_system else set()
    starts = [u.position for u in units if u.starts_turn]
    if starts:
        floor.add(starts[-1])
        last = units[-1]
        if last.is_tool_step and last.position > starts[-1]:
            floor.add(last.position)
    return floor


def protected_positions(units: Sequence[Unit], *, keep_system: bool, keep_last_turns: int) -> set[int]:
    """Units that must stay: system, the final user message and the last turns.

    A turn starts at a user message. The last ``keep_last_turns`` turns are
    kept, except that inside one long agent turn only its last
    ``keep_last_turns`` steps are: an agent loop of a hundred tool calls after
    one user message must not pin the whole loop in place.
    """
    protected = floor_positions(units, keep_system=keep_system)
    starts = [u.position for u in units if u.starts_turn]
    if keep_last_turns <= 0:
        return protected
    conversation = [u for u in units if not u.is_system]
    protected.update(u.position for u in conversation[-keep_last_turns:])
    first = starts[-min(keep_last_turns, len(starts))] if starts else len(units)
    protected.update(u.position for u in conversation if u.position >= first and not u.is_tool_step)
    return protected


def assemble(
    messages: Sequence[Mapping[str, Any]],
    units: Sequence[Unit],
    kept: Sequence[bool],
    replacements: Mapping[int, Sequence[Mapping[str, Any]]],
) -> tuple[list[Any], list[int | None]]:
    """Kept units in order (compressed ones replaced).

    Returns the messages and, for each, the input index it came from.
    """
    out: list[Any] = []
    sources: list[int | None] = []
    for unit, keep in zip(units, kept, strict=True):
        if keep:
            out.extend(replacements.get(unit.position) or [messages[i] for i in unit.indices])
            sources.extend(unit.indices)
    return out, sources


def _with_text(content: Any, text: str, *, first: bool) -> Any:
    """``content`` with ``text`` added before (``first``) or after it, in the content's own shape."""
    if isinstance(content, list):
        block = {"type": "text", "text": text}
        return [block, *content] if first else [*content, block]
    if isinstance(content, str) and content:
        return f"{text}\n\n{content}" if first else f"{content}\n\n{text}"
    return text


def place_note(
    out: list[Any], sources: list[int | None], units: Sequence[Unit], cut: int, note: str, role: str
) -> tuple[list[Any], list[int | None]]:
    """``out`` with ``note`` merged where ``role`` says, never as a message of its own between turns.

    ``cut`` is the output position where the first dropped unit stood. ``"user"``:
    prefixed to the first kept user turn at or after the cut, else the last one
    before it. ``"system"`` (and ``"user"`` with no user turn kept): appended to the
    leading system message, or a new system message opening the conversation.
    Merged messages are copies; their source index stays theirs.
    """
    out, sources = list(out), list(sources)
    if role == "user":
        turns = {u.indices[0] for u in units if u.starts_turn}
        starts = [i for i, source in enumerate(sources) if source in turns]
        target = next((i for i in starts if i >= cut), starts[-1] if starts else None)
        if target is not None:
            out[target] = {**out[target], "content": _with_text(out[target].get("content"), note, first=True)}
            return out, sources
    leading = 0
    while leading < len(out) and out[leading].get("role") in _SYSTEM_ROLES:
        leading += 1
    if leading:
        last = out[leading - 1]
        out[leading - 1] = {**last, "content": _with_text(last.get("content"), note, first=False)}
    else:
        out.insert(0, {"role": "system", "content": note})
        sources.insert(0, None)
    return out, sources
