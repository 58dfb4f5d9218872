"""HeadroomClient: the OpenAI or Anthropic SDK client you already use, with its requests compressed first."""

from __future__ import annotations

import difflib
import inspect
import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..engine.ccr.store import CompressionStore, get_default_store
from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.errors import ConfigurationError, HeadroomError
from ..engine.metrics import MetricsStore, RequestMetrics
from ..engine.storage.sqlite import MEMORY_PATH, parse_store_url
from ..engine.tokens.encodings import ENCODINGS, get_counter
from ..providers import AnthropicProvider, GoogleProvider, OpenAIProvider, Provider
from ._anthropic import AsyncMessages, Messages
from ._openai import Chat
from ._pipeline import Pipeline

__all__ = ["HeadroomClient"]

logger = logging.getLogger(__name__)

_PROVIDERS: dict[str, type[Provider]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "google": GoogleProvider,
}
_PARAMETERS = (
    "original_client",
    "provider",
    "default_mode",
    "config",
    "store_url",
    "metrics_url",
    "model_context_limits",
)


def _sdk_kind(client: Any) -> tuple[str, bool]:
    """``("openai" | "anthropic", is_async)`` from the SDK client's shape; ConfigurationError otherwise."""
    create = getattr(getattr(getattr(client, "chat", None), "completions", None), "create", None)
    if callable(create):
        return "openai", inspect.iscoroutinefunction(create)
    create = getattr(getattr(client, "messages", None), "create", None)
    if callable(create):
        return "anthropic", inspect.iscoroutinefunction(create)
    raise ConfigurationError(
        "original_client must be an OpenAI, AsyncOpenAI, Anthropic or AsyncAnthropic client",
        {"field": "original_client", "value": type(client).__name__, "allowed": ["OpenAI", "Anthropic"]},
    )


def _provider(value: Any, kind: str, config: HeadroomConfig) -> Provider:
    if value is None:
        value = kind
    if isinstance(value, str):
        if value.lower() not in _PROVIDERS:
            raise ConfigurationError(
                f"unknown provider {value!r}", {"field": "provider", "value": value, "allowed": sorted(_PROVIDERS)}
            )
        return _PROVIDERS[value.lower()](config=config)
    if not isinstance(value, Provider):
        raise ConfigurationError(
            "provider must be a Provider or its name",
            {"field": "provider", "value": type(value).__name__, "allowed": sorted(_PROVIDERS)},
        )
    if value.name not in (kind, "provider"):
        raise ConfigurationError(
            f"{type(value).__name__} does not speak the {kind} SDK's API",
            {"field": "provider", "value": value.name, "allowed": [kind]},
        )
    return value


def _config(value: Any, model_context_limits: Mapping[str, int] | None) -> HeadroomConfig:
    if value is None:
        config = HeadroomConfig()
    elif isinstance(value, HeadroomConfig):
        config = value
    elif isinstance(value, Mapping):
        config = HeadroomConfig.from_dict(value)
    else:
        raise ConfigurationError(
            "config must be a HeadroomConfig or a dict",
            {"field": "config", "value": type(value).__name__, "allowed": "HeadroomConfig | dict"},
        )
    if model_context_limits:
        config = replace(config, model_context_limits={**config.model_context_limits, **model_context_limits})
    return config


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    return value  # numbers and None; MetricsStore validates the rest


def _writable(url: str) -> tuple[bool, str]:
    _, path = parse_store_url(url, ("sqlite", "jsonl", "memory"), "store")
    if path == MEMORY_PATH:
        return True, "in memory (this process only)"
    target = Path(path)
    folder_ok = target.parent.is_dir() and os.access(target.parent, os.W_OK)
    if target.is_file() and os.access(target, os.W_OK) and folder_ok:
        return True, f"{path} is writable"
    if not target.exists() and folder_ok:
        return True, f"{path} can be created"
    return False, f"{path} is not writable (or its folder is missing)"


