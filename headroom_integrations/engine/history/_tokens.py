"""Per-message token cost, the unit the history transforms budget in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tokens.tokenizer import Tokenizer

__all__ = ["message_tokens"]


def message_tokens(tokenizer: Tokenizer, message: Mapping[str, Any]) -> int:
    """Tokens one message adds to a request: its count minus the fixed reply priming."""
    return int(tokenizer.count_messages([message])) - int(tokenizer.count_messages([]))
