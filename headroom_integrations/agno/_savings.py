"""What Headroom saved, written where Agno users look.

Two scopes, kept apart because they count different things:

* ``model``: :class:`HeadroomAgnoModel` counts every provider call (each hop
  of the tool loop re-sends the conversation, and each is billed), so its
  numbers are input tokens before/after per call, summed.
* ``tool_results``: the compression manager and the tool hook compress each
  tool result once, so theirs are tool-result tokens before/after.

Per run they land in ``run_output.metrics.additional_metrics`` as flat
numbers (``headroom_tokens_saved``, ``headroom_tool_results_tokens_saved``,
...; Agno sums these into session metrics) and in ``run_output.metadata``
under ``"headroom"`` / ``"headroom_tool_results"`` with transforms and refs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.savings import Savings, SavingsTotals

__all__ = ["add_to_run_metrics", "attach_to_run"]

# scope -> metadata key; the additional_metrics keys are this key plus "_" plus the count's name.
_SCOPE_KEYS = {"model": "headroom", "tool_results": "headroom_tool_results"}
_COUNTED = ("tokens_before", "tokens_after", "tokens_saved", "potential_tokens_saved")


def add_to_run_metrics(metrics: Any, savings: Savings, scope: str) -> None:
    """Add one call's savings to ``RunMetrics.additional_metrics`` (flat numbers Agno sums per session)."""
    if metrics is None:
        return
    prefix = _SCOPE_KEYS[scope] + "_"
    extra = dict(getattr(metrics, "additional_metrics", None) or {})
    extra[prefix + "calls"] = int(extra.get(prefix + "calls", 0)) + 1
    for name in _COUNTED:
        extra[prefix + name] = int(extra.get(prefix + name, 0)) + int(getattr(savings, name))
    metrics.additional_metrics = extra


def attach_to_run(run_output: Any, savings: Savings, scope: str) -> None:
    """Add one call's savings to a run output's metrics and its ``metadata`` totals.

    ``metadata`` is replaced by a new dict, never edited in place: Agno may
    share it with the run context or the agent's own metadata.
    """
    add_to_run_metrics(getattr(run_output, "metrics", None), savings, scope)
    key = _SCOPE_KEYS[scope]
    metadata = dict(getattr(run_output, "metadata", None) or {})
    found = metadata.get(key)
    previous: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    totals = SavingsTotals.from_dict(previous)
    totals.add(savings)
    metadata[key] = {
        **totals.to_dict(),
        "refs": list(dict.fromkeys([*previous.get("refs", ()), *savings.refs])),
    }
    run_output.metadata = metadata
