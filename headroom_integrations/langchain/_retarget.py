"""Swap one model for another inside a runnable built by that model.

``bind_tools`` and ``with_structured_output`` are provider-specific: only the
wrapped model knows how to format tools, pick a structured-output method and
parse the answer. So we let it build the runnable, then put the Headroom model
where the wrapped model sits. Bound kwargs (tools, tool_choice,
response_format, ...) then flow through Headroom's call into the wrapped
model's provider call, and inputs are compressed on the way.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseLanguageModel
from langchain_core.runnables import Runnable
from pydantic import BaseModel

__all__ = ["replace_model"]


def _replace_in(value: Any, old: Runnable[Any, Any], new: Runnable[Any, Any]) -> Any:
    if isinstance(value, Runnable):
        return replace_model(value, old, new)
    if isinstance(value, list):
        items = [_replace_in(v, old, new) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=False)) else value
    if isinstance(value, dict):
        entries = {k: _replace_in(v, old, new) for k, v in value.items()}
        return entries if any(entries[k] is not value[k] for k in value) else value
    return value


def replace_model(runnable: Runnable[Any, Any], old: Runnable[Any, Any], new: Runnable[Any, Any]) -> Runnable[Any, Any]:
    """``runnable`` with every occurrence of ``old`` replaced by ``new``.

    Walks the fields of pydantic runnables (bindings, sequences, parallels,
    fallbacks, assigns, ...), copying only what changes. Models themselves are
    not entered, so a model that wraps ``old`` is left alone. Returns
    ``runnable`` itself when ``old`` does not occur in it.
    """
    if runnable is old:
        return new
    if isinstance(runnable, BaseLanguageModel) or not isinstance(runnable, BaseModel):
        return runnable
    updates = {}
    for name in type(runnable).model_fields:
        value = getattr(runnable, name, None)
        replaced = _replace_in(value, old, new)
        if replaced is not value:
            updates[name] = replaced
    return runnable.model_copy(update=updates) if updates else runnable
