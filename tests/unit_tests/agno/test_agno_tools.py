"""headroom_retrieve as an Agno tool: originals come back by ref, misses come back as text."""

from __future__ import annotations

import json

from agno.tools.function import Function

from headroom_integrations.agno import HeadroomRetrieveTools, headroom_retrieve
from headroom_integrations.engine.ccr.store import RETRIEVE_TOOL_NAME, CompressionStore, set_default_store
from tests.support.fixtures import api_json


def test_the_toolkit_serves_its_own_store_whole_or_filtered() -> None:
    store = CompressionStore()
    original = api_json(50)
    ref = store.put(original, kind="json")
    tools = HeadroomRetrieveTools(store=store)

    assert tools.headroom_retrieve(ref) == original
    matches = json.loads(tools.headroom_retrieve(ref, query="48007"))
    assert [item["id"] for item in matches] == [48007]


def test_the_function_uses_the_process_default_store() -> None:
    store = CompressionStore()
    set_default_store(store)
    try:
        ref = store.put("line one\nline two", kind="lines")
        assert headroom_retrieve(ref) == "line one\nline two"
    finally:
        set_default_store(None)


def test_a_miss_is_reported_to_the_model_not_raised() -> None:
    tools = HeadroomRetrieveTools(store=CompressionStore())
    answer = tools.headroom_retrieve("0" * 24)
    assert answer.startswith("[headroom_retrieve:") and "never stored" in answer


def test_agno_sees_one_documented_tool_named_headroom_retrieve() -> None:
    tools = HeadroomRetrieveTools(store=CompressionStore())
    assert list(tools.functions) == [RETRIEVE_TOOL_NAME]
    function = Function.from_callable(headroom_retrieve)
    assert function.name == RETRIEVE_TOOL_NAME
    assert "ref" in function.parameters["properties"] and "headroom_retrieve ref=" in (function.description or "")
    assert tools.functions[RETRIEVE_TOOL_NAME].entrypoint.__doc__ == headroom_retrieve.__doc__
