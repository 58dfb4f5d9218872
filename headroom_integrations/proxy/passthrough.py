"""OpenAI- and Anthropic-compatible pass-through: compress the request, forward it, stream the answer back.

Compression never blocks the call: when the body has no messages list, or the
engine cannot help, the original bytes go upstream unchanged and the
``x-headroom-skipped`` header says why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..engine.adapter import offers_retrieve_tool
from .engine import ProxyEngine
from .forward import forward, upstream_headers
from .routes import savings_headers
from .wire import Wire

__all__ = ["pass_through"]

logger = logging.getLogger(__name__)


async def _compressed(
    engine: ProxyEngine, wire: Wire, raw: bytes, body: dict[str, Any]
) -> tuple[bytes, dict[str, str]]:
    """The body to send upstream and the headers that report what compression did."""
    messages = wire.messages(body)
    if messages is None:
        return raw, {"x-headroom-skipped": "no messages list in the request"}
    model = body["model"] if isinstance(body.get("model"), str) else "gpt-4o"
    try:
        offered = offers_retrieve_tool(body.get("tools") if isinstance(body.get("tools"), list) else None)
        result = await run_in_threadpool(engine.compress, messages, model, route=wire.route, retrieve_tool=offered)
    except Exception as exc:  # fail open: the provider gets the request as the client sent it
        logger.warning("proxy %s: forwarding uncompressed: %r", wire.route, exc)
        return raw, {"x-headroom-skipped": f"compression failed: {type(exc).__name__}"}
    headers = savings_headers(result)
    if result.source_indices != list(range(len(messages))):
        # Pass-through never fits a budget, so messages stay aligned; if not, send the original.
        return raw, {**headers, "x-headroom-skipped": "message order changed"}
    if not result.transforms_applied or result.messages == messages:
        return raw, headers
    new_body = wire.rebuild(body, result.messages)
    return json.dumps(new_body, ensure_ascii=False).encode("utf-8"), headers


async def pass_through(
    request: Request,
    engine: ProxyEngine,
    client: httpx.AsyncClient,
    wire: Wire,
    upstream: str,
    raw: bytes,
    body: dict[str, Any],
) -> StreamingResponse:
    sent, headers = await _compressed(engine, wire, raw, body)
    url = upstream + wire.upstream_path
    if request.url.query:
        url += "?" + request.url.query
    return await forward(client, url, sent, upstream_headers(request), headers)
