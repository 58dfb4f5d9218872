"""Token count of a chat message list: OpenAI's framing plus every part the model reads.

Framing follows OpenAI's cookbook (``num_tokens_from_messages``): 3 tokens per
message, 1 more when it has a ``name``, 3 to prime the reply, plus the tokens of
every top-level string value (role, content, name, tool_call_id, ...). The cookbook
stops at plain strings; beyond it this module counts:

* content-block lists: each text-bearing part (``text``, ``tool_result`` content,
  ``thinking``, unknown block types' string fields other than ids, types and raw
  data);
* tool calls (OpenAI ``tool_calls``/``function_call``, Anthropic ``tool_use``,
  LangChain ``{"name", "args"}``): name + arguments (JSON as sent) + 3 framing
  tokens per call. OpenAI does not publish the call framing; 3 mirrors a message;
* media, which is never tokenized (base64 is not text the model reads as text):
  a fixed estimate that marks the whole count ``is_estimate``.

Non-string values of unknown top-level keys (ids, metadata objects) are not counted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = [
    "AUDIO_TOKENS",
    "FILE_TOKENS",
    "IMAGE_TOKENS",
    "IMAGE_TOKENS_LOW",
    "REPLY_PRIMING",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_NAME",
    "TOKENS_PER_TOOL_CALL",
    "count_messages",
]

logger = logging.getLogger(__name__)

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
TOKENS_PER_TOOL_CALL = 3

#: OpenAI's documented price of a 1024x1024 image at ``detail="high"``/``"auto"``
#: (85 base + 4 tiles x 170); ``IMAGE_TOKENS_LOW`` is its ``detail="low"`` price.
IMAGE_TOKENS = 765
IMAGE_TOKENS_LOW = 85
#: Audio is billed by duration, unknown without decoding: a fixed placeholder.
AUDIO_TOKENS = 500
#: Files/PDF documents: pages are unknown without parsing: a fixed placeholder.
FILE_TOKENS = 1000

_IMAGE_TYPES = frozenset({"image", "image_url", "input_image"})
_AUDIO_TYPES = frozenset({"audio", "input_audio"})
_FILE_TYPES = frozenset({"file", "input_file", "document"})
_CALL_TYPES = frozenset({"tool_use", "tool_call", "function_call", "server_tool_use"})
# Keys of content blocks that never hold text the model reads as text.
_NON_TEXT_KEYS = frozenset(
    {
        "type",
        "id",
        "tool_use_id",
        "tool_call_id",
        "call_id",
        "signature",
        "data",
        "base64",
        "source",
        "url",
        "image_url",
        "file_id",
        "mime_type",
        "media_type",
        "cache_control",
        "detail",
        "format",
        "index",
        "is_error",
        "status",
        "citations",
        "annotations",
        "extras",
        "encrypted_content",
    }
)
_MAX_DEPTH = 32


class _Walker:
    """Adds up the tokens of message parts; remembers whether any part was a fixed estimate."""

    def __init__(self, count: Callable[[str], int]) -> None:
        self._count = count
        self.total = 0
        self.estimated = False

    def text(self, value: str) -> None:
        self.total += self._count(value)

    def fixed(self, tokens: int) -> None:
        self.total += tokens
        self.estimated = True

    def message(self, message: Any) -> None:
        self.total += TOKENS_PER_MESSAGE
        if isinstance(message, Mapping):
            fields: Mapping[Any, Any] = message
        elif isinstance(message, str):
            fields = {"content": message}
        else:
            fields = _object_fields(message)
        # LangChain keeps Anthropic tool_use blocks in content *and* in tool_calls.
        calls_in_content = _has_call_blocks(fields.get("content"))
        for key, value in fields.items():
            if key == "content":
                self.content(value, 0)
            elif key == "tool_calls":
                if calls_in_content:
                    continue
                for call in _as_list(value):
                    self.call(call)
            elif key == "function_call" and value:
                self.call(value)
            elif isinstance(value, str):
                self.text(value)
                if key == "name":
                    self.total += TOKENS_PER_NAME

    def content(self, value: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.estimated = True
        elif isinstance(value, str):
            self.text(value)
        elif isinstance(value, Mapping):
            self.block(value, depth + 1)
        elif isinstance(value, (list, tuple)):
            for part in value:
                self.content(part, depth + 1)
        elif value is not None and not isinstance(value, bool) and isinstance(value, (int, float)):
            self.text(str(value))

    def block(self, block: Mapping[Any, Any], depth: int) -> None:
        kind = block.get("type")
        if kind in _IMAGE_TYPES:
            self.fixed(IMAGE_TOKENS_LOW if _image_detail(block) == "low" else IMAGE_TOKENS)
        elif kind in _AUDIO_TYPES:
            self.fixed(AUDIO_TOKENS)
        elif kind in _FILE_TYPES and not _has_inline_text(block):
            self.fixed(FILE_TOKENS)
        elif kind in _CALL_TYPES:
            self.call(block)
        else:
            if _has_inline_text(block):
                self.text(block["source"]["data"])
            for key, value in block.items():
                if key not in _NON_TEXT_KEYS:
                    self.content(value, depth)

    def call(self, call: Any) -> None:
        """One tool call in any of the OpenAI, Anthropic or LangChain shapes."""
        if not isinstance(call, Mapping):
            return
        function = call.get("function")
        spec = function if isinstance(function, Mapping) else call
        self.total += TOKENS_PER_TOOL_CALL
        name = spec.get("name")
        if isinstance(name, str):
            self.text(name)
        for key in ("arguments", "input", "args"):
            if key in spec:
                self.text(_as_json(spec[key]))
                break


def _object_fields(message: Any) -> dict[str, Any]:
    """The countable fields of a message object (e.g. LangChain's) by attribute name."""
    fields: dict[str, Any] = {}
    role = getattr(message, "role", None) or getattr(message, "type", None)
    if isinstance(role, str):
        fields["role"] = role
    for attr in ("name", "content", "tool_calls", "tool_call_id"):
        value = getattr(message, attr, None)
        if value is not None:
            fields[attr] = value
    return fields


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] if isinstance(value, Mapping) else []


