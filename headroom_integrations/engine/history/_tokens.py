"""Token counting shared by the history transforms (one tokenizer per model, reused)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tokenizer import Tokenizer

__all__ = ["message_tokens", "tokenizer_for"]


@functools.lru_cache(maxsize=32)
def tokenizer_for(model: str) -> Tokenizer:
    """The engine tokenizer of ``model`` (built once per model per process)."""
    from ..tokenizer import Tokenizer

    return Tokenizer(model)


def message_tokens(tokenizer: Tokenizer, message: Mapping[str, Any]) -> int:
    """Tokens one message adds to a request: its count minus the fixed reply priming."""
    return int(tokenizer.count_messages([message])) - int(tokenizer.count_messages([]))
