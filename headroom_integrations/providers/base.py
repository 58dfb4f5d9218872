"""What every provider shares: context limits with overrides, cost estimates, the token-counter protocol."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ..engine.cache_control import CacheUsage
from ..engine.config import HeadroomConfig
from ..engine.errors import ConfigurationError, ProviderError, ValidationError
from ..engine.models import PRICES_AS_OF, known_context_limit, price_for
from ..engine.options import check_flag
from ..engine.tokens import Tokenizer, get_tokenizer

__all__ = ["CacheUsage", "Provider", "TokenCounter", "check_flag", "match_model_limit"]


@runtime_checkable
class TokenCounter(Protocol):
    """Counts tokens of a text and of a message list (both return an int; a ``TokenCount`` says if exact)."""

    def count_text(self, text: str) -> int: ...

    def count_messages(self, messages: Any) -> int: ...


def _usage_int(usage: Any, name: str) -> int:
    value = getattr(usage, name, None)
    if value is None and isinstance(usage, Mapping):
        value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def match_model_limit(model: str, limits: Mapping[str, int]) -> int | None:
    """The limit whose key equals ``model`` or is its longest prefix (dated names: ``gpt-4o-2024-08-06``)."""
    best = max((n for n in limits if model.startswith(n)), key=len, default=None)
    return None if best is None else limits[best]


def _check_tokens(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a non-negative int", {"field": name, "value": value})
    return value


class Provider:
    """Base of the vendor providers; subclasses set :attr:`name` and may refine counting and caching.

    ``context_limits`` (and ``config.model_context_limits``) override the
    built-in windows; a key matches a model equal to it or starting with it
    (``"my-model"`` covers ``"my-model-2026-01-01"``), the longest key winning.
    """

    name = "provider"

    def __init__(self, *, config: HeadroomConfig | None = None, context_limits: Mapping[str, int] | None = None):
        if config is not None and not isinstance(config, HeadroomConfig):
            raise ConfigurationError(
                "provider config must be a HeadroomConfig",
                {"field": "config", "value": type(config).__name__, "allowed": "HeadroomConfig"},
            )
        limits = dict(context_limits or {})
        for model, limit in limits.items():
            if not isinstance(model, str) or isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ConfigurationError(
                    "context_limits maps model names to positive ints",
                    {"field": f"context_limits[{model!r}]", "value": limit, "allowed": "[1, inf]"},
                )
        self.config = config
        self.context_limits = limits

    def get_token_counter(self, model: str) -> TokenCounter:
        """The engine's tokenizer for ``model`` (exact for OpenAI families, a flagged estimate otherwise)."""
        tokenizer: Tokenizer = get_tokenizer(model)
        return tokenizer

    def get_context_limit(self, model: str) -> int:
        """Context window of ``model``: overrides first, then the known families; ProviderError if unknown."""
        overrides = {**(self.config.model_context_limits if self.config else {}), **self.context_limits}
        limit = match_model_limit(model, overrides)
        if limit is None:
            limit = known_context_limit(model)
        if limit is None:
            raise ProviderError(
                f"unknown context window for model {model!r}; set it with context_limits= or "
                "HeadroomConfig(model_context_limits=...)",
                {"model": model, "provider": self.name, "field": "model_context_limits"},
            )
        return limit

    def estimate_cost(
        self,
        *,
        input_tokens: int,
        output_tokens: int = 0,
        model: str,
        cached_input_tokens: int = 0,
    ) -> float | None:
        """USD at list prices (as of :data:`PRICES_AS_OF`); None for a model of no known family.

        ``cached_input_tokens`` are the part of ``input_tokens`` served from the
        provider's prompt cache; where no cached price is known they are
        charged at the input price (an upper bound, never a guess below it).
        """
        input_tokens = _check_tokens("input_tokens", input_tokens)
        output_tokens = _check_tokens("output_tokens", output_tokens)
        cached = _check_tokens("cached_input_tokens", cached_input_tokens)
        if cached > input_tokens:
            raise ValidationError(
                "cached_input_tokens cannot exceed input_tokens",
                {"field": "cached_input_tokens", "value": cached, "input_tokens": input_tokens},
            )
        price = price_for(model)
        if price is None:
            return None
        cached_rate = (
            price.input_per_million if price.cached_input_per_million is None else price.cached_input_per_million
        )
        return (
            math.fsum(
                (
                    (input_tokens - cached) * price.input_per_million,
                    cached * cached_rate,
                    output_tokens * price.output_per_million,
                )
            )
            / 1_000_000
        )

    @property
    def prices_as_of(self) -> str:
        """The date of the price table behind :meth:`estimate_cost`."""
        return PRICES_AS_OF

    def cache_usage(self, response: Any) -> CacheUsage:
        """Prompt-cache tokens in ``response.usage`` (Anthropic's field names; subclasses map theirs)."""
        usage = getattr(response, "usage", None)
        return CacheUsage(
            _usage_int(usage, "cache_read_input_tokens"), _usage_int(usage, "cache_creation_input_tokens")
        )

    def prepare_request(self, params: dict[str, Any]) -> dict[str, Any]:
        """The request to send (after compression); the base provider sends it as it is."""
        return params

    def describe(self) -> dict[str, Any]:
        """Name and settings, for ``HeadroomClient.get_stats()`` and ``validate_setup()``."""
        return {"name": self.name, "context_limits": dict(self.context_limits)}
