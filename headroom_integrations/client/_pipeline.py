"""One request through Headroom: split off the ``headroom_*`` options, compress, record what it saved."""

from __future__ import annotations

import difflib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..engine.adapter import offers_retrieve_tool
from ..engine.compress import CompressResult, compress
from ..engine.config import HeadroomConfig, HeadroomMode
from ..engine.errors import ConfigurationError, ProviderError
from ..engine.feedback import FeedbackOnly
from ..engine.metrics import MetricsStore, RequestMetrics
from ..engine.options import check_budget, off_loop, text_size
from ..engine.simulate import SimulationResult, simulate
from ..engine.tool_profiles import ToolProfile, resolve_tool_profiles
from ..providers.base import CacheUsage, Provider, match_model_limit

__all__ = ["HEADROOM_OPTIONS", "Pipeline", "RequestOptions", "Session"]

logger = logging.getLogger(__name__)

HEADROOM_OPTIONS = (
    "headroom_mode",
    "headroom_keep_turns",
    "headroom_tool_profiles",
    "headroom_token_budget",
    "headroom_output_buffer_tokens",
    "headroom_query",
)
INTEGRATION = "client"


def _non_negative(name: str, value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigurationError(
            f"{name} must be a non-negative int", {"field": name, "value": value, "allowed": "[0, inf]"}
        )
    return value


@dataclass(frozen=True)
class RequestOptions:
    """The validated ``headroom_*`` options of one request, and the SDK parameters left over."""

    mode: HeadroomMode
    config: HeadroomConfig
    token_budget: int | None
    output_buffer_tokens: int | None
    query: str | None
    tool_profiles: dict[str, ToolProfile]
    params: dict[str, Any]

    @classmethod
    def parse(cls, kwargs: Mapping[str, Any], *, mode: HeadroomMode, config: HeadroomConfig) -> RequestOptions:
        """Split ``kwargs``; a misspelt ``headroom_*`` option raises ConfigurationError naming the closest one."""
        ours = {k: v for k, v in kwargs.items() if k.startswith("headroom_")}
        for key in ours:
            if key not in HEADROOM_OPTIONS:
                close = difflib.get_close_matches(key, HEADROOM_OPTIONS, n=1)
                raise ConfigurationError(
                    f"unknown option {key!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                    {"field": key, "value": ours[key], "allowed": list(HEADROOM_OPTIONS)},
                )
        keep_turns = _non_negative("headroom_keep_turns", ours.get("headroom_keep_turns"))
        buffer = _non_negative("headroom_output_buffer_tokens", ours.get("headroom_output_buffer_tokens"))
        query = ours.get("headroom_query")
        if query is not None and not isinstance(query, str):
            raise ConfigurationError(
                "headroom_query must be a str", {"field": "headroom_query", "value": query, "allowed": "str"}
            )
        if keep_turns is not None or buffer is not None:
            changes: dict[str, Any] = {}
            if keep_turns is not None:
                changes["keep_last_turns"] = keep_turns
            if buffer is not None:
                changes["output_buffer_tokens"] = buffer
            config = replace(config, intelligent_context=replace(config.intelligent_context, **changes))
        return cls(
            mode=HeadroomMode.parse(ours.get("headroom_mode") or mode),
            config=config,
            token_budget=check_budget(ours.get("headroom_token_budget"), "headroom_token_budget"),
            output_buffer_tokens=buffer,
            query=query,
            tool_profiles=resolve_tool_profiles(ours.get("headroom_tool_profiles")),
            params={k: v for k, v in kwargs.items() if k not in ours},
        )


class Session:
    """Running totals of this client's requests, kept in memory (``get_stats`` reads no database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.totals = {
            "requests_total": 0,
            "requests_optimized": 0,
            "requests_failed_open": 0,
            "tokens_before_total": 0,
            "tokens_after_total": 0,
            "tokens_saved_total": 0,
            "cache_read_input_tokens_total": 0,
            "cache_creation_input_tokens_total": 0,
        }
        self.compression_ms_total = 0.0

    def add(self, result: CompressResult, usage: CacheUsage) -> None:
        with self._lock:
            t = self.totals
            t["requests_total"] += 1
            t["requests_optimized"] += 1 if result.transforms_applied and result.mode is HeadroomMode.OPTIMIZE else 0
            t["requests_failed_open"] += 1 if any("failed open" in w for w in result.warnings) else 0
            t["tokens_before_total"] += result.tokens_before
            t["tokens_after_total"] += result.tokens_after
            t["tokens_saved_total"] += result.tokens_saved
            t["cache_read_input_tokens_total"] += usage.cache_read_input_tokens
            t["cache_creation_input_tokens_total"] += usage.cache_creation_input_tokens
            self.compression_ms_total += result.compression_ms

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {**self.totals, "compression_ms_total": round(self.compression_ms_total, 3)}


class Pipeline:
    """Compression and bookkeeping shared by the OpenAI and Anthropic wrappers (sync and async)."""

    def __init__(
        self,
        *,
        provider: Provider,
        config: HeadroomConfig,
        mode: HeadroomMode,
        store: Any,
        metrics: MetricsStore,
    ) -> None:
        self.provider = provider
        self.config = config
        self.mode = mode
        self.store = store
        self.metrics = metrics
        self.session = Session()

    def options(self, kwargs: Mapping[str, Any]) -> RequestOptions:
        return RequestOptions.parse(kwargs, mode=self.mode, config=self.config)

    def _budget(self, model: str, opts: RequestOptions) -> int | None:
        """``headroom_token_budget``, or the model's window less ``headroom_output_buffer_tokens``."""
        if opts.token_budget is not None or opts.output_buffer_tokens is None:
            return opts.token_budget
        try:
            limit = match_model_limit(model, self.config.model_context_limits) or self.provider.get_context_limit(model)
        except ProviderError as exc:
            logger.warning("no token budget for %s: %s", model, exc)
            return None
        return max(1, limit - opts.output_buffer_tokens)

    def _engine_kwargs(self, model: str, opts: RequestOptions) -> dict[str, Any]:
        return {
            "query": opts.query,
            "token_budget": self._budget(model, opts),
            "config": opts.config,
            "tool_profiles": opts.tool_profiles,
            "retrieve_tool": offers_retrieve_tool(opts.params.get("tools")),
        }

    def compress(self, messages: Any, model: str, opts: RequestOptions) -> CompressResult | None:
        """The engine's one front door; None (send the request as given) when it cannot take the input.

        Misconfiguration raises; anything else is logged and the call goes on
        uncompressed. Nothing is recorded until the provider answered.
        """
        try:
            kwargs = self._engine_kwargs(model, opts)
            # Requests are recorded once the provider answered (record()); the feedback loop reads the store now.
            feedback = FeedbackOnly(self.metrics)
            return compress(
                messages,
                model,
                mode=opts.mode,
                store=self.store,
                metrics_store=feedback,
                integration=INTEGRATION,
                **kwargs,
            )
        except ConfigurationError:
            raise
        except Exception as exc:
            logger.warning("headroom client sends the request uncompressed: %r", exc)
            return None

    async def acompress(self, messages: Any, model: str, opts: RequestOptions) -> CompressResult | None:
        """:meth:`compress` off the event loop when the input is large."""
        size = text_size(m.get("content") if isinstance(m, Mapping) else m for m in messages or ())
        return await off_loop(size, self.compress, messages, model, opts)

    def simulate(self, messages: Any, model: str, opts: RequestOptions) -> SimulationResult:
        """The plan for this request: no API call, nothing stored or recorded."""
        return simulate(messages, model, **self._engine_kwargs(model, opts))

    def record(self, result: CompressResult | None, response: Any) -> None:
        """Add the request to the session and the metrics store; a bookkeeping failure never fails the call."""
        if result is None:
            return
        try:
            usage = self.provider.cache_usage(response) if response is not None else CacheUsage()
            self.session.add(result, usage)
            self.metrics.record(
                RequestMetrics.of(
                    result,
                    integration=INTEGRATION,
                    provider=self.provider.name,
                    cache_read_input_tokens=usage.cache_read_input_tokens,
                    cache_creation_input_tokens=usage.cache_creation_input_tokens,
                )
            )
        except Exception as exc:
            logger.warning("could not record headroom metrics: %r", exc)
