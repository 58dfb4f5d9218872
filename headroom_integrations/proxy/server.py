"""Running the proxy with uvicorn (what ``headroom-integrations proxy`` calls)."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import ProxySettings

__all__ = ["serve"]


def serve(settings: ProxySettings) -> None:
    """Serve until interrupted; the access log shows method, path and status, never headers."""
    config = uvicorn.Config(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    uvicorn.Server(config).run()
