"""Model providers: token counting, context windows, list prices and prompt caching per vendor.

A provider answers the questions whose answers differ between OpenAI,
Anthropic and Google: how to count tokens for a model, how large its context
window is, what a call costs, and how to let the vendor's prompt cache keep
the byte-stable prefix Headroom produces. :class:`~headroom_integrations.client.HeadroomClient`
picks one from the SDK client it wraps; the engine itself never needs one.
"""

from __future__ import annotations

from .anthropic import AnthropicProvider, AnthropicTokenCounter
from .base import CacheUsage, Provider, TokenCounter
from .google import GoogleProvider
from .openai import OpenAIProvider

__all__ = [
    "AnthropicProvider",
    "AnthropicTokenCounter",
    "CacheUsage",
    "GoogleProvider",
    "OpenAIProvider",
    "Provider",
    "TokenCounter",
]
