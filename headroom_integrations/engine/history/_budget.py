"""How many input tokens a history may use: an explicit budget, or a context limit less the output."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from ..models import context_limit_for

__all__ = ["check_positive", "resolve_budget"]


def check_positive(name: str, value: Any) -> int:
    """``value`` as a positive int, or ConfigurationError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"{name} must be a positive int", {"field": name, "value": value, "allowed": "[1, inf]"}
        )
    return value


def resolve_budget(token_budget: Any, model_limit: Any, model: str, output_buffer_tokens: int) -> int:
    """``token_budget`` when given, else ``model_limit`` (or the model's window) less the output buffer."""
    if token_budget is not None:
        return check_positive("token_budget", token_budget)
    limit = context_limit_for(model) if model_limit is None else check_positive("model_limit", model_limit)
    if limit <= output_buffer_tokens:
        raise ConfigurationError(
            "model_limit must exceed output_buffer_tokens",
            {"field": "model_limit", "value": limit, "allowed": f"({output_buffer_tokens}, inf]"},
        )
    return limit - output_buffer_tokens
