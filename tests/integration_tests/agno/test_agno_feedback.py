"""Issue 11 §4 with Agno: an agent that keeps retrieving one kind of item makes the tool's next result keep it."""

from __future__ import annotations

import json

from headroom_integrations.agno import HeadroomAgnoModel, HeadroomRetrieveTools
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.metrics import MetricsStore
from tests.integration_tests.agno._agents import last_ref, make_agent
from tests.support.scripted_agno_model import ScriptedAgnoModel

HELD = [i for i in range(80) if i % 8 == 3]


def list_queue(group: str = "all") -> str:
    """List the work queue as JSON.

    Args:
        group: Whose queue to list.
    """
    rows = [{"id": 7000 + i, "group": group, "state": "held" if i in HELD else "ok"} for i in range(80)]
    return json.dumps(rows)


def test_agno_retrievals_teach_the_next_compression_of_the_tool() -> None:
    store, metrics = CompressionStore(), MetricsStore("memory://")
    # Each retrieval names the ref of the queue listing (the first tool result of the run).
    retrieve = [
        lambda seen: [
            ("headroom_retrieve", {"ref": last_ref([next(p for p in seen if p[0] == "tool")]), "query": "held"})
        ]
    ] * 3
    inner = ScriptedAgnoModel(plan=[[("list_queue", {"group": "red"})], *retrieve, [("list_queue", {"group": "blue"})]])
    model = HeadroomAgnoModel(wrapped_model=inner, store=store, metrics_store=metrics)
    agent = make_agent(model, tools=[list_queue, HeadroomRetrieveTools(store=store, metrics_store=metrics)])
    agent.run("What is in the queue?")
    queues = [t for t in inner.calls[-1].texts("tool") if '"group"' in t and "_headroom_ref" in t]
    first, again = queues[0], queues[-1]
    assert first.count('"held"') < len(HELD) == again.count('"held"')
    # The first result reached the provider as the same bytes on every later call.
    assert all(first in call.texts("tool") for call in inner.calls[1:])
    learned = metrics.get_summary().learned_adjustments["list_queue"]
    assert learned["retrievals"] == 3 and learned["keep_terms"] == ["held"]
