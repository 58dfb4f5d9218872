"""The proxy's one configuration object, validated once when it is built."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..engine.config import HeadroomConfig
from ..engine.errors import ConfigurationError

__all__ = ["API_KEY_ENV", "DEFAULT_MAX_BODY_BYTES", "ProxySettings"]

API_KEY_ENV = "HEADROOM_PROXY_API_KEY"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024


def _bad(field: str, value: Any, allowed: str) -> ConfigurationError:
    return ConfigurationError(
        f"ProxySettings.{field} must be {allowed}", {"field": field, "value": value, "allowed": allowed}
    )


def _check_url(field: str, value: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad(field, value, "an http:// or https:// URL")
    return value.rstrip("/")


@dataclass(frozen=True)
class ProxySettings:
    """Where the proxy listens, where it forwards, and what it keeps.

    Upstream URLs are the base URLs each provider's own SDK uses: the OpenAI
    one ends in ``/v1`` (requests go to ``{upstream_openai}/chat/completions``),
    the Anthropic one does not (``{upstream_anthropic}/v1/messages``).
    ``api_key`` None means no auth; ``metrics_url`` None records savings in
    ``store_url``'s database. ``repr`` never shows the key.
    """

    host: str = "127.0.0.1"
    port: int = 8787
    upstream_openai: str = "https://api.openai.com/v1"
    upstream_anthropic: str = "https://api.anthropic.com"
    api_key: str | None = None
    store_url: str = "sqlite:///headroom.db"
    metrics_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    upstream_timeout_s: float = 600.0
    config: HeadroomConfig | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host:
            raise _bad("host", self.host, "a non-empty host name or address")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise _bad("port", self.port, "an int in [0, 65535]")
        object.__setattr__(self, "upstream_openai", _check_url("upstream_openai", self.upstream_openai))
        object.__setattr__(self, "upstream_anthropic", _check_url("upstream_anthropic", self.upstream_anthropic))
        if self.api_key is not None and (not isinstance(self.api_key, str) or not self.api_key):
            raise _bad("api_key", "<hidden>", "a non-empty str or None")
        for field in ("store_url", "metrics_url"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, str) or "://" not in value):
                raise _bad(field, value, "a store URL such as sqlite:///headroom.db or memory://")
        if isinstance(self.max_body_bytes, bool) or not isinstance(self.max_body_bytes, int) or self.max_body_bytes < 1:
            raise _bad("max_body_bytes", self.max_body_bytes, "a positive int")
        timeout = self.upstream_timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise _bad("upstream_timeout_s", timeout, "a positive number of seconds")
        if self.config is not None and not isinstance(self.config, HeadroomConfig):
            raise _bad("config", type(self.config).__name__, "a HeadroomConfig or None")

    def __repr__(self) -> str:
        key = "None" if self.api_key is None else "'<hidden>'"
        return (
            f"ProxySettings(host={self.host!r}, port={self.port}, upstream_openai={self.upstream_openai!r}, "
            f"upstream_anthropic={self.upstream_anthropic!r}, api_key={key}, store_url={self.store_url!r}, "
            f"metrics_url={self.metrics_url!r}, max_body_bytes={self.max_body_bytes})"
        )

    @classmethod
    def with_env_key(cls, **values: Any) -> ProxySettings:
        """Settings whose ``api_key`` falls back to ``HEADROOM_PROXY_API_KEY`` when not given."""
        if values.get("api_key") is None:
            values["api_key"] = os.environ.get(API_KEY_ENV) or None
        return cls(**values)
