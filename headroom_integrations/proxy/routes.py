"""The ``/v1/compress``, ``/v1/retrieve``, ``/v1/stats`` handlers: validate the body, call the engine off the loop."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..engine.compress import CompressResult
from ..engine.config import HeadroomConfig
from ..engine.errors import CacheError, ConfigurationError, ValidationError
from .engine import ProxyEngine
from .errors import ProxyError

__all__ = ["compress_body", "retrieve_body", "savings_headers", "stats_body"]

logger = logging.getLogger(__name__)


def _field(body: dict[str, Any], name: str, types: type | tuple[type, ...], allowed: str) -> Any:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
        raise ProxyError(400, "invalid_request", f"{name} must be {allowed}", {"field": name})
    return value


def _config(value: Any) -> HeadroomConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProxyError(400, "invalid_request", "config must be a JSON object of HeadroomConfig fields")
    try:
        return HeadroomConfig.from_dict(value)
    except ConfigurationError as exc:
        raise ProxyError(400, "configuration_error", exc.message, _jsonable(exc.details)) from None


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool, type(None), list)) else repr(v) for k, v in details.items()}


def savings_headers(result: CompressResult) -> dict[str, str]:
    return {
        "x-headroom-tokens-before": str(result.tokens_before),
        "x-headroom-tokens-after": str(result.tokens_after),
        "x-headroom-tokens-saved": str(result.tokens_saved),
    }


async def compress_body(engine: ProxyEngine, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``/v1/compress`` answer and its savings headers."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ProxyError(400, "invalid_request", "messages must be a list of OpenAI-format message objects")
    model = _field(body, "model", str, "a model name") or "gpt-4o"
    budget = _field(body, "token_budget", int, "a positive integer")
    query = _field(body, "query", str, "a string")
    mode = _field(body, "mode", str, "one of optimize, audit, simulate")
    config = _config(body.get("config"))
    try:
        result = await run_in_threadpool(
            engine.compress,
            messages,
            model,
            route="compress",
            query=query,
            token_budget=budget,
            mode=mode,
            config=config,
        )
    except (ConfigurationError, ValidationError) as exc:
        raise ProxyError(
            400,
            "configuration_error" if isinstance(exc, ConfigurationError) else "invalid_request",
            exc.message,
            _jsonable(exc.details),
        ) from None
    except Exception as exc:  # fail open: the caller gets its messages back, with the reason
        logger.warning("proxy /v1/compress failed open: %r", exc)
        return _unchanged(messages, model, f"compression failed open: {type(exc).__name__}: {exc}"), {}
    answer = {
        "messages": result.messages,
        "tokens_before": result.tokens_before,
        "tokens_after": result.tokens_after,
        "tokens_saved": result.tokens_saved,
        "savings_percent": result.savings_percent,
        "transforms_applied": result.transforms_applied,
        "refs": result.refs,
        "compression_ms": round(result.compression_ms, 3),
        "mode": result.mode.value,
        "model": result.model,
        "tokens_estimated": result.tokens_estimated,
        "warnings": list(result.warnings),
    }
    return answer, savings_headers(result)


def _unchanged(messages: list[Any], model: str, reason: str) -> dict[str, Any]:
    return {
        "messages": messages,
        "tokens_before": 0,
        "tokens_after": 0,
        "tokens_saved": 0,
        "savings_percent": 0.0,
        "transforms_applied": [],
        "refs": [],
        "compression_ms": 0.0,
        "mode": "optimize",
        "model": model,
        "tokens_estimated": True,
        "warnings": [reason],
    }


async def retrieve_body(engine: ProxyEngine, body: dict[str, Any]) -> dict[str, Any]:
    ref = body.get("ref")
    if not isinstance(ref, str) or not ref:
        raise ProxyError(400, "invalid_request", "ref must be a non-empty string (a ref from /v1/compress)")
    query = _field(body, "query", str, "a string")
    try:
        content = await run_in_threadpool(engine.retrieve, ref, query)
    except CacheError as exc:
        raise ProxyError(404, "ref_not_found", exc.message, {"ref": ref}) from None
    return {"ref": ref, "query": query, "content": content}


async def stats_body(engine: ProxyEngine) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        summary = engine.metrics_store.get_summary()
        return {
            "process": engine.counters.snapshot(),
            "store": engine.store.stats().to_dict(),
            "stored_totals": {**summary.totals(), "prices_as_of": summary.prices_as_of},
        }

    return await run_in_threadpool(read)
