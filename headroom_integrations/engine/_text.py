"""Text from whatever a caller actually passes (None, bytes, numbers), without raising.

Token counting and relevance scoring sit inside a user's LLM call, so a
wrong type there must degrade to its best text, never to an exception.
"""

from __future__ import annotations

import logging

__all__ = ["as_text"]

logger = logging.getLogger(__name__)


def as_text(value: object) -> str:
    """``value`` as text: a str as is, None as ``""``, bytes decoded (invalid UTF-8 replaced),
    anything else its ``str()`` (``""`` when that fails)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    logger.debug("using the str() of a %s as text", type(value).__name__)
    try:
        return str(value)
    except Exception:  # an object whose __str__ fails has no text
        return ""