def _image_detail(block: Mapping[Any, Any]) -> Any:
    inner = block.get("image_url")
    if isinstance(inner, Mapping) and "detail" in inner:
        return inner["detail"]
    return block.get("detail")


def _has_inline_text(block: Mapping[Any, Any]) -> bool:
    """An Anthropic document whose source is plain text rather than file bytes."""
    source = block.get("source")
    return isinstance(source, Mapping) and source.get("type") == "text" and isinstance(source.get("data"), str)


def _has_call_blocks(content: Any) -> bool:
    return isinstance(content, (list, tuple)) and any(
        isinstance(part, Mapping) and part.get("type") in _CALL_TYPES for part in content
    )


def _as_json(value: Any) -> str:
    """Arguments as the model sees them: strings as given, structures as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # e.g. circular references
        logger.debug("tool-call arguments are not JSON-serialisable; counted as text")
        return str(value)


def count_messages(messages: Any, count: Callable[[str], int]) -> tuple[int, bool]:
    """Tokens of ``messages`` with ``count`` for text; ``(total, used_fixed_estimate)``.

    Never raises: a part that cannot be walked is logged, and the total so far
    is returned marked as an estimate.
    """
    walker = _Walker(count)
    if isinstance(messages, (Mapping, str)):
        items: Iterable[Any] = [messages]
    elif isinstance(messages, Iterable):
        items = messages
    else:
        items = []
    try:
        for message in items:
            walker.message(message)
    except Exception as exc:  # fail open: odd input must not break the caller's LLM call
        logger.warning("could not count every message part (%r); the count is an estimate", exc)
        walker.estimated = True
    walker.total += REPLY_PRIMING
    return walker.total, walker.estimated
