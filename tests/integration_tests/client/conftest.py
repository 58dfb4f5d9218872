"""A loopback provider server per test, and the real SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.provider_servers import ProviderServer

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    with ProviderServer() as srv:
        yield srv


@pytest.fixture
def openai_client(server: ProviderServer) -> object:
    return openai.OpenAI(api_key="sk-test", base_url=server.openai_base_url, max_retries=0)


@pytest.fixture
def async_openai_client(server: ProviderServer) -> object:
    return openai.AsyncOpenAI(api_key="sk-test", base_url=server.openai_base_url, max_retries=0)


@pytest.fixture
def anthropic_client(server: ProviderServer) -> object:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=server.anthropic_base_url, max_retries=0)


@pytest.fixture
def async_anthropic_client(server: ProviderServer) -> object:
    return anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.anthropic_base_url, max_retries=0)
