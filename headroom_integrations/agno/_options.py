"""The Headroom options every Agno component takes, validated once.

``HeadroomAgnoModel``, ``HeadroomCompressionManager`` and ``HeadroomToolHook``
accept the same knobs as the LangChain wrapper (``config``, ``mode``,
``token_budget`` where it applies, ``store``, ``metrics_store``); a bad value
raises :class:`ConfigurationError` when the component is built, never inside an
agent run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.errors import ConfigurationError

__all__ = ["HeadroomOptions"]


def _config(value: Any) -> HeadroomConfig | None:
    if value is None or isinstance(value, HeadroomConfig):
        return value
    if isinstance(value, Mapping):
        return HeadroomConfig.from_dict(value)
    raise ConfigurationError(
        "config must be a HeadroomConfig or a dict",
        {"field": "config", "value": type(value).__name__, "allowed": "HeadroomConfig"},
    )


def _budget(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigurationError(
            "token_budget must be a positive int",
            {"field": "token_budget", "value": value, "allowed": "[1, inf]"},
        )
    return value


def _has(value: Any, *methods: str) -> bool:
    return all(callable(getattr(value, m, None)) for m in methods)


@dataclass(frozen=True)
class HeadroomOptions:
    """Validated engine options; :meth:`engine_kwargs` is what ``engine.compress`` takes."""

    config: HeadroomConfig | None = None
    mode: HeadroomMode | None = None
    token_budget: int | None = None
    store: Any = None
    metrics_store: Any = None

    @classmethod
    def build(
        cls,
        *,
        config: Any = None,
        mode: Any = None,
        token_budget: Any = None,
        store: Any = None,
        metrics_store: Any = None,
    ) -> HeadroomOptions:
        """Validate user-facing values (a dict config, a mode name) into options."""
        if store is not None and not _has(store, "put", "retrieve"):
            raise ConfigurationError(
                "store must be a CompressionStore",
                {"field": "store", "value": type(store).__name__, "allowed": "CompressionStore"},
            )
        if metrics_store is not None and not _has(metrics_store, "record"):
            raise ConfigurationError(
                "metrics_store must be a MetricsStore",
                {"field": "metrics_store", "value": type(metrics_store).__name__, "allowed": "MetricsStore"},
            )
        return cls(
            config=_config(config),
            mode=None if mode is None else HeadroomMode.parse(mode),
            token_budget=_budget(token_budget),
            store=store,
            metrics_store=metrics_store,
        )

    def engine_kwargs(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "mode": self.mode,
            "token_budget": self.token_budget,
            "store": self.store,
            "metrics_store": self.metrics_store,
            "integration": "agno",
        }
