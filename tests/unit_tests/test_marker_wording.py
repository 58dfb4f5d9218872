"""Markers name ``headroom_retrieve`` only when the model has it; the ref works either way."""

from __future__ import annotations

import re

import pytest

from headroom_integrations.engine.ccr.store import CompressionStore, retrieve
from headroom_integrations.engine.compress import compress
from tests.support.fixtures import api_json, app_log, tool_conversation


def _grep_output() -> str:
    return "\n".join(f"src/app/module_{i // 20}.py:{i}:    order_id = lookup(order_{i})" for i in range(600))


def _diff_output() -> str:
    body = "\n".join(f" unchanged line {i}" for i in range(400))
    header = "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,401 +1,401 @@"
    return f"{header}\n{body}\n-old = 1\n+new = 2\n"


OUTPUTS = {"json": api_json(300), "log": app_log(1500), "search": _grep_output(), "diff": _diff_output()}


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
@pytest.mark.parametrize("retrieve_tool", [True, False])
def test_tool_output_markers_name_the_tool_only_when_the_model_has_it(kind: str, retrieve_tool: bool) -> None:
    store = CompressionStore()
    result = compress(tool_conversation(OUTPUTS[kind]), store=store, retrieve_tool=retrieve_tool)
    sent = result.messages[-1]["content"]
    assert result.refs and len(sent) < len(OUTPUTS[kind])
    assert ("headroom_retrieve" in sent) is retrieve_tool
    for ref in set(re.findall(r"[0-9a-f]{24}", sent)) & set(result.refs):
        assert retrieve(ref, store=store)  # the bare ref gets the original back all the same


def test_the_two_wordings_are_cached_apart() -> None:
    conversation = tool_conversation(app_log(1500))
    named = compress(conversation, retrieve_tool=True).messages[-1]["content"]
    bare = compress(conversation, retrieve_tool=False).messages[-1]["content"]
    assert compress(conversation, retrieve_tool=True).messages[-1]["content"] == named
    assert bare == named.replace("headroom_retrieve ref=", "ref=")
