"""The engine settings shared by the middleware, LangGraph hooks, memory, retriever and tools.

Each component takes the same knobs (``config``, ``mode``, ``store``,
``metrics_store``, a ``model`` name for token counting and context limits) and
checks them when it is built, so a bad value raises
:class:`ConfigurationError` at construction, never inside an agent run.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.errors import ConfigurationError

__all__ = ["EngineOptions", "check_budget", "model_name_of", "off_loop", "text_chars"]

DEFAULT_MODEL = "gpt-4o"
# Async callers compress inline below this many characters of text, in a worker thread above.
_INLINE_CHARS = 16_000

T = TypeVar("T")


def check_budget(value: Any, name: str = "token_budget") -> int | None:
    """``value`` when it is None or a positive int; ConfigurationError otherwise."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigurationError(
            f"{name} must be a positive int", {"field": name, "value": value, "allowed": "[1, inf]"}
        )
    return value


def _as_config(value: Any) -> HeadroomConfig:
    if value is None:
        return HeadroomConfig()
    if isinstance(value, HeadroomConfig):
        return value
    if isinstance(value, Mapping):
        return HeadroomConfig.from_dict(value)
    raise ConfigurationError(
        "config must be a HeadroomConfig or a dict",
        {"field": "config", "value": type(value).__name__, "allowed": "HeadroomConfig | dict"},
    )


def _check_methods(value: Any, name: str, kind: str, *methods: str) -> None:
    if value is not None and not all(callable(getattr(value, m, None)) for m in methods):
        raise ConfigurationError(
            f"{name} must be a {kind}", {"field": name, "value": type(value).__name__, "allowed": kind}
        )


def model_name_of(model: Any) -> str | None:
    """The model name a chat model reports to LangSmith (None when it reports none)."""
    if isinstance(model, str):
        return model or None
    if not isinstance(model, BaseChatModel):
        return None
    try:
        name = model._get_ls_params().get("ls_model_name")
    except Exception:  # a provider's ls params must never break compression
        name = None
    if not isinstance(name, str) or not name:
        name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return name if isinstance(name, str) and name else None


@dataclass(frozen=True)
class EngineOptions:
    """Validated engine settings plus the two derived values every component needs."""

    config: HeadroomConfig = field(default_factory=HeadroomConfig)
    mode: HeadroomMode | None = None
    store: Any = None
    metrics_store: Any = None
    model: str | None = None

    @classmethod
    def build(
        cls,
        *,
        config: Any = None,
        mode: Any = None,
        store: Any = None,
        metrics_store: Any = None,
        model: Any = None,
    ) -> EngineOptions:
        """Check user-facing values (a dict config, a mode name, a model name)."""
        _check_methods(store, "store", "CompressionStore", "put", "retrieve")
        _check_methods(metrics_store, "metrics_store", "MetricsStore", "record")
        if model is not None and (not isinstance(model, str) or not model):
            raise ConfigurationError(
                "model must be a non-empty model name", {"field": "model", "value": model, "allowed": "str"}
            )
        return cls(
            config=_as_config(config),
            mode=None if mode is None else HeadroomMode.parse(mode),
            store=store,
            metrics_store=metrics_store,
            model=model,
        )

    @property
    def run_mode(self) -> HeadroomMode:
        return self.mode if self.mode is not None else self.config.default_mode

    @property
    def changes_messages(self) -> bool:
        """Only optimize mode hands compressed messages on; audit and simulate only measure."""
        return self.run_mode is HeadroomMode.OPTIMIZE

    @functools.cached_property
    def fit_config(self) -> HeadroomConfig:
        """The config for history fitting: content already compressed once is not compressed again."""
        return self.config.with_changes(content=replace(self.config.content, enabled=False))

    @functools.cached_property
    def strict_fit_config(self) -> HeadroomConfig:
        """The fitting config that may also drop the last turns (when keeping them cannot fit)."""
        context = replace(self.fit_config.intelligent_context, keep_last_turns=0)
        return self.fit_config.with_changes(intelligent_context=context)

    def model_for(self, chat_model: Any = None) -> str:
        """Model name for token counts: the explicit one, else the chat model's, else gpt-4o."""
        return self.model or model_name_of(chat_model) or DEFAULT_MODEL

    def budget(self, token_budget: int | None, model: str) -> int:
        """``token_budget``, or the model's context window less the configured output buffer."""
        if token_budget is not None:
            return token_budget
        limit = self.config.context_limit(model)
        return max(1, limit - self.config.intelligent_context.output_buffer_tokens)

    def engine_kwargs(self, *, fitting: bool = False, strict: bool = False) -> dict[str, Any]:
        """Keyword arguments for ``engine.compress`` (``fitting``: content compression off;
        ``strict``: the last turns are not protected either)."""
        config = self.strict_fit_config if strict else self.fit_config if fitting else self.config
        return {
            "config": config,
            "mode": self.mode,
            "store": self.store,
            "metrics_store": self.metrics_store,
            "integration": "langchain",
        }


def text_chars(messages: Iterable[BaseMessage]) -> int:
    """Roughly how much text ``messages`` hold (decides inline vs worker-thread compression)."""
    return sum(len(m.content) if isinstance(m.content, str) else len(str(m.content)) for m in messages)


async def off_loop(chars: int, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``func`` inline when its input is small, else in a worker thread (the event loop keeps going)."""
    if chars > _INLINE_CHARS:
        return await asyncio.to_thread(func, *args, **kwargs)
    return func(*args, **kwargs)
