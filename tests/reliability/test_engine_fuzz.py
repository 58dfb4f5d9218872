"""``compress()`` on hostile conversations keeps every invariant, in every mode."""

from __future__ import annotations

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations import CCRConfig, CompressionStore, compress
from tests.reliability._checks import FUZZ, assert_message_intact, assert_valid_sequence, canonical
from tests.reliability._hostile import conversation


def _store() -> CompressionStore:
    return CompressionStore(CCRConfig(store_max_entries=100_000))


@settings(FUZZ, max_examples=250)
@given(
    seed=st.integers(0, 2**32 - 1),
    budget=st.sampled_from([None, None, 600, 4000]),
    mode=st.sampled_from(["optimize", "optimize", "optimize", "audit", "simulate"]),
)
def test_compress_keeps_every_invariant(seed: int, budget: int | None, mode: str) -> None:
    messages = conversation(seed, secrets=seed % 2 == 0)
    frozen = copy.deepcopy(messages)
    store = _store()
    result = compress(messages, "gpt-4o", token_budget=budget, mode=mode, store=store)

    assert messages == frozen, "compress mutated its input"
    assert_valid_sequence(result.messages, messages)
    if mode == "optimize":
        for sent, source in zip(result.messages, result.source_indices, strict=True):
            if source is not None:
                assert_message_intact(messages[source], sent, store)
        for ref in result.refs:
            store.get(ref)
    else:  # audit sends the original, simulate only plans: neither stores (nor reports storing) anything
        assert len(store) == 0
        assert mode == "simulate" or (result.messages == messages and result.refs == [])
    again = compress(messages, "gpt-4o", token_budget=budget, mode=mode, store=_store())
    assert canonical(again.messages) == canonical(result.messages)
    assert (again.tokens_before, again.tokens_after) == (result.tokens_before, result.tokens_after)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None), max_size=30),
    lambda inner: st.lists(inner, max_size=40) | st.dictionaries(st.text(max_size=8), inner, max_size=8),
    max_leaves=300,
)


@settings(FUZZ, max_examples=80)
@given(value=_JSON, indent=st.sampled_from([None, 2]), ascii_only=st.booleans(), bom=st.booleans())
def test_any_json_document_round_trips_through_its_refs(
    value: object, indent: int | None, ascii_only: bool, bom: bool
) -> None:
    """Arbitrary JSON (NaN, Infinity, lone surrogates, any nesting) as a tool result: nothing is lost."""
    records = [{"id": i, "value": value, "status": "ok" if i % 7 else "failed"} for i in range(40)]
    text = ("\ufeff" if bom else "") + json.dumps(records, indent=indent, ensure_ascii=ascii_only)
    messages = [
        {"role": "user", "content": "which records failed?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {}}]},
        {"role": "tool", "tool_call_id": "c1", "content": text},
    ]
    store = _store()
    result = compress(messages, "gpt-4o", store=store)
    assert_valid_sequence(result.messages, messages)
    assert_message_intact(messages[2], result.messages[2], store)
    if result.transforms_applied:  # the output stays parseable JSON
        json.loads(result.messages[2]["content"].lstrip("\ufeff"))


@settings(FUZZ, max_examples=60)
@given(blob=st.binary(max_size=3000), how=st.sampled_from(["latin-1", "replace", "surrogateescape", "ignore"]))
def test_bytes_decoded_oddly_pass_or_round_trip(blob: bytes, how: str) -> None:
    text = blob.decode("latin-1") if how == "latin-1" else blob.decode("utf-8", how)
    messages = [
        {"role": "user", "content": text[:50]},
        {"role": "tool", "tool_call_id": "nobody", "content": text * 3},
    ]
    store = _store()
    result = compress(messages, "gpt-4o", store=store)
    assert_valid_sequence(result.messages, messages)
    assert_message_intact(messages[1], result.messages[1], store)
    assert canonical(compress(messages, "gpt-4o", store=_store()).messages) == canonical(result.messages)