class HeadroomClient:
    """Wraps ``OpenAI()``, ``AsyncOpenAI()``, ``Anthropic()`` or ``AsyncAnthropic()``.

    ``client.chat.completions.create(...)`` (OpenAI) and
    ``client.messages.create(...)`` (Anthropic) compress the conversation
    through :func:`~headroom_integrations.engine.compress.compress`, then call
    the SDK with every other parameter as given and return the SDK's own
    response (or stream). Per-request options: ``headroom_mode``,
    ``headroom_keep_turns``, ``headroom_tool_profiles``,
    ``headroom_token_budget``, ``headroom_output_buffer_tokens``,
    ``headroom_query``. Anything else on the client is the SDK client's.

    ``store_url`` keeps dropped originals (sqlite:// or memory://; default:
    the process store that :func:`retrieve` reads) and, unless
    ``metrics_url`` says otherwise, the per-request metrics (default: memory).
    """

    def __init__(
        self,
        original_client: Any,
        provider: Provider | str | None = None,
        default_mode: HeadroomMode | str = "optimize",
        config: HeadroomConfig | Mapping[str, Any] | None = None,
        store_url: str | None = None,
        metrics_url: str | None = None,
        model_context_limits: Mapping[str, int] | None = None,
        **unknown: Any,
    ) -> None:
        for name in unknown:
            close = difflib.get_close_matches(name, _PARAMETERS, n=1)
            raise ConfigurationError(
                f"HeadroomClient got an unknown argument {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                {"field": name, "value": unknown[name], "allowed": list(_PARAMETERS)},
            )
        kind, is_async = _sdk_kind(original_client)
        self._original = original_client
        self.kind = kind
        self.is_async = is_async
        self.config = _config(config, model_context_limits)
        self.provider = _provider(provider, kind, self.config)
        self.mode = HeadroomMode.parse(default_mode)
        self.store_url = store_url
        self.metrics_url = metrics_url or (store_url if store_url and store_url.startswith("sqlite") else "memory://")
        self._owned: list[Any] = []
        store = get_default_store() if store_url is None else CompressionStore(self.config.ccr, url=store_url)
        if store_url is not None:
            self._owned.append(store)
        metrics = MetricsStore(self.metrics_url)
        self._owned.append(metrics)
        self._pipeline = Pipeline(
            provider=self.provider, config=self.config, mode=self.mode, store=store, metrics=metrics
        )
        if kind == "openai":
            self.chat = Chat(original_client.chat, self._pipeline, is_async=is_async)
        else:
            wrapper = AsyncMessages if is_async else Messages
            self.messages = wrapper(original_client.messages, self._pipeline)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "_original" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self._original, name)

    @property
    def original_client(self) -> Any:
        """The SDK client as given."""
        return self._original

    @property
    def store(self) -> CompressionStore:
        """Where dropped originals are kept (what :func:`retrieve` needs for this client's refs)."""
        store: CompressionStore = self._pipeline.store
        return store

    def get_stats(self) -> dict[str, Any]:
        """This session's totals, the configuration and which transforms are on (read from memory only)."""
        c = self.config
        return {
            "session": self._pipeline.session.snapshot(),
            "config": {
                "mode": self.mode.value,
                "provider": self.provider.name,
                "sdk": f"{'async ' if self.is_async else ''}{self.kind}",
                "store_url": self.store_url or "memory:// (process default store)",
                "metrics_url": self.metrics_url,
                "model_context_limits": dict(c.model_context_limits),
            },
            "transforms": {
                "smart_crusher_enabled": c.smart_crusher.enabled,
                "content_compression_enabled": c.content.enabled,
                "cache_aligner_enabled": c.cache_aligner.enabled,
                "intelligent_context_enabled": c.intelligent_context.enabled,
                "rolling_window_enabled": c.rolling_window.enabled,
                "ccr_enabled": c.ccr.enabled,
                "feedback_hints_enabled": c.smart_crusher.use_feedback_hints,
                "feedback_recording_enabled": c.ccr.feedback_enabled,
            },
            "provider": self.provider.describe(),
        }

    def get_metrics(
        self,
        start_time: float | datetime | None = None,
        end_time: float | datetime | None = None,
        limit: int | None = 100,
    ) -> list[RequestMetrics]:
        """Recorded requests in ``[start_time, end_time)``, newest first (epoch seconds or datetimes)."""
        return self._pipeline.metrics.get_metrics(_epoch(start_time), _epoch(end_time), limit)

    def get_summary(
        self, start_time: float | datetime | None = None, end_time: float | datetime | None = None
    ) -> dict[str, Any]:
        """Totals over the window (total_requests, total_tokens_saved, avg_compression_ratio, total_cost_saved_usd).

        The totals are the model calls'; ``by_kind`` holds each record kind's own summary
        (``model_call``, ``tool_result``), never added together; ``learned_adjustments`` is
        what ``headroom_retrieve`` calls taught per tool.
        """
        summary = self._pipeline.metrics.get_summary(_epoch(start_time), _epoch(end_time))
        return summary.to_dict()

    def validate_setup(self) -> dict[str, Any]:
        """Check the provider, the tokenizer data and that the stores are writable; ``valid`` if all pass."""
        issues: list[str] = []
        provider_ok = self.provider.name in (self.kind, "provider")
        if not provider_ok:
            issues.append(f"provider {self.provider.name!r} does not match the {self.kind} client")
        encodings: dict[str, str] = {}
        for name in sorted(ENCODINGS):
            try:
                encodings[name] = get_counter(name).backend
            except HeadroomError as exc:
                encodings[name] = "unavailable"
                issues.append(f"tokenizer data {name}: {exc.message}")
        storage: dict[str, Any] = {}
        for label, url in (("store", self.store_url or "memory://"), ("metrics", self.metrics_url)):
            ok, detail = _writable(url)
            storage[label] = {"url": url, "writable": ok, "detail": detail}
            if not ok:
                issues.append(f"{label} {detail}")
        return {
            "valid": not issues,
            "issues": issues,
            "provider": {**self.provider.describe(), "ok": provider_ok, "sdk": self.kind, "async": self.is_async},
            "tokenizer": {"encodings": encodings, "ok": all(v != "unavailable" for v in encodings.values())},
            "storage": {"url": storage["store"]["url"], **storage},
            "mode": self.mode.value,
        }

    def close(self) -> None:
        """Release the stores this client opened (the process default store stays)."""
        for handle in self._owned:
            handle.close()

    def __enter__(self) -> HeadroomClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
