"""The proxy's ASGI app: routes, auth, error shapes and per-route request metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._requests import check_api_key, read_json
from .engine import ProxyEngine
from .errors import ProxyError, error_response
from .passthrough import pass_through
from .routes import compress_body, retrieve_body, stats_body
from .settings import ProxySettings
from .wire import ANTHROPIC, OPENAI

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_ROUTES = {
    "/v1/compress": "compress",
    "/v1/retrieve": "retrieve",
    "/v1/stats": "stats",
    "/health": "health",
    "/metrics": "metrics",
    "/v1/chat/completions": OPENAI.route,
    "/v1/messages": ANTHROPIC.route,
}


class _RequestMetrics:
    """Counts every answer by route and status and times it until its last byte (streams included)."""

    def __init__(self, app: ASGIApp, engine: ProxyEngine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = _ROUTES.get(scope["path"], "other")
            self.engine.counters.observe_request(route, status, time.perf_counter() - started)


def create_app(settings: ProxySettings) -> FastAPI:
    """The proxy as an ASGI app (serve it with uvicorn); stores open now, the upstream client on startup."""
    engine = ProxyEngine(settings)
    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=settings.upstream_timeout_s, limits=limits) as client:
            state["client"] = client
            try:
                yield
            finally:
                engine.close()

    app = FastAPI(title="headroom-integrations proxy", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.engine = engine
    limit = settings.max_body_bytes

    @app.exception_handler(ProxyError)
    async def _proxy_error(_: Request, exc: ProxyError) -> Response:
        return error_response(exc)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> Response:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(ProxyError(exc.status_code, kind, str(exc.detail)))

    def authorize(request: Request, *, bearer_allowed: bool = True) -> None:
        check_api_key(request, settings.api_key, bearer_allowed=bearer_allowed)

    @app.post("/v1/compress")
    async def compress_route(request: Request) -> Response:
        authorize(request)
        _, body = await read_json(request, limit)
        answer, headers = await compress_body(engine, body)
        return JSONResponse(answer, headers=headers)

    @app.post("/v1/retrieve")
    async def retrieve_route(request: Request) -> Response:
        authorize(request)
        _, body = await read_json(request, limit)
        return JSONResponse(await retrieve_body(engine, body))

    @app.get("/v1/stats")
    async def stats_route(request: Request) -> Response:
        authorize(request)
        return JSONResponse(await stats_body(engine))

    @app.get("/health")
    async def health_route() -> Response:
        from .. import __version__

        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics")
    async def metrics_route(request: Request) -> Response:
        authorize(request)
        return PlainTextResponse(engine.counters.render(), media_type="text/plain; version=0.0.4")

    @app.post("/v1/chat/completions")
    async def openai_route(request: Request) -> Response:
        authorize(request, bearer_allowed=False)
        raw, body = await read_json(request, limit)
        return await pass_through(request, engine, state["client"], OPENAI, settings.upstream_openai, raw, body)

    @app.post("/v1/messages")
    async def anthropic_route(request: Request) -> Response:
        authorize(request, bearer_allowed=False)
        raw, body = await read_json(request, limit)
        return await pass_through(request, engine, state["client"], ANTHROPIC, settings.upstream_anthropic, raw, body)

    app.add_middleware(_RequestMetrics, engine=engine)
    return app
