"""Forwarding a request to the upstream provider and streaming its answer back byte for byte."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ._requests import PROXY_KEY_HEADER
from .errors import ProxyError

__all__ = ["forward", "upstream_headers"]

# Hop-by-hop headers (RFC 9110 7.6.1) and those httpx recomputes; never forwarded either way.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def upstream_headers(request: Request) -> list[tuple[str, str]]:
    """The client's headers as the upstream should see them: its auth passes through, the proxy's key does not."""
    return [
        (name, value) for name, value in request.headers.items() if name not in _HOP_BY_HOP and name != PROXY_KEY_HEADER
    ]


async def forward(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: list[tuple[str, str]],
    extra_headers: Mapping[str, str],
) -> StreamingResponse:
    """POST ``body`` to ``url`` and stream the upstream's status, headers and raw bytes back (SSE included)."""
    request = client.build_request("POST", url, content=body, headers=headers)
    try:
        upstream = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise ProxyError(
            502, "upstream_unreachable", f"cannot reach the upstream at {url}: {type(exc).__name__}", {"url": url}
        ) from None
    response = StreamingResponse(
        upstream.aiter_raw(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
    )
    response.raw_headers = [
        (name, value)
        for name, value in upstream.headers.raw
        if name.decode("latin-1").lower() not in _HOP_BY_HOP - {"content-length"}
    ] + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra_headers.items()]
    return response
