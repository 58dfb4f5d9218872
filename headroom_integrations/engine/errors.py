"""Exception tree shared by the engine and every integration (Headroom's documented tree).

Every error carries a human message plus a ``details`` dict so callers (and
logs) can see *which* field or ref was at fault without parsing text;
``str(error)`` is ``"message (key=value, ...)"`` as Headroom documents it.
Compression itself never raises into a user's LLM call: bad content passes
through unchanged with a logged reason, so only misconfiguration, storage and
lookup problems surface as exceptions.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CacheError",
    "CompressionError",
    "ConfigurationError",
    "HeadroomError",
    "ProviderError",
    "StorageError",
    "TokenizationError",
    "TransformError",
    "UnsupportedOptionWarning",
    "ValidationError",
]


class HeadroomError(Exception):
    """Base class of every error raised by headroom_integrations."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        if not self.details:
            return self.message
        shown = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.message} ({shown})"


class ConfigurationError(HeadroomError, ValueError):
    """Invalid configuration: an unknown option, a wrong type or an out-of-range value.

    Raised by config constructors and assignments, by :meth:`validate` when the
    engine uses a config, and by every public constructor given an unknown
    keyword argument. ``details``: ``field``, ``value``, ``allowed`` (and
    ``suggestion``, the closest valid name, for a typo). Also a ``ValueError``.
    """


class ProviderError(HeadroomError):
    """A provider or wrapped model cannot be used (unknown provider, a provider API failure).

    ``details`` carry ``provider`` and, when known, ``model``.
    """


class StorageError(HeadroomError):
    """A store (compression store or metrics database) cannot be opened, read or written.

    ``details`` carry the store ``url`` (or path) and the underlying ``error``.
    """


class CompressionError(HeadroomError):
    """Compression failed. Never raised into a caller by this package.

    Compressors fail open: the original content is kept and the reason is
    reported (``CompressResult.reasons`` / ``warnings``). The class exists so
    code written against Headroom's documented tree imports and catches unchanged.
    """


class TokenizationError(HeadroomError):
    """Token counting failed (for example, an encoding's data is missing or a model is unknown)."""


class CacheError(HeadroomError):
    """A ref cannot be served: unknown, expired or evicted (``details``: ``ref``, ``status``, ``store``)."""


class ValidationError(HeadroomError):
    """Input is not of an accepted shape: messages that are not a list of message dicts,
    an invalid ref, or a setup check that failed (``details["issues"]``)."""


class TransformError(HeadroomError):
    """A transform failed. Never raised into a caller by this package.

    :class:`TransformPipeline` skips a failing step, keeps its input and adds a
    warning to the result; the class exists for code written against Headroom.
    """


class UnsupportedOptionWarning(UserWarning):
    """A documented Headroom option was set to a value this engine cannot honour (it is ignored)."""
