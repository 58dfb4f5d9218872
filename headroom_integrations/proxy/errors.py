"""Errors the proxy answers with: a status, a stable ``error.type`` and a message.

Clients (the TypeScript SDK's ``mapProxyError`` among them) switch on
``error.type``; the body shape works for OpenAI- and Anthropic-style readers.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

__all__ = ["ProxyError", "error_response"]


class ProxyError(Exception):
    """A request the proxy refuses; never raised for content it merely cannot compress."""

    def __init__(self, status: int, error_type: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.details = dict(details or {})


def error_response(error: ProxyError) -> JSONResponse:
    body: dict[str, Any] = {"type": "error", "error": {"type": error.error_type, "message": error.message}}
    if error.details:
        body["error"]["details"] = error.details
    headers = {"www-authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, headers=headers)
