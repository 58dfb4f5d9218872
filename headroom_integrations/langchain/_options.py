"""The engine options as LangChain components take them, and the model name a chat model reports.

Every component (middleware, LangGraph hooks, memory, retriever, tools, the
chat model) validates its knobs through the engine's :class:`EngineOptions`
when it is built; what is LangChain's alone is the integration name its
metrics rows carry and how a model name is read off a ``BaseChatModel``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from ..engine.models import resolve_model
from ..engine.options import EngineOptions

__all__ = ["EngineOptions", "build_options", "model_for", "model_name_of"]


def build_options(*, owner: str = "HeadroomChatModel", **values: Any) -> EngineOptions:
    """:meth:`EngineOptions.build` for a LangChain component (its metrics rows say ``langchain``)."""
    return EngineOptions.build(integration="langchain", owner=owner, **values)


def model_name_of(model: Any) -> str | None:
    """The model name a chat model reports to LangSmith (None when it reports none)."""
    if isinstance(model, str):
        return model or None
    if not isinstance(model, BaseChatModel):
        return None
    try:
        name = model._get_ls_params().get("ls_model_name")
    except Exception:  # a provider's ls params must never break compression
        name = None
    if not isinstance(name, str) or not name:
        name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return name if isinstance(name, str) and name else None


def model_for(options: EngineOptions, chat_model: Any = None) -> str:
    """Model name for token counts: the explicit one, else the chat model's (:func:`resolve_model`)."""
    return resolve_model(options.model, model_name_of(chat_model))
