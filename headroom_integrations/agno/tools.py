"""``headroom_retrieve`` for Agno agents: fetch what compression left out, by ref.

Every compressed tool result names a ref where it left something out (a
``[... 480 lines omitted; headroom_retrieve ref=... ...]`` marker, or a JSON
``"_headroom_ref"`` item). Give the agent
``tools=[headroom_retrieve]`` (process default store) or
``tools=[HeadroomRetrieveTools(store=my_store)]`` and it can get the original
back, whole or filtered by a query. A miss (expired, evicted, unknown ref) is
reported to the model as text, never raised into the run.
"""

from __future__ import annotations

import logging
from typing import Any

from agno.tools import Toolkit

from ..engine.ccr.store import RETRIEVE_TOOL_NAME, CompressionStore, retrieve
from ..engine.errors import HeadroomError

__all__ = ["HeadroomRetrieveTools", "agent_offers_retrieve", "headroom_retrieve"]

logger = logging.getLogger(__name__)


def _retrieve(ref: str, query: str, store: CompressionStore | None, metrics_store: Any = None) -> str:
    try:
        return retrieve(str(ref).strip(), query or None, store=store, metrics_store=metrics_store)
    except HeadroomError as exc:
        logger.info("headroom_retrieve could not serve ref %r: %s", ref, exc)
        return f"[headroom_retrieve: {exc.message}]"


def agent_offers_retrieve(agent: Any) -> bool:
    """Whether ``agent`` has ``headroom_retrieve`` among its tools (toolkits, functions or callables).

    No agent (a hook called outside a run) counts as yes: the marker wording then stays as it always was.
    """
    if agent is None:
        return True
    for tool in getattr(agent, "tools", None) or ():
        members = tool.tools if isinstance(tool, Toolkit) else [tool]
        for member in members:
            if getattr(member, "name", getattr(member, "__name__", None)) == RETRIEVE_TOOL_NAME:
                return True
    return False


def headroom_retrieve(ref: str, query: str = "") -> str:
    """Get back content that Headroom compressed away.

    Compressed tool results name a ref where they left something out: a
    marker like "[... 480 lines omitted; headroom_retrieve ref=abc123 ...]" or,
    in JSON, an item with "_headroom_ref": "abc123". Call this with that ref
    to see the omitted content.

    Args:
        ref: The ref named in the omission marker.
        query: Optional words or identifiers; only the matching items or lines
            are returned. Leave empty to get everything.
    """
    return _retrieve(ref, query, None)


class HeadroomRetrieveTools(Toolkit):
    """A toolkit with ``headroom_retrieve`` bound to one ``CompressionStore``.

    With ``metrics_store`` each retrieval is recorded there, so the tool whose
    output was cut keeps more of it next time (engine/feedback.py).
    """

    def __init__(self, store: CompressionStore | None = None, *, metrics_store: Any = None, **kwargs: Any) -> None:
        self.store = store
        self.metrics_store = metrics_store
        super().__init__(name="headroom_retrieve_tools", tools=[self.headroom_retrieve], **kwargs)

    def headroom_retrieve(self, ref: str, query: str = "") -> str:
        return _retrieve(ref, query, self.store, self.metrics_store)


HeadroomRetrieveTools.headroom_retrieve.__doc__ = headroom_retrieve.__doc__
