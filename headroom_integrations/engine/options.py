"""The engine options every integration component takes, validated once, and how it calls the engine.

A LangChain middleware, an Agno model, a tool hook: each takes the same knobs
(``config``, ``mode``, ``store``, ``metrics_store``, ``token_budget``,
``model``, ``tool_profiles``) and checks them when it is built, so a bad value raises
:class:`ConfigurationError` at construction, never inside an agent run.

They also share one metrics rule (:meth:`EngineOptions.engine_kwargs`): a
call is recorded in ``metrics_store`` only when it compressed something, was
asked to measure (audit mode; simulate records nothing, as in the engine) or
was answered with prompt-cache tokens (:meth:`EngineOptions.record_call`). A
call that changed nothing saved nothing, and two components that share a
store (a middleware and a model wrapper both see every model call) would
otherwise pad its request counts.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from .arguments import check_arguments
from .cache_control import CacheUsage
from .config import HeadroomConfig, HeadroomMode
from .errors import ConfigurationError
from .protocols import ConfigLike, MetricsSink, ModeLike, Store
from .tool_profiles import ToolProfile, resolve_tool_profiles

if TYPE_CHECKING:
    from .compress import CompressResult

__all__ = [
    "INLINE_CHARS",
    "EngineOptions",
    "OptionArgs",
    "check_budget",
    "check_flag",
    "check_option",
    "off_loop",
    "text_size",
]

# Async callers compress inline below this many characters of text, in a worker thread above:
# a small input compresses faster than a thread hop takes, a large one would stall the event loop.
INLINE_CHARS = 16_000

T = TypeVar("T")

logger = logging.getLogger(__name__)


def check_budget(value: Any, name: str = "token_budget") -> int | None:
    """``value`` when it is None or a positive int; ConfigurationError otherwise."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigurationError(
            f"{name} must be a positive int", {"field": name, "value": value, "allowed": "[1, inf]"}
        )
    return value


def check_flag(name: str, value: Any) -> bool:
    """``value`` when it is a bool; ConfigurationError naming the option otherwise (``1`` is not ``True``)."""
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be a bool", {"field": name, "value": value, "allowed": "bool"})
    return value


def _config(value: Any) -> HeadroomConfig | None:
    if value is None or isinstance(value, HeadroomConfig):
        return value
    if isinstance(value, Mapping):
        return HeadroomConfig.from_dict(value)
    raise ConfigurationError(
        "config must be a HeadroomConfig or a dict",
        {"field": "config", "value": type(value).__name__, "allowed": "HeadroomConfig | dict"},
    )


def _mode(value: Any) -> HeadroomMode | None:
    return None if value is None else HeadroomMode.parse(value)


def _model(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(
            "model must be a non-empty model name", {"field": "model", "value": value, "allowed": "str"}
        )
    return value


def _duck(name: str, kind: str, methods: tuple[str, ...], value: Any) -> Any:
    """``value`` when it is None or has every method of ``kind`` (stores are duck-typed)."""
    if value is not None and not all(callable(getattr(value, m, None)) for m in methods):
        raise ConfigurationError(
            f"{name} must be a {kind}", {"field": name, "value": type(value).__name__, "allowed": kind}
        )
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "config": _config,
    "mode": _mode,
    "store": functools.partial(_duck, "store", "CompressionStore", ("put", "retrieve")),
    "metrics_store": functools.partial(_duck, "metrics_store", "MetricsStore", ("record",)),
    "token_budget": check_budget,
    "model": _model,
    "tool_profiles": resolve_tool_profiles,
}


def check_option(name: str, value: Any) -> Any:
    """``value`` of engine option ``name``, normalised (a dict config parsed, a mode name made a mode).

    None stays None; an invalid value raises ConfigurationError naming the option.
    """
    return _CHECKS[name](value)


class OptionArgs(TypedDict, total=False):
    """The engine options every integration component takes as keywords (one definition for all of them).

    ``config``: a :class:`HeadroomConfig` or its dict form; ``mode``: optimize,
    audit or simulate; ``store``: where dropped content goes (the process
    default when None); ``metrics_store``: one row per compressed request;
    ``token_budget``: fit the history into this many tokens; ``model``: the
    model name for token counts and the context window; ``tool_profiles``:
    ``{tool name: ToolProfile or its dict}`` (``skip_compression``, crusher
    overrides) for the results of those tools.
    """

    config: ConfigLike | None
    mode: ModeLike | None
    store: Store | None
    metrics_store: MetricsSink | None
    token_budget: int | None
    model: str | None
    tool_profiles: Mapping[str, Any] | None


class _CountedCalls:
    """A metrics store that keeps only the calls that compressed something, measured (audit) or hit a cache."""

    __slots__ = ("store",)

    def __init__(self, store: Any) -> None:
        self.store = store

    def record(self, metrics: Any) -> None:
        cached = getattr(metrics, "cache_read_input_tokens", 0) or getattr(metrics, "cache_creation_input_tokens", 0)
        if metrics.transforms or metrics.mode != HeadroomMode.OPTIMIZE.value or cached:
            self.store.record(metrics)

    @property
    def feedback(self) -> Any:
        """The store itself, for the retrieval-feedback loop (engine/feedback.py), which it counts apart."""
        return self.store


