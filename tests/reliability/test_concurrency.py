"""1,000 concurrent ``ainvoke`` on one HeadroomChatModel: the savings add up exactly, everywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from headroom_integrations import CCRConfig, CompressionStore, MetricsStore
from headroom_integrations.langchain import HeadroomChatModel
from tests.reliability._lc import to_langchain
from tests.support.fixtures import api_json, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel

CALLS = 1000


def test_thousand_concurrent_ainvokes_add_up(tmp_path: Path) -> None:
    # 50 distinct conversations (different sizes, so different savings), each sent 20 times.
    conversations = [to_langchain(tool_conversation(api_json(40 + 7 * i, seed=i))) for i in range(50)]
    with MetricsStore(f"sqlite:///{tmp_path / 'metrics.db'}") as metrics:
        store = CompressionStore(CCRConfig(store_max_entries=100_000))
        model = HeadroomChatModel(ScriptedChatModel(), store=store, metrics_store=metrics)

        async def run() -> list[dict[str, object]]:
            replies = await asyncio.gather(*(model.ainvoke(conversations[i % 50]) for i in range(CALLS)))
            return [reply.response_metadata["headroom"] for reply in replies]

        per_call = asyncio.run(run())
        rows = metrics.get_metrics(limit=None)
        summary = metrics.get_summary()

    saved = sum(int(s["tokens_saved"]) for s in per_call)  # type: ignore[call-overload]
    before = sum(int(s["tokens_before"]) for s in per_call)  # type: ignore[call-overload]
    totals = model.get_savings_summary()
    assert saved > 0 and totals["calls"] == CALLS
    assert (totals["tokens_saved"], totals["tokens_before"]) == (saved, before)
    compressed = [s for s in per_call if s["transforms"]]
    assert len(rows) == len(compressed) == CALLS  # every call compressed, every call recorded once
    assert len({r.request_id for r in rows}) == CALLS
    assert sum(r.tokens_saved for r in rows) == saved
    assert sum(r.tokens_before for r in rows) == before
    assert (summary.total_requests, summary.total_tokens_saved) == (CALLS, saved)
    for ref in {ref for s in per_call for ref in s["refs"]}:  # type: ignore[attr-defined]
        store.get(ref)
