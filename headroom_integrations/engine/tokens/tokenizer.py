"""Exact, offline token counting for OpenAI models; flagged, calibrated estimates for the rest.

``Tokenizer("gpt-4o").count_text(s)`` equals ``len(tiktoken_encoding.encode_ordinary(s))``
for every OpenAI family, with no download (see :mod:`._encodings`). Claude,
Gemini, Llama, Mistral and unknown models get an estimate derived from an exact
OpenAI count (see :mod:`._tokenizer_families` for the measured factors). Every
result is a :class:`TokenCount`, an ``int`` that also says whether it is exact
and how it was made.

Encodings load once per process, on the first count, behind a lock;
:func:`get_tokenizer` hands out one shared tokenizer per model, so callers do
not even re-resolve the model family. Counting never raises; a broken
installation degrades to a character-based estimate that is logged and flagged.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from .._text import as_text
from ..arguments import strict_arguments
from ..errors import ConfigurationError, TokenizationError
from ..models import DEFAULT_MODEL
from ._cache import CountCache
from ._families import Family, digit_extra, resolve_family
from ._messages import count_messages as _count_message_list
from .encodings import get_counter

__all__ = ["TokenCount", "Tokenizer", "count_tokens_messages", "count_tokens_text", "get_tokenizer"]

logger = logging.getLogger(__name__)

# Dev-corpus average is 2.98 characters per o200k token (2.6 for logs, 5.0 for prose).
_CHARS_PER_TOKEN = 3
_CACHE = CountCache()
_WARNED: set[str] = set()


class TokenCount(int):
    """A token count (an ``int``) that records whether it is exact and how it was made.

    ``method`` is the encoding (``"o200k_base"``) or the estimate
    (``"estimate:claude"``). Arithmetic returns plain ints.
    """

    is_estimate: bool
    method: str

    def __new__(cls, value: int = 0, is_estimate: bool = False, method: str = "") -> TokenCount:
        self = super().__new__(cls, value)
        self.is_estimate = is_estimate
        self.method = method
        return self

    def __getnewargs__(self) -> tuple[int, bool, str]:  # type: ignore[override]
        return int(self), self.is_estimate, self.method

    def __repr__(self) -> str:
        return f"TokenCount({int(self)}, is_estimate={self.is_estimate}, method={self.method!r})"


@strict_arguments
class Tokenizer:
    """Counts tokens of texts and chat messages for one model."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        if not isinstance(model, str):
            raise ConfigurationError(
                "Tokenizer model must be a string",
                {"field": "Tokenizer.model", "value": model, "allowed": "str"},
            )
        self.model = model
        self._family: Family = resolve_family(model)
        self._counter: tuple[Callable[[str], int], str] | None = None

    @property
    def encoding_name(self) -> str | None:
        """The exact encoding, or None when counts are estimates."""
        return None if self._family.is_estimate else self._family.method

    @property
    def is_estimate(self) -> bool:
        return self._family.is_estimate

    def count_text(self, text: str) -> TokenCount:
        """Tokens of ``text``; special-token strings count as ordinary text."""
        count, method = self._text_counter()
        return TokenCount(count(as_text(text)), method.startswith("estimate:"), method)

    def count_messages(self, messages: Any) -> TokenCount:
        """Tokens of a chat message list, with OpenAI's per-message framing.

        See :mod:`._tokenizer_messages` for what is counted; media blocks get
        fixed estimates and flag the result ``is_estimate``.
        """
        count, method = self._text_counter()
        total, fixed = _count_message_list(messages, count)
        return TokenCount(total, fixed or method.startswith("estimate:"), method)

    def _text_counter(self) -> tuple[Callable[[str], int], str]:
        """The function counting one text for this model, and the method it implements.

        Built on first use and kept: the encoding behind it is loaded once per process.
        """
        if self._counter is not None:
            return self._counter
        family = self._family
        try:
            exact = get_counter(family.encoding)
        except TokenizationError as exc:
            if family.encoding not in _WARNED:
                _WARNED.add(family.encoding)
                logger.warning("token counting unavailable (%s); using a character estimate", exc)
            return _chars_estimate, "estimate:chars"
        name, raw = exact.name, exact.count

        def cached(text: str) -> int:
            return _CACHE.count(name, text, raw)

        count = _estimator(cached, family) if family.is_estimate else cached
        self._counter = (count, family.method)
        return self._counter

    def __repr__(self) -> str:
        return f"Tokenizer(model={self.model!r}, method={self._family.method!r})"


def _estimator(exact: Callable[[str], int], family: Family) -> Callable[[str], int]:
    """Scale an exact OpenAI count into ``family``'s calibrated estimate."""
    factor, digits = family.factor, family.digit_tokens

    def estimate(text: str) -> int:
        extra = digit_extra(text) if digits else 0
        return int(exact(text) * factor + extra + 0.5)

    return estimate


def _chars_estimate(text: str) -> int:
    return -(-len(text) // _CHARS_PER_TOKEN)


def get_tokenizer(model: str = DEFAULT_MODEL) -> Tokenizer:
    """The process-wide tokenizer of ``model`` (built on first request, then shared).

    Raises :class:`ConfigurationError` when ``model`` is not a string, like :class:`Tokenizer`.
    """
    if not isinstance(model, str):
        return Tokenizer(model)  # raises the ConfigurationError naming the bad value
    return _shared_tokenizer(model)


@functools.lru_cache(maxsize=64)
def _shared_tokenizer(model: str) -> Tokenizer:
    return Tokenizer(model)


def count_tokens_text(text: str, model: str = DEFAULT_MODEL) -> TokenCount:
    """Tokens of ``text`` for ``model`` (see :meth:`Tokenizer.count_text`)."""
    return get_tokenizer(model).count_text(text)


def count_tokens_messages(messages: Any, model: str = DEFAULT_MODEL) -> TokenCount:
    """Tokens of a chat message list for ``model`` (see :meth:`Tokenizer.count_messages`)."""
    return get_tokenizer(model).count_messages(messages)
