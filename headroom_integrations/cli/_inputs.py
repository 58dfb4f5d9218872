"""Reading what the user points the CLI at: messages JSON, a JSONL of conversations, or a raw tool output.

The whole file is checked before any work starts, so a bad line 9,000 of a
JSONL gives one clear error instead of a half-processed run. JSONL is
validated in one streaming pass and read again while processing, so
thousands of conversations never sit in memory at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.errors import ValidationError

__all__ = ["Conversation", "InputSource", "open_source"]

_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Conversation:
    """One conversation to compress; ``envelope`` is the ``{"messages": ...}`` object it came in, if any."""

    number: int
    messages: list[dict[str, Any]]
    query: str | None = None
    envelope: Mapping[str, Any] | None = None

    def with_messages(self, messages: list[Any]) -> Any:
        """The conversation in its input shape, holding ``messages`` instead."""
        return messages if self.envelope is None else {**self.envelope, "messages": messages}


@dataclass(frozen=True)
class InputSource:
    """A validated input file and its conversations.

    ``kind`` is ``json`` (one conversation), ``json_list`` (an array of
    conversations), ``jsonl`` (one per line) or ``tool_output`` (raw text).
    """

    path: Path
    kind: str
    total: int
    _items: tuple[Conversation, ...] = ()

    def __iter__(self) -> Iterator[Conversation]:
        if self.kind != "jsonl":
            yield from self._items
            return
        for line_no, line in _lines(self.path):
            yield _conversation(json.loads(line), line_no, self.path)


def _fail(path: Path, where: str, problem: str) -> ValidationError:
    return ValidationError(f"{path}{where}: {problem}", {"file": str(path)})


def _sniff(path: Path, *, whole: bool = False) -> bytes:
    """The file's first bytes (all of it with ``whole``), after the checks any input must pass."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
            data = head + handle.read() if whole else head
    except OSError as exc:
        raise _fail(path, "", f"cannot read: {exc.strerror or exc}") from None
    if b"\x00" in head:
        raise _fail(path, "", "looks like a binary file, expected UTF-8 text")
    return data


def _read_text(path: Path) -> str:
    data = _sniff(path, whole=True)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, "", f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise _fail(path, "", "is empty")
    return text


def _messages(value: Any, path: Path, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _fail(path, where, f"expected a list of messages, got {type(value).__name__}")
    if not value:
        raise _fail(path, where, "the message list is empty")
    for index, message in enumerate(value):
        # A JSON array of records (an API response) is a tool output, not a conversation.
        hint = "; for a raw tool output (e.g. a JSON array of records) add --as-tool-output" if index == 0 else ""
        if not isinstance(message, dict):
            raise _fail(path, where, f"message {index + 1} is a {type(message).__name__}, expected an object{hint}")
        if not isinstance(message.get("role"), str):
            raise _fail(path, where, f'message {index + 1} has no "role" string{hint}')
    return value


def _conversation(value: Any, number: int, path: Path, where: str | None = None) -> Conversation:
    """A conversation from a messages list or a ``{"messages": [...], "query": ...}`` object."""
    where = f":{number}" if where is None else where
    if isinstance(value, dict):
        if "messages" not in value:
            raise _fail(path, where, 'expected a list of messages or an object with "messages"')
        query = value.get("query")
        if query is not None and not isinstance(query, str):
            raise _fail(path, where, '"query" must be a string')
        return Conversation(number, _messages(value["messages"], path, where), query or None, value)
    return Conversation(number, _messages(value, path, where), None, None)


def _is_conversation_list(value: Any) -> bool:
    """A JSON array of conversations (rather than one conversation's messages)."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, list) or (isinstance(v, dict) and "messages" in v and "role" not in v) for v in value)
    )


def _invalid(path: Path, exc: json.JSONDecodeError, line_no: int = 1) -> ValidationError:
    line = exc.lineno + line_no - 1
    # Failing on the first line usually means the file is not JSON at all: a raw log or tool output.
    hint = "; for a raw tool output (a log, text) add --as-tool-output" if line == 1 else ""
    return _fail(path, f":{line}:{exc.colno}", f"invalid JSON ({exc.msg}){hint}")


def _too_deep(path: Path, line_no: int = 1) -> ValidationError:
    return _fail(path, f":{line_no}", "JSON is nested too deeply to read")


def _parse(text: str, path: Path, line_no: int) -> Any:
    """JSON of ``text`` (line ``line_no`` of ``path``), or a one-line error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(path, exc, line_no) from None
    except RecursionError:
        raise _too_deep(path, line_no) from None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line, read one at a time."""
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise _fail(path, f":{line_no}", f"is not UTF-8 text (bad byte at column {exc.start + 1})") from None
            if line.strip():
                yield line_no, line


def _check_jsonl(path: Path) -> int:
    """Validate every line; returns the number of conversations."""
    count = 0
    for line_no, line in _lines(path):
        _conversation(_parse(line, path, line_no), line_no, path)
        count += 1
    if count == 0:
        raise _fail(path, "", "holds no conversations")
    return count


def _tool_conversation(text: str, tool_name: str, query: str | None) -> list[dict[str, Any]]:
    """[user query?, assistant tool call, tool result]: how an agent would have seen the output."""
    call = {"id": "call_0", "type": "function", "function": {"name": tool_name, "arguments": "{}"}}
    messages: list[dict[str, Any]] = [{"role": "user", "content": query}] if query else []
    messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    messages.append({"role": "tool", "tool_call_id": "call_0", "name": tool_name, "content": text})
    return messages


def open_source(
    path: str | Path, *, as_tool_output: bool = False, tool_name: str = "tool", query: str | None = None
) -> InputSource:
    """Check ``path`` and describe its conversations; raises ValidationError with a one-line message."""
    path = Path(path)
    if path.is_dir():
        raise _fail(path, "", "is a directory, expected a file")
    if as_tool_output:
        text = _read_text(path)
        conversation = Conversation(1, _tool_conversation(text, tool_name, query))
        return InputSource(path, "tool_output", 1, (conversation,))
    if path.suffix.lower() in _JSONL_SUFFIXES:
        _sniff(path)  # clear messages for a missing or binary file; lines are then read one at a time
        return InputSource(path, "jsonl", _check_jsonl(path))
    text = _read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise _invalid(path, exc) from None
        return InputSource(path, "jsonl", _check_jsonl(path))  # several documents: one conversation per line
    except RecursionError:
        raise _too_deep(path) from None
    if _is_conversation_list(value):
        items = tuple(_conversation(v, i, path, f" conversation {i}") for i, v in enumerate(value, 1))
        return InputSource(path, "json_list", len(items), items)
    return InputSource(path, "json", 1, (_conversation(value, 1, path, ""),))
