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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from langchain_core.runnables.config import ensure_config, var_child_runnable_config

__all__ = ["annotate_run", "metadata_for_runs"]

logger = logging.getLogger(__name__)


def annotate_run(run_manager: Any, metadata: Mapping[str, Any]) -> None:
    """Merge ``metadata`` into the tracers' record of ``run_manager``'s run."""
    if run_manager is None:
        return
    run_id = str(run_manager.run_id)
    for handler in getattr(run_manager, "handlers", None) or ():
        run_map = getattr(handler, "run_map", None)
        run = run_map.get(run_id) if isinstance(run_map, dict) else None
        extra = getattr(run, "extra", None)
        if not isinstance(extra, dict):
            continue
        try:
            extra.setdefault("metadata", {}).update(metadata)
        except Exception as exc:  # tracing is best effort
            logger.debug("headroom: could not annotate run %s: %r", run_id, exc)


@contextmanager
def metadata_for_runs(metadata: Mapping[str, Any]) -> Iterator[None]:
    """Runs started inside this block (e.g. the model call of an agent step) carry ``metadata``."""
    config = ensure_config()
    token = var_child_runnable_config.set({**config, "metadata": {**config.get("metadata", {}), **metadata}})
    try:
        yield
    finally:
        var_child_runnable_config.reset(token)
