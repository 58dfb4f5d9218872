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
    "join_split_turns",
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


def join_split_turns(out: list[Any], sources: list[int | None]) -> tuple[list[Any], list[int | None]]:
    """``out`` with each pair of user messages that fitting made neighbours joined into one.

    Dropping the answers between two kept questions would leave two user messages side by
    side, which strictly alternating chat templates reject. The earlier one's content is
    put before the later one's, in a copy of the later message (which keeps its place and
    source index, so the final user message stays last). Neighbours that were neighbours
    in the input stay as they are, and so does a message holding tool_result blocks (those
    must open the message that answers a tool call).
    """
    out, sources = list(out), list(sources)
    first = list(sources)  # per output message: the input index of the first message joined into it
    i = len(out) - 2
    while i >= 0:
        a, b, start = out[i], out[i + 1], first[i + 1]
        was_adjacent = start is not None and sources[i] == start - 1
        if _joinable(a) and _joinable(b) and not was_adjacent and not _has_tool_result(b.get("content")):
            out[i + 1] = {**b, "content": _joined(a.get("content"), b.get("content"))}
            first[i + 1] = sources[i]
            del out[i], sources[i], first[i]
        i -= 1
    return out, sources


def _joinable(message: Any) -> bool:
    if not isinstance(message, Mapping) or message.get("role") != "user":
        return False
    content = message.get("content")
    return bool(content) and isinstance(content, (str, list))


def _has_tool_result(content: Any) -> bool:
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def _joined(first: str | list[Any], second: str | list[Any]) -> str | list[Any]:
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    blocks = [part if isinstance(part, list) else [{"type": "text", "text": part}] for part in (first, second)]
    return [*blocks[0], *blocks[1]]


def _with_text(content: Any, text: str, *, first: bool) -> Any:
    """``content`` with ``text`` added before (``first``) or after it, in the content's own shape."""
    if isinstance(content, list):
        block = {"type": "text", "text": text}
        if not first:
            return [*content, block]
        # Anthropic wants a user message's tool_result blocks first: the note goes after them.
        lead = next(
            (i for i, b in enumerate(content) if not (isinstance(b, dict) and b.get("type") == "tool_result")),
            len(content),
        )
        return [*content[:lead], block, *content[lead:]]
    if isinstance(content, str) and content:
        return f"{text}\n\n{content}" if first else f"{content}\n\n{text}"
    return text


def place_note(
    out: list[Any], sources: list[int | None], cut: int, note: str, role: str
) -> tuple[list[Any], list[int | None]]:
    """``out`` with ``note`` placed where ``role`` says, never making two user messages adjacent.

    ``cut`` is the output position where the first dropped unit stood. ``"user"``:
    prefixed to the user message right after the cut, else appended to the user
    message right before it, else a user message of its own at the cut (its
    neighbours are not user messages). ``"system"``: appended to the leading system
    message, or a new system message opening the conversation. Merged messages are
    copies and keep their source index; a message of its own has source None.
    """
    out, sources = list(out), list(sources)

    def merge(i: int, *, first: bool) -> tuple[list[Any], list[int | None]]:
        out[i] = {**out[i], "content": _with_text(out[i].get("content"), note, first=first)}
        return out, sources

    def insert(i: int, message_role: str) -> tuple[list[Any], list[int | None]]:
        out.insert(i, {"role": message_role, "content": note})
        sources.insert(i, None)
        return out, sources

    def has_text(i: int) -> bool:  # a message without content keeps its shape: nothing is merged into it
        content = out[i].get("content")
        return bool(content) and isinstance(content, (str, list))

    if role == "user":
        if cut < len(out) and out[cut].get("role") == "user" and has_text(cut):
            return merge(cut, first=True)
        if cut > 0 and out[cut - 1].get("role") == "user" and has_text(cut - 1):
            return merge(cut - 1, first=False)
        return insert(cut, "user")
    leading = 0
    while leading < len(out) and out[leading].get("role") in _SYSTEM_ROLES:
        leading += 1
    if leading and has_text(leading - 1):
        return merge(leading - 1, first=False)
    return insert(leading, "system")