@dataclass(frozen=True)
class EngineOptions:
    """Validated engine options; :meth:`engine_kwargs` is what ``engine.compress`` takes.

    ``token_budget`` and ``model`` are stored for the component to use as its
    framework needs (fit a history, pick a tokenizer); they are not engine kwargs.
    """

    config: HeadroomConfig = field(default_factory=HeadroomConfig)
    mode: HeadroomMode | None = None
    store: Store | None = None
    metrics_store: MetricsSink | None = None
    token_budget: int | None = None
    model: str | None = None
    integration: str = "engine"
    tool_profiles: Mapping[str, ToolProfile] = field(default_factory=dict)

    @classmethod
    def build(
        cls, *, integration: str = "engine", owner: str = "Headroom", own: Iterable[str] = (), **values: Any
    ) -> EngineOptions:
        """Check user-facing :class:`OptionArgs` values (a dict config, a mode name, ...) into options.

        An unknown keyword raises ConfigurationError naming the closest valid one (``tokn_budget``);
        ``own`` are the owner's other keyword names, suggested too.
        """
        unknown = {k: v for k, v in values.items() if k not in OptionArgs.__annotations__}
        check_arguments(owner, unknown, OptionArgs.__annotations__.keys() | set(own) - set(unknown))
        return cls(
            config=check_option("config", values.get("config")) or HeadroomConfig(),
            mode=check_option("mode", values.get("mode")),
            store=check_option("store", values.get("store")),
            metrics_store=check_option("metrics_store", values.get("metrics_store")),
            token_budget=check_option("token_budget", values.get("token_budget")),
            model=check_option("model", values.get("model")),
            integration=integration,
            tool_profiles=check_option("tool_profiles", values.get("tool_profiles")),
        )

    @property
    def run_mode(self) -> HeadroomMode:
        return self.mode if self.mode is not None else self.config.default_mode

    def budget(self, model: str) -> int:
        """``token_budget``, or ``model``'s context window less the configured output buffer."""
        if self.token_budget is not None:
            return self.token_budget
        limit = self.config.context_limit(model)
        return max(1, limit - self.config.intelligent_context.output_buffer_tokens)

    @property
    def changes_messages(self) -> bool:
        """Only optimize mode hands compressed content on; audit and simulate only measure."""
        return self.run_mode is HeadroomMode.OPTIMIZE

    @property
    def feedback_sink(self) -> MetricsSink | None:
        """Where ``headroom_retrieve`` calls are recorded: the metrics store, unless ``ccr.feedback_enabled`` is off."""
        return self.metrics_store if self.config.ccr.feedback_enabled else None

    @functools.cached_property
    def _counted_metrics(self) -> _CountedCalls | None:
        return None if self.metrics_store is None else _CountedCalls(self.metrics_store)

    @functools.cached_property
    def _feedback_only(self) -> Any:
        from .feedback import FeedbackOnly, feedback_log

        log = feedback_log(self.metrics_store)
        return None if log is None else FeedbackOnly(log)

    def engine_kwargs(self, config: HeadroomConfig | None = None, *, record: bool = True) -> dict[str, Any]:
        """Keyword arguments for ``engine.compress`` (``config``: another config for this call).

        Metrics go through the shared rule of this module: no row for a call that changed nothing.
        ``record=False`` leaves the row to :meth:`record_call`, once the provider answered (the
        store still takes part in the retrieval-feedback loop).
        """
        return {
            "config": self.config if config is None else config,
            "mode": self.mode,
            "store": self.store,
            "metrics_store": self._counted_metrics if record else self._feedback_only,
            "integration": self.integration,
            "tool_profiles": self.tool_profiles or None,
        }

    def record_call(
        self, result: CompressResult, cache: CacheUsage | None = None, *, provider: str | None = None
    ) -> None:
        """The metrics row of a call the provider answered, with the prompt-cache tokens it reported.

        Same rule as :meth:`engine_kwargs` (simulate and unchanged calls write no row); a
        metrics failure is logged, never raised into the user's call.
        """
        counted = self._counted_metrics
        if counted is None or result.mode is HeadroomMode.SIMULATE:
            return
        from .metrics import RequestMetrics  # the storage backends load only when metrics are kept

        cache = cache or CacheUsage()
        try:
            counted.record(
                RequestMetrics.of(
                    result,
                    integration=self.integration,
                    provider=provider,
                    cache_read_input_tokens=cache.cache_read_input_tokens,
                    cache_creation_input_tokens=cache.cache_creation_input_tokens,
                )
            )
        except Exception as exc:
            logger.warning("could not record headroom metrics: %s", type(exc).__name__)


def text_size(contents: Iterable[Any]) -> int:
    """Roughly how many characters of text ``contents`` hold (decides inline vs worker thread)."""
    return sum(len(c) if isinstance(c, str) else len(str(c)) for c in contents if c is not None)


async def off_loop(size: int, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` inline for a small input, in a worker thread for a large one."""
    if size > INLINE_CHARS:
        import asyncio  # loaded already when a coroutine runs; importing the engine stays light

        return await asyncio.to_thread(func, *args, **kwargs)
    return func(*args, **kwargs)
