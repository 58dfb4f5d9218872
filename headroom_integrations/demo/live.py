"""``--live``: the demo with a real provider model instead of the scripted one.

OpenAI is used when ``OPENAI_API_KEY`` is set and ``langchain-openai`` is
installed, else Anthropic (``ANTHROPIC_API_KEY`` + ``langchain-anthropic``).
The Agno agent gets the same provider through Agno's own model class when
its SDK is importable (both LangChain packages install it).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from typing import Any

__all__ = ["LiveModels", "LiveUnavailable", "live_models"]


class LiveUnavailable(Exception):
    """No provider can be used: the message says what to set or install."""


@dataclass(frozen=True)
class _Provider:
    key: str
    langchain_package: str
    langchain_class: str
    agno_module: str
    agno_class: str
    default_model: str


_PROVIDERS = (
    _Provider("OPENAI_API_KEY", "langchain_openai", "ChatOpenAI", "agno.models.openai", "OpenAIChat", "gpt-4o-mini"),
    _Provider(
        "ANTHROPIC_API_KEY",
        "langchain_anthropic",
        "ChatAnthropic",
        "agno.models.anthropic",
        "Claude",
        "claude-3-5-haiku-latest",
    ),
)


@dataclass(frozen=True)
class LiveModels:
    """The provider's LangChain chat model, its Agno model (None when unavailable) and the model name."""

    langchain: Any
    agno: Any
    name: str


def _agno_model(provider: _Provider, name: str) -> Any:
    try:
        module = importlib.import_module(provider.agno_module)
    except ImportError:  # agno not installed, or the provider SDK missing
        return None
    return getattr(module, provider.agno_class)(id=name)


def live_models(model: str | None = None) -> LiveModels:
    """The first provider with both an API key and its LangChain package; LiveUnavailable otherwise."""
    for provider in _PROVIDERS:
        if os.environ.get(provider.key) and importlib.util.find_spec(provider.langchain_package):
            name = model or provider.default_model
            chat_class = getattr(importlib.import_module(provider.langchain_package), provider.langchain_class)
            return LiveModels(chat_class(model=name), _agno_model(provider, name), name)
    wanted = " or ".join(f"{p.key} with {p.langchain_package.replace('_', '-')} installed" for p in _PROVIDERS)
    raise LiveUnavailable(
        f"--live needs {wanted} (e.g. pip install langchain-openai; export OPENAI_API_KEY=...). "
        "Without --live the demo runs offline with a scripted model."
    )
