"""Exception tree shared by the engine and every integration.

Every error carries a human message plus a ``details`` dict so callers (and
logs) can see *which* field or ref was at fault without parsing text.
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
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.details.items()))
        return f"{self.message} ({shown})"


class ConfigurationError(HeadroomError):
    """A configuration value is missing, of the wrong type or out of range."""


class ProviderError(HeadroomError):
    """The wrapped model or provider misbehaved in a way Headroom cannot hide."""


class StorageError(HeadroomError):
    """A store (compression cache or metrics) could not be read or written."""


class CompressionError(HeadroomError):
    """A compressor failed; the engine turns this into a fail-open reason."""


class TokenizationError(HeadroomError):
    """Token counting failed (for example, encoding data is missing)."""


class CacheError(HeadroomError):
    """A reversible-compression ref is unknown or has expired."""


class ValidationError(HeadroomError):
    """Input data (messages, payloads) is not of an accepted shape."""


class TransformError(HeadroomError):
    """A transform of the pipeline failed; the pipeline falls back to its input."""
