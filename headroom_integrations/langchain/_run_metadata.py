"""Metadata on traced runs: added to a run already started, or given to the runs a step is about to start.

LangChain tracers (LangSmith's included) keep each open run in ``run_map`` and
send its ``extra["metadata"]`` again when the run ends, so metadata added to
that record before the end reaches the trace (:func:`annotate_run`). Runs a
step starts inside :func:`metadata_for_runs` inherit its metadata through the
runnable config LangChain reads from context. Handlers that keep no run record
are left alone; a tracing problem never fails the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.outputs import LLMResult
from langchain_core.runnables.config import ensure_config, var_child_runnable_config

__all__ = ["annotate_run", "metadata_for_runs"]

logger = logging.getLogger(__name__)


def _annotate(handlers: Iterable[Any], run_id: Any, metadata: Mapping[str, Any]) -> None:
    """Merge ``metadata`` into each handler's record of run ``run_id`` (those that keep one)."""
    for handler in handlers:
        run_map = getattr(handler, "run_map", None)
        run = run_map.get(str(run_id)) if isinstance(run_map, dict) else None
        extra = getattr(run, "extra", None)
        if not isinstance(extra, dict):
            continue
        try:
            extra.setdefault("metadata", {}).update(metadata)
        except Exception as exc:  # tracing is best effort
            logger.debug("headroom: could not annotate run %s: %r", run_id, exc)


def annotate_run(run_manager: Any, metadata: Mapping[str, Any]) -> None:
    """Merge ``metadata`` into the tracers' record of ``run_manager``'s run."""
    if run_manager is not None:
        _annotate(getattr(run_manager, "handlers", None) or (), run_manager.run_id, metadata)


class _OnLLMEnd(BaseCallbackHandler):
    """Adds metadata computed from a model run's result to that run before the tracers close it."""

    run_inline = True  # must run before the tracers' on_llm_end, which send the run

    def __init__(self, handlers: list[Any], metadata_of: Callable[[LLMResult], Mapping[str, Any]]) -> None:
        super().__init__()
        self._handlers = handlers
        self._metadata_of = metadata_of

    def on_llm_end(self, response: LLMResult, *, run_id: Any, **kwargs: Any) -> None:
        try:
            metadata = self._metadata_of(response)
        except Exception as exc:  # tracing is best effort
            logger.debug("headroom: no end-of-run metadata: %r", exc)
            return
        _annotate(self._handlers, run_id, metadata)


def _first(handler: _OnLLMEnd, callbacks: Any) -> Any:
    """``callbacks`` (a copy) with ``handler`` ahead of every other handler; None stays None (no tracers)."""
    if isinstance(callbacks, list):
        handler._handlers = callbacks
        return [handler, *callbacks]
    if isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        handler._handlers = list(callbacks.handlers)
        manager.handlers = [handler, *manager.handlers]
        manager.inheritable_handlers = [handler, *manager.inheritable_handlers]
        return manager
    return callbacks


@contextmanager
def metadata_for_runs(
    metadata: Mapping[str, Any], on_llm_end: Callable[[LLMResult], Mapping[str, Any]] | None = None
) -> Iterator[None]:
    """Runs started inside this block (e.g. the model call of an agent step) carry ``metadata``.

    ``on_llm_end`` computes more metadata from a model run's result (its usage),
    added to that run before the tracers send it.
    """
    config = ensure_config()
    child: dict[str, Any] = {**config, "metadata": {**config.get("metadata", {}), **metadata}}
    if on_llm_end is not None:
        child["callbacks"] = _first(_OnLLMEnd([], on_llm_end), config.get("callbacks"))
    token = var_child_runnable_config.set(child)  # type: ignore[arg-type]
    try:
        yield
    finally:
        var_child_runnable_config.reset(token)
