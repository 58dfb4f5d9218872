"""OpenAI: exact offline token counts and automatic prefix caching."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.config import HeadroomConfig
from .base import CacheUsage, Provider, _usage_int, check_flag

__all__ = ["OpenAIProvider"]


class OpenAIProvider(Provider):
    """OpenAI models: token counts are exact (the engine's offline tiktoken encodings).

    OpenAI caches any prompt prefix of 1024+ tokens by itself; Headroom's part
    is keeping the compressed prefix byte-stable, which the engine does
    anyway. ``enable_prefix_caching`` decides whether the cached prompt tokens
    the response reports (``usage.prompt_tokens_details.cached_tokens``) are
    counted in the savings; nothing is added to the request either way.
    """

    name = "openai"

    def __init__(
        self,
        enable_prefix_caching: bool = True,
        *,
        config: HeadroomConfig | None = None,
        context_limits: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(config=config, context_limits=context_limits)
        self.enable_prefix_caching = check_flag("enable_prefix_caching", enable_prefix_caching)

    def cache_usage(self, response: Any) -> CacheUsage:
        """``cached_tokens`` of the response's prompt usage, reported as cache reads."""
        if not self.enable_prefix_caching:
            return CacheUsage()
        details = getattr(getattr(response, "usage", None), "prompt_tokens_details", None)
        return CacheUsage(cache_read_input_tokens=_usage_int(details, "cached_tokens"))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "enable_prefix_caching": self.enable_prefix_caching}
