"""What the package logs never carries message content or secrets, and no record exceeds 1 KB.

The suite-wide ``no_leaks_in_logs`` fixture checks every record of every
reliability test; these runs make sure the logging paths really fire:
secrets inside content, and the fail-open paths (a broken store, an entry
too large for the store, a closed metrics store, a bogus ref from a model).
"""

from __future__ import annotations

import os
from pathlib import Path

from headroom_integrations import CCRConfig, CompressionStore, HeadroomConfig, MetricsStore, compress
from headroom_integrations.langchain import HeadroomChatModel, create_retrieve_tool
from tests.reliability._hostile import SECRETS, conversation
from tests.reliability._lc import to_langchain
from tests.reliability._logs import LeakCatcher
from tests.support.fixtures import api_json, tool_conversation
from tests.support.scripted_chat_model import ScriptedChatModel


def _secret_conversation(n: int) -> list[dict[str, object]]:
    records = api_json(200, seed=n).replace(
        '"status": "delivered"', f'"status": "delivered", "key": "{SECRETS[n % 4]}"'
    )
    return tool_conversation(records, query=f"why did it fail? {SECRETS[(n + 1) % 4]}")


def test_secrets_in_content_never_reach_the_logs(no_leaks_in_logs: LeakCatcher) -> None:
    for seed in range(40):
        compress(conversation(seed, secrets=True), token_budget=700 if seed % 2 else None, store=CompressionStore())
    for n in range(4):
        compress(_secret_conversation(n), token_budget=300, store=CompressionStore())
    assert no_leaks_in_logs.count > 0  # the runs did log (and the fixture checks every record)


def test_fail_open_paths_log_no_content(no_leaks_in_logs: LeakCatcher, tmp_path: Path) -> None:
    broken = CompressionStore(url=f"sqlite:///{tmp_path / 'ccr.db'}")
    for name in os.listdir(tmp_path):
        (tmp_path / name).write_bytes(b"\x00garbage\xff" * 4096)
    tiny = CompressionStore(CCRConfig(store_max_bytes=1024))
    closed = MetricsStore(f"sqlite:///{tmp_path / 'metrics.db'}")
    closed.close()
    for n in range(4):
        messages = _secret_conversation(n)
        for store in (broken, tiny):
            result = compress(messages, store=store, metrics_store=closed)
            assert result.messages[-1]["content"] == messages[-1]["content"] or result.refs
        HeadroomChatModel(ScriptedChatModel(), store=broken, metrics_store=closed).invoke(to_langchain(messages))
    retrieve = create_retrieve_tool(CompressionStore())
    answer = retrieve.invoke({"ref": SECRETS[0] + " " + "payment gateway timeout " * 200})
    assert "headroom_retrieve" in str(answer) or answer
    assert no_leaks_in_logs.count > 0
    compress(conversation(1), config=HeadroomConfig(), store=CompressionStore())
