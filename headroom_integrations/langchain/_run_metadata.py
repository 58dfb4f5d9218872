"""Add metadata to a run that has already started (what it saved is known only at its end).

LangChain tracers (LangSmith's included) keep each open run in ``run_map`` and
send its ``extra["metadata"]`` again when the run ends, so metadata added to
that record before the end reaches the trace. Handlers that keep no run record
are left alone; a tracing problem never fails the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["annotate_run"]

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
