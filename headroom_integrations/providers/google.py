"""Google Gemini: calibrated token estimates, context windows and prices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.config import HeadroomConfig
from .base import CacheUsage, Provider, _usage_int, check_flag

__all__ = ["GoogleProvider"]


class GoogleProvider(Provider):
    """Gemini models: token counts are the engine's flagged estimates (no offline Gemini tokenizer).

    ``enable_context_caching`` is recorded and reported by ``describe()``:
    Gemini's explicit context caches are objects created through Google's API,
    and :class:`~headroom_integrations.client.HeadroomClient` wraps only the
    OpenAI and Anthropic SDKs, so nothing here creates one. The engine keeps
    the compressed prefix byte-stable, which Gemini's implicit caching uses.
    """

    name = "google"

    def __init__(
        self,
        enable_context_caching: bool = True,
        *,
        config: HeadroomConfig | None = None,
        context_limits: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(config=config, context_limits=context_limits)
        self.enable_context_caching = check_flag("enable_context_caching", enable_context_caching)

    def cache_usage(self, response: Any) -> CacheUsage:
        """Gemini reports ``cached_content_token_count`` in its usage metadata; read as cache reads."""
        meta = getattr(response, "usage_metadata", None)
        return CacheUsage(cache_read_input_tokens=_usage_int(meta, "cached_content_token_count"))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "enable_context_caching": self.enable_context_caching}
