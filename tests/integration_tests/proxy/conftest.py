"""A real proxy (uvicorn on a free loopback port) in front of a loopback fake upstream."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the proxy extra is not installed")

from headroom_integrations.proxy import ProxySettings, create_app  # noqa: E402
from tests.support.asgi_server import serve_app  # noqa: E402
from tests.support.upstreams import FakeUpstream  # noqa: E402

API_KEY = "proxy-secret"


@dataclass
class Proxy:
    url: str
    settings: ProxySettings
    engine: Any
    upstream: FakeUpstream

    @property
    def auth(self) -> dict[str, str]:
        return {"x-headroom-api-key": API_KEY} if self.settings.api_key else {}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def start_proxy(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Any]:
    """Start a proxy with the given settings overrides; every proxy started stops at teardown."""
    stack = contextlib.ExitStack()

    def start(**overrides: Any) -> Proxy:
        values: dict[str, Any] = {
            "upstream_openai": upstream.url + "/v1",
            "upstream_anthropic": upstream.url,
            "store_url": f"sqlite:///{tmp_path / 'headroom.db'}",
            **overrides,
        }
        settings = ProxySettings(**values)
        app = create_app(settings)
        url = stack.enter_context(serve_app(app))
        return Proxy(url, settings, app.state.engine, upstream)

    with stack:
        yield start


@pytest.fixture
def proxy(start_proxy: Any) -> Proxy:
    return start_proxy(api_key=API_KEY)
