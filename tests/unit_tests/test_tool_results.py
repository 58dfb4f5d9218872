"""Standalone tool outputs through the engine: the query decides, the mode decides what is handed on."""

from __future__ import annotations

from typing import Any

import pytest

from headroom_integrations.engine import tool_results
from headroom_integrations.engine.ccr.store import RETRIEVE_TOOL_NAME, CompressionStore
from headroom_integrations.engine.metrics import MetricsStore
from headroom_integrations.engine.options import EngineOptions
from headroom_integrations.engine.tool_results import ToolOutput, compress_tool_outputs
from tests.support.fixtures import api_json, app_log

QUESTION = "Why did order 48137 fail?"


def _run(outputs: list[ToolOutput], **options: object) -> tool_results.CompressedToolOutputs:
    built = EngineOptions.build(store=CompressionStore(), **options)  # type: ignore[arg-type]
    return compress_tool_outputs(outputs, query=QUESTION, options=built, model="gpt-4o")


def test_outputs_follow_the_query_and_the_mode() -> None:
    outputs = [ToolOutput(api_json(300), "list_orders"), ToolOutput("tiny", "echo")]
    out = _run(outputs)
    assert "48137" in out.contents[0] and len(out.contents[0]) < len(outputs[0].content) / 5
    assert out.contents[1] == "tiny" and out.changed == [True, False]
    assert out.savings is not None and out.savings.tokens_saved > 0 and out.savings.refs

    for mode in ("audit", "simulate"):
        measured = _run(outputs, mode=mode)
        assert measured.contents == [o.content for o in outputs] and measured.changed == [False, False]
        assert measured.savings is not None and measured.savings.tokens_saved == 0
        assert measured.savings.potential_tokens_saved == out.savings.tokens_saved


def test_content_blocks_keep_their_layout() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": app_log(1500)},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
    ]
    out = _run([ToolOutput(blocks, "read_log")])
    new = out.contents[0]
    assert out.changed == [True] and isinstance(new, list) and new[1] == blocks[1]
    assert "Failed to flush batch 9f3ac2" in new[0]["text"] and len(new[0]["text"]) < len(blocks[0]["text"]) / 2
    assert blocks[0]["text"] == app_log(1500)  # the caller's blocks are untouched


def test_retrieved_and_already_compressed_outputs_pass_through() -> None:
    once = _run([ToolOutput(app_log(1500), "read_log")])
    again = _run([ToolOutput(once.contents[0], "read_log"), ToolOutput(app_log(1500), RETRIEVE_TOOL_NAME)])
    assert again.changed == [False, False] and again.savings is not None and again.savings.transforms == ()


def test_one_call_is_one_metrics_row_with_the_integration_name() -> None:
    metrics = MetricsStore("memory://")
    outputs = [ToolOutput(api_json(300), "list_orders", "call_7"), ToolOutput(app_log(1500), "read_log")]
    _run(outputs, metrics_store=metrics, integration="agno")
    (row,) = metrics.get_metrics()
    assert row.integration == "agno" and row.tool_names == ("list_orders", "read_log") and row.tokens_saved > 0
    assert row.kind == "tool_result"  # totalled apart from the model calls that later carry these outputs


def test_an_engine_failure_hands_the_originals_back_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine down")

    monkeypatch.setattr(tool_results, "compress", broken)
    outputs = [ToolOutput(api_json(300), "list_orders")]
    with caplog.at_level("WARNING"):
        out = _run(outputs)
    assert out.contents[0] is outputs[0].content and out.changed == [False] and out.savings is None
    assert "engine down" in caplog.text


def _file_view(change: str = "") -> str:
    lines = [f"{i:6}\tdef handler_{i}(request):  return dispatch(request, route={i}, retries=3)" for i in range(1, 41)]
    if change:
        lines[6] = f"     7\t{change}"
    return "\n".join(lines)


def _viewed_once(content: str) -> list[dict[str, Any]]:
    """A conversation in which the agent viewed ``content`` with a ``view`` call."""
    call = {"id": "c1", "type": "function", "function": {"name": "view", "arguments": '{"path": "app.py"}'}}
    return [
        {"role": "user", "content": "fix handler 7 in app.py"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": content},
    ]


def test_an_output_repeating_an_earlier_one_of_the_conversation_is_a_pointer_plus_the_change() -> None:
    store = CompressionStore()
    options = EngineOptions.build(store=store)
    earlier = _viewed_once(_file_view())
    second = _file_view("def handler_7(request):  return dispatch(request, route=7, retries=5)")
    out = compress_tool_outputs(
        [ToolOutput(second, "view")], query=QUESTION, options=options, model="gpt-4o", earlier=earlier
    )
    text = out.contents[0]
    assert out.changed == [True] and "repeat the view result (c1)" in text and "retries=5" in text
    assert "handler_20" not in text and out.savings is not None and out.savings.transforms == ("repeat:msg2",)
    (ref,) = out.savings.refs
    assert store.retrieve(ref) == second  # the full text comes back by its ref
    again = compress_tool_outputs(
        [ToolOutput(second, "view")],
        query=QUESTION,
        options=EngineOptions.build(store=CompressionStore()),
        model="gpt-4o",
        earlier=earlier,
    )
    assert again.contents == out.contents  # decided by the output and what came before: byte-stable
    alone = compress_tool_outputs([ToolOutput(second, "view")], query=QUESTION, options=options, model="gpt-4o")
    assert alone.changed == [False]  # nothing earlier to point at: a numbered excerpt stays whole
