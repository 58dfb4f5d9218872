"""What LangChain users pass as a model, turned into the chat model Headroom wraps.

A chat model as is; a ``"provider:model"`` string through ``init_chat_model``
(a clear error naming the package to install when the provider's is missing);
a configurable model (``init_chat_model(..., configurable_fields=...)``, or
``.configurable_fields(...)`` / ``.configurable_alternatives(...)`` on a chat
model) as its default model plus the source that picks the model per call
from ``config["configurable"]``. Retry and fallback runnables wrap the calls
Headroom must make itself, so they are refused with the composition that works.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.configurable import DynamicRunnable
from langchain_core.runnables.fallbacks import RunnableWithFallbacks
from langchain_core.runnables.retry import RunnableRetry

from ..engine.errors import ConfigurationError

__all__ = ["as_chat_model", "model_for_config"]


def _error(message: str, value: Any, allowed: str) -> ConfigurationError:
    return ConfigurationError(message, {"field": "wrapped_model", "value": type(value).__name__, "allowed": allowed})


def _from_string(name: str) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    try:
        model = init_chat_model(name)
    except ImportError as exc:  # the provider's package is not installed: its message names it
        raise ConfigurationError(
            f"cannot build chat model {name!r}: {exc}", {"field": "wrapped_model", "value": name, "allowed": "str"}
        ) from exc
    except Exception as exc:  # an unknown provider, missing credentials: the provider's own words
        raise ConfigurationError(
            f"cannot build chat model {name!r}: {type(exc).__name__}: {exc}",
            {"field": "wrapped_model", "value": name, "allowed": "'provider:model', e.g. 'openai:gpt-4o'"},
        ) from exc
    if not isinstance(model, BaseChatModel):
        raise _error(f"init_chat_model({name!r}) did not give a chat model", model, "BaseChatModel")
    return model


def _is_configurable_model(value: Any) -> bool:
    """``init_chat_model(...)`` with configurable fields (langchain's ``_ConfigurableModel``)."""
    return isinstance(value, Runnable) and callable(getattr(value, "_model", None)) and hasattr(value, "_model_params")


def model_for_config(source: Runnable[Any, Any], config: RunnableConfig | None) -> BaseChatModel:
    """The chat model ``source`` stands for under ``config`` (its ``configurable`` values)."""
    if _is_configurable_model(source):
        model = source._model(config)  # type: ignore[attr-defined]
    elif isinstance(source, DynamicRunnable):
        model, _ = source._prepare(config)
    else:
        model = source
    if not isinstance(model, BaseChatModel):
        raise _error("the configured model is not a chat model", model, "BaseChatModel")
    return model


def as_chat_model(value: Any) -> tuple[BaseChatModel, Runnable[Any, Any] | None]:
    """The chat model to wrap, and the configurable source to re-resolve per call (None: fixed model)."""
    if isinstance(value, BaseChatModel):
        return value, None
    if isinstance(value, str):
        return _from_string(value), None
    if isinstance(value, (RunnableRetry, RunnableWithFallbacks)):
        raise _error(
            f"{type(value).__name__} wraps the model call Headroom makes itself; wrap first, then add it: "
            "HeadroomChatModel(model).with_retry(...) / .with_fallbacks([HeadroomChatModel(other)])",
            value,
            "BaseChatModel, a 'provider:model' string or a configurable chat model",
        )
    if _is_configurable_model(value) or isinstance(value, DynamicRunnable):
        try:
            return model_for_config(value, None), value
        except ConfigurationError:
            raise
        except Exception as exc:  # init_chat_model() with no default model, say
            raise _error(f"the configurable model has no usable default: {exc}", value, "a default model") from exc
    raise _error(
        "wrapped_model must be a LangChain chat model, a 'provider:model' string or a configurable chat model",
        value,
        "BaseChatModel | str | configurable chat model",
    )
