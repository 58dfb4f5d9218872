"""Facts about model families: context windows and list prices.

Prices are USD per million tokens as published by the providers on
2026-11-01 (``PRICES_AS_OF``). They only feed *estimates* of cost saved;
an unknown model has no price (``None``), never a made-up default.
``cached_input_per_million`` is the price of a prompt-cache hit where the
provider publishes one (None: not known here).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_MODEL",
    "PRICES_AS_OF",
    "ModelPrice",
    "context_limit_for",
    "known_context_limit",
    "price_for",
    "resolve_model",
]

PRICES_AS_OF = "2026-11-01"
# The model assumed when none can be read off the caller's model (token counts, context window).
DEFAULT_MODEL = "gpt-4o"
# ``init_chat_model``-style provider prefixes ("openai:gpt-4o"); other colons belong to the name ("llama3:8b").
_PROVIDER_PREFIXES = frozenset(
    {
        "anthropic",
        "azure_openai",
        "bedrock",
        "bedrock_converse",
        "cohere",
        "deepseek",
        "fireworks",
        "google_anthropic_vertex",
        "google_genai",
        "google_vertexai",
        "groq",
        "huggingface",
        "ibm",
        "mistralai",
        "nvidia",
        "ollama",
        "openai",
        "perplexity",
        "together",
        "xai",
    }
)


def resolve_model(*candidates: object) -> str:
    """The first usable model name among ``candidates``, else :data:`DEFAULT_MODEL`.

    Every integration names its model through this one rule: explicit option
    first, then what the framework's model reports. A ``provider:model``
    string (``"openai:gpt-4o"``, as ``init_chat_model`` takes) gives its model part.
    """
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            name = candidate.strip()
            provider, sep, rest = name.partition(":")
            return rest if sep and rest and provider in _PROVIDER_PREFIXES else name
    return DEFAULT_MODEL


@dataclass(frozen=True)
class ModelPrice:
    """List price of one model family, USD per million tokens."""

    input_per_million: float
    output_per_million: float
    cached_input_per_million: float | None = None


# Longest prefix wins, so "gpt-4o-mini" is matched before "gpt-4o".
_CONTEXT_LIMITS: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "o1": 200_000,
    "o3": 200_000,
    "o4": 200_000,
    "claude": 200_000,
    "gemini": 1_048_576,
    "llama": 128_000,
    "mistral": 128_000,
}

_PRICES: dict[str, ModelPrice] = {
    "gpt-5-nano": ModelPrice(0.05, 0.40, 0.005),
    "gpt-5-mini": ModelPrice(0.25, 2.0, 0.025),
    "gpt-5": ModelPrice(1.25, 10.0, 0.125),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40, 0.025),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60, 0.10),
    "gpt-4.1": ModelPrice(2.0, 8.0, 0.50),
    "gpt-4o-mini": ModelPrice(0.15, 0.60, 0.075),
    "gpt-4o": ModelPrice(2.50, 10.0, 1.25),
    "gpt-4-turbo": ModelPrice(10.0, 30.0),
    "gpt-4": ModelPrice(30.0, 60.0),
    "gpt-3.5-turbo": ModelPrice(0.50, 1.50),
    "o3": ModelPrice(2.0, 8.0, 0.50),
    "o4-mini": ModelPrice(1.10, 4.40, 0.275),
    "o1": ModelPrice(15.0, 60.0, 7.50),
    # Anthropic prompt-cache reads cost a tenth of the input price.
    "claude-3-5-haiku": ModelPrice(0.80, 4.0, 0.08),
    "claude-haiku": ModelPrice(1.0, 5.0, 0.10),
    "claude-opus-4-5": ModelPrice(5.0, 25.0, 0.50),
    "claude-opus": ModelPrice(15.0, 75.0, 1.50),
    "claude": ModelPrice(3.0, 15.0, 0.30),
    "gemini-2.5-flash": ModelPrice(0.30, 2.50),
    "gemini": ModelPrice(1.25, 10.0),
    "mistral": ModelPrice(2.0, 6.0),
    "llama": ModelPrice(0.60, 0.60),
}


def _longest_prefix(model: str, table: dict[str, object]) -> str | None:
    name = (model or "").lower().rsplit("/", 1)[-1]
    best = None
    for prefix in table:
        if name.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def context_limit_for(model: str, default: int = 128_000) -> int:
    """Context window of ``model``'s family, or ``default`` when unknown."""
    limit = known_context_limit(model)
    return default if limit is None else limit


def known_context_limit(model: str) -> int | None:
    """Context window of ``model``'s family, or None when no known family matches."""
    key = _longest_prefix(model, _CONTEXT_LIMITS)  # type: ignore[arg-type]
    return _CONTEXT_LIMITS[key] if key else None


def price_for(model: str) -> ModelPrice | None:
    """List price of ``model``'s family, or None when the model is unknown (callers say "no price")."""
    key = _longest_prefix(model, _PRICES)  # type: ignore[arg-type]
    return _PRICES[key] if key else None
