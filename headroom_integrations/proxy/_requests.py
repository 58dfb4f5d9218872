"""Reading a request: the size limit, the API key and the JSON body."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request

from .errors import ProxyError

__all__ = ["PROXY_KEY_HEADER", "check_api_key", "read_json"]

# The header that carries the proxy's own key; on pass-through routes the provider's
# Authorization / x-api-key headers belong to the upstream and are forwarded untouched.
PROXY_KEY_HEADER = "x-headroom-api-key"


def _presented_key(request: Request, *, bearer_allowed: bool) -> str | None:
    key = request.headers.get(PROXY_KEY_HEADER)
    if key is None and bearer_allowed:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    return key


def check_api_key(request: Request, expected: str | None, *, bearer_allowed: bool) -> None:
    """Raise 401 unless the request presents ``expected`` (constant-time compare); no key configured: open."""
    if expected is None:
        return
    presented = _presented_key(request, bearer_allowed=bearer_allowed)
    if presented is None:
        raise ProxyError(401, "authentication_error", f"missing API key: send it in the {PROXY_KEY_HEADER} header")
    if not hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")):
        raise ProxyError(401, "authentication_error", "invalid API key")


def _too_large(limit: int) -> ProxyError:
    return ProxyError(413, "request_too_large", f"request body exceeds {limit} bytes", {"max_body_bytes": limit})


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> tuple[bytes, dict[str, Any]]:
    """The raw body and its JSON object; 413 over ``limit`` bytes, 400 unless it is a JSON object."""
    raw = await _read_body(request, limit)
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProxyError(400, "invalid_json", f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ProxyError(400, "invalid_json", "request body is nested too deeply") from None
    if not isinstance(value, dict):
        raise ProxyError(400, "invalid_request", f"request body must be a JSON object, got {type(value).__name__}")
    return raw, value
