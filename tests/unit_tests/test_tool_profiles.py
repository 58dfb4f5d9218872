"""Per-tool profiles: skip a tool's results, or crush them with other settings, through compress()."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations import ConfigurationError, HeadroomConfig, ToolProfile, compress, simulate
from headroom_integrations.engine.tool_profiles import config_for_tool, resolve_tool_profiles
from tests.support.fixtures import api_json

TOOLS = ("list_orders", "audit_log", "search")


def _conversation(query: str = "Summarise the recent orders") -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": query}]
    for i, name in enumerate(TOOLS):
        call = {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": api_json(120, seed=i)})
    return messages


def test_documented_dict_forms_and_aliases() -> None:
    profiles = resolve_tool_profiles(
        {"db": {"skip_compression": True}, "search": {"max_items": 25}, "logs": {"max_array_items": 5}}
    )
    assert profiles["db"] == ToolProfile(skip_compression=True)
    assert profiles["search"].smart_crusher == {"max_items_after_crush": 25}
    assert profiles["logs"].smart_crusher == {"max_items_after_crush": 5}
    config = HeadroomConfig()
    assert config_for_tool(profiles, "db", config) is None
    assert config_for_tool(profiles, "other", config) is config
    tuned = config_for_tool(profiles, "search", config)
    assert (
        tuned is not None
        and tuned.smart_crusher.max_items_after_crush == 25
        and config.smart_crusher.max_items_after_crush == 15
    )


def test_typos_and_bad_values_raise_with_the_field() -> None:
    with pytest.raises(ConfigurationError) as err:
        resolve_tool_profiles({"db": {"skip_compresion": True}})
    assert "skip_compression" in str(err.value) and "db" in err.value.details["field"]
    with pytest.raises(ConfigurationError) as err:
        resolve_tool_profiles({"search": {"max_items_after_crush": 0}})
    assert "max_items_after_crush" in str(err.value.details["field"])
    with pytest.raises(ConfigurationError):
        resolve_tool_profiles({"db": {"skip_compression": "yes"}})
    with pytest.raises(ConfigurationError):
        resolve_tool_profiles(["db"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        compress(_conversation(), tool_profiles={"db": 3})


def test_skipped_tool_passes_through_with_a_reason_and_others_still_compress() -> None:
    messages = _conversation()
    result = compress(messages, mode="simulate", tool_profiles={"audit_log": {"skip_compression": True}})
    assert result.messages[4] is messages[4]
    assert len(result.messages[2]["content"]) < len(messages[2]["content"]) / 5
    (report,) = [r for r in result.message_reports if r.tool_name == "audit_log"]
    assert report.reason == "tool profile: skip_compression" and report.tokens_after == report.tokens_before


def test_overrides_apply_to_that_tool_only_and_simulate_honours_them() -> None:
    messages = _conversation()
    default = compress(messages, mode="simulate")
    tuned = compress(
        messages, mode="simulate", tool_profiles={"search": {"keep_first": 10, "max_items_after_crush": 30}}
    )
    assert tuned.messages[2] == default.messages[2] and tuned.messages[4] == default.messages[4]
    assert tuned.messages[6]["content"].count('"id"') > default.messages[6]["content"].count('"id"')
    plan = simulate(messages, tool_profiles={"list_orders": {"skip_compression": True}})
    assert plan.tokens_saved < simulate(messages).tokens_saved


@settings(max_examples=20, deadline=None)
@given(st.sets(st.sampled_from(TOOLS)))
def test_every_skipped_tools_result_is_byte_identical(skipped: set[str]) -> None:
    messages = _conversation()
    result = compress(messages, mode="simulate", tool_profiles={name: {"skip_compression": True} for name in skipped})
    for index, name in zip((2, 4, 6), TOOLS, strict=True):
        assert (result.messages[index]["content"] == messages[index]["content"]) is (name in skipped)
