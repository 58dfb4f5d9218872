"""The compression proxy: ``/v1/compress`` for any client, and OpenAI/Anthropic-compatible pass-through.

Needs the ``proxy`` extra (FastAPI, uvicorn, httpx). Start it with
``headroom-integrations proxy`` or serve :func:`create_app` with any ASGI server.
"""

from __future__ import annotations

from .app import create_app
from .errors import ProxyError
from .server import serve
from .settings import API_KEY_ENV, DEFAULT_MAX_BODY_BYTES, ProxySettings

__all__ = ["API_KEY_ENV", "DEFAULT_MAX_BODY_BYTES", "ProxyError", "ProxySettings", "create_app", "serve"]
