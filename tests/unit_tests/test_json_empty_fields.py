"""Small JSON the crusher leaves whole loses its null/empty object fields, losslessly (the original is under a ref)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compress import compress
from headroom_integrations.engine.compressors.json.smart_crusher import REF_KEY, SmartCrusher
from headroom_integrations.engine.config import HeadroomConfig, SmartCrusherConfig
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.tokens.tokenizer import Tokenizer

TOKENIZER = Tokenizer("gpt-4o")
NOTE_KEY = "_headroom_note"
EMPTY: tuple[Any, ...] = (None, "", [], {})


def crush(text: str, store: CompressionStore, **config: Any) -> Any:
    return SmartCrusher(SmartCrusherConfig(**config)).crush(text, store=store, tokenizer=TOKENIZER)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


def without_empty(value: Any) -> Any:
    """The expected output: every object field whose value is null, "", [] or {} removed, nothing else."""
    if isinstance(value, dict):
        return {k: without_empty(v) for k, v in value.items() if not is_empty(v)}
    if isinstance(value, list):
        return [without_empty(v) for v in value]
    return value


def split_note(output: Any) -> tuple[Any, dict[str, Any]]:
    """The output without its note, and the note."""
    if isinstance(output, list):
        assert isinstance(output[-1], dict) and set(output[-1]) == {NOTE_KEY, REF_KEY}
        return output[:-1], output[-1]
    note = {key: output.pop(key) for key in (NOTE_KEY, REF_KEY)}
    return output, note


scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=10)
field_values = scalars | st.just("") | st.just([]) | st.just({}) | st.lists(scalars, max_size=3)
records = st.dictionaries(
    st.sampled_from(["id", "name", "email", "phone", "tags", "notes", "owner", "address"]),
    field_values | st.dictionaries(st.sampled_from(["city", "zip", "line2"]), field_values, max_size=3),
    min_size=1,
    max_size=8,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=5, max_size=20), st.booleans(), st.sampled_from([None, 2]))
def test_empty_fields_go_records_stay_and_the_original_is_retrievable(
    rows: list[dict[str, Any]], wrapped: bool, indent: int | None
) -> None:
    doc: Any = {"results": rows, "next_page": None} if wrapped else rows
    text = json.dumps(doc, indent=indent)
    store = CompressionStore()
    out = crush(text, store)
    assert crush(text, CompressionStore()).compressed == out.compressed  # deterministic, whatever the store
    parsed = json.loads(out.compressed)
    event(out.strategy)
    if out.arrays:  # near-identical records: item-wise crushing, tested in test_smart_crusher
        return
    if out.strategy != "empty_fields":
        assert not out.refs and (not out.was_modified or parsed == doc)
        return
    assert out.tokens_after < out.tokens_before
    kept, note = split_note(parsed)
    assert kept == without_empty(doc)  # only empty fields went: same records, same order, same values
    records_out = kept["results"] if wrapped else kept
    assert len(records_out) == len(rows)
    assert list(records_out[0]) == [k for k in rows[0] if not is_empty(rows[0][k])]  # key order kept
    assert note[REF_KEY] == out.refs[0]
    assert store.retrieve(note[REF_KEY]) == text  # the original, byte for byte


def api_page(n: int) -> list[dict[str, Any]]:
    """GitHub-like records with the usual unset fields."""
    return [
        {
            "id": 4100 + i,
            "title": f"Crash when saving file {i}",
            "assignee": None,
            "labels": [],
            "milestone": None,
            "body": "",
            "reactions": {},
            "user": {"login": f"dev{i}", "company": None, "blog": ""},
            "state": "open" if i % 3 else "closed",
        }
        for i in range(n)
    ]


def test_a_small_api_page_keeps_every_record_and_says_what_went() -> None:
    text = json.dumps(api_page(8), indent=2)
    store = CompressionStore()
    out = crush(text, store)
    assert out.strategy == "empty_fields" and out.transform == "smart_crusher:empty_fields"
    kept, note = split_note(json.loads(out.compressed))
    assert [r["id"] for r in kept] == [4100 + i for i in range(8)]
    assert note[NOTE_KEY] == "56 null/empty fields omitted"
    assert store.retrieve(out.refs[0]) == text
    assert out.tokens_after < crush(text, store, omit_empty_fields=False).tokens_after


def test_switched_off_only_whitespace_goes() -> None:
    text = json.dumps(api_page(8), indent=2)
    out = crush(text, CompressionStore(), omit_empty_fields=False)
    assert out.strategy == "compact" and not out.refs and json.loads(out.compressed) == api_page(8)


def test_a_note_that_costs_more_than_it_saves_is_not_written() -> None:
    rows = [{"id": i, "text": f"paragraph {i} " * 20, "extra": None if i == 0 else i} for i in range(6)]
    out = crush(json.dumps(rows), CompressionStore())  # one null in ~600 tokens: not worth a note
    assert out.strategy != "empty_fields" and not out.refs


def test_tiny_payloads_are_left_alone() -> None:
    text = json.dumps([{"id": 1, "a": None}, {"id": 2, "a": None}], indent=2)
    out = crush(text, CompressionStore())
    assert not out.was_modified and out.compressed == text


def test_headroom_output_and_a_taken_note_key_are_not_pruned() -> None:
    rows = api_page(8)
    rows[0][NOTE_KEY] = "mine"
    out = crush(json.dumps(rows, indent=2), CompressionStore())
    assert out.strategy == "compact" and json.loads(out.compressed) == rows


def test_the_switch_is_validated() -> None:
    with pytest.raises(ConfigurationError) as err:
        SmartCrusherConfig(omit_empty_fields="yes")  # type: ignore[arg-type]
    assert err.value.details["field"] == "SmartCrusherConfig.omit_empty_fields"


def test_through_compress_the_model_sees_the_note_and_the_ref_retrieves_the_original() -> None:
    text = json.dumps(api_page(10), indent=2)
    messages = [
        {"role": "user", "content": "which issues are open?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "list_issues", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": text},
    ]
    store = CompressionStore()
    result = compress(messages, "gpt-4o", store=store, config=HeadroomConfig())
    again = compress(messages, "gpt-4o", store=CompressionStore(), config=HeadroomConfig())
    out = result.messages[2]["content"]
    assert out == again.messages[2]["content"]
    kept, note = split_note(json.loads(out))
    assert len(kept) == 10 and kept == without_empty(api_page(10))
    assert store.retrieve(note[REF_KEY]) == text and note[REF_KEY] in result.refs
