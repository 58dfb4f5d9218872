"""SmartCrusher: JSON collections shrink by dropping whole original items, never by editing them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.ccr.markers import content_ref
from headroom_integrations.engine.ccr.store import CompressionStore
from headroom_integrations.engine.compressors.base import CompressionContext
from headroom_integrations.engine.compressors.json.smart_crusher import MAX_INPUT_CHARS, SmartCrusher
from headroom_integrations.engine.config import HeadroomConfig, SmartCrusherConfig
from headroom_integrations.engine.errors import ConfigurationError
from headroom_integrations.engine.tokens.tokenizer import Tokenizer

TOKENIZER = Tokenizer("gpt-4o")
OMITTED, REF = "_headroom_omitted", "_headroom_ref"
SCALAR_MARKER = re.compile(r"^\[\.\.\. (\d+) items omitted; headroom_retrieve ref=([0-9a-f]+) \.\.\.\]$")
STRING_MARKER = re.compile(r"\[\.\.\. (\d+) chars omitted; headroom_retrieve ref=([0-9a-f]+) \.\.\.\]")


def crush(data: Any, query: str = "", **config: Any):
    store = config.pop("store") if "store" in config else CompressionStore()
    crusher = SmartCrusher(SmartCrusherConfig(**config))
    return crusher.crush(data, query, store=store, tokenizer=TOKENIZER)


def records(n: int, **overrides: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """``n`` near-identical service records; ``overrides[str(i)]`` patches item i."""
    items = []
    for i in range(n):
        item = {
            "id": f"req-{1000 + i}",
            "service": "checkout",
            "status": "ok",
            "latency_ms": 40 + (i * 7) % 11,
            "message": f"handled order {5000 + i} for customer c{i % 17}",
        }
        item.update(overrides.get(str(i), {}))
        items.append(item)
    return items


def kept_items(output: str, path: tuple[Any, ...] = ()) -> list[Any]:
    node: Any = json.loads(output)
    for key in path:
        node = node[key]
    return [item for item in node if not (isinstance(item, dict) and OMITTED in item)]


def marker_of(array: list[Any]) -> dict[str, Any]:
    markers = [item for item in array if isinstance(item, dict) and OMITTED in item]
    assert len(markers) == 1
    return markers[0]


# -- structural invariants (property-based) -----------------------------------------------------


def _is_marker(element: Any) -> bool:
    return (isinstance(element, dict) and OMITTED in element) or (
        isinstance(element, str) and SCALAR_MARKER.match(element) is not None
    )


def _omitted_count(element: Any) -> int:
    if isinstance(element, dict):
        return int(element[OMITTED])
    match = SCALAR_MARKER.match(element)
    assert match is not None
    return int(match.group(1))


NOTE = "_headroom_note"


def _without_note(out: Any) -> tuple[Any, str]:
    """``out`` without the empty-fields note (a trailing element or two sibling keys), and the note's ref."""
    if isinstance(out, list):
        return out[:-1], out[-1][REF]
    return {k: v for k, v in out.items() if k not in (NOTE, REF)}, out[REF]


def _without_empty(value: Any) -> Any:
    """``value`` with every null, "", [] and {} object field removed (array elements all stay)."""
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in (None, "", [], {})}
    return value


def assert_reduction(out: Any, orig: Any) -> None:
    """``out`` is ``orig`` with whole items dropped (and counted by a marker), nothing edited."""
    if isinstance(orig, list):
        assert isinstance(out, list)
        markers = [e for e in out if _is_marker(e)]
        kept = [e for e in out if not _is_marker(e)]
        assert len(markers) <= 1
        if markers:
            assert out[-1] is markers[0], "the marker is the trailing element"
            assert len(kept) + _omitted_count(markers[0]) == len(orig)
        else:
            assert len(kept) == len(orig)
        cursor = 0
        for element in kept:  # kept items appear in original order
            while cursor < len(orig) and not _matches(element, orig[cursor]):
                cursor += 1
            assert cursor < len(orig), f"{element!r} is not an original item (in order)"
            cursor += 1
    elif isinstance(orig, dict):
        assert isinstance(out, dict)
        plain = {k: v for k, v in out.items() if not k.startswith("_headroom_")}
        if OMITTED in out:
            assert set(plain) < set(orig)
            assert len(plain) + out[OMITTED] == len(orig)
        else:
            assert list(plain) == list(orig)
        for key, value in plain.items():
            assert_reduction(value, orig[key])
    elif isinstance(orig, str) and isinstance(out, str) and out != orig:
        match = STRING_MARKER.search(out)
        assert match is not None
        head, tail = out[: match.start()].rstrip(" "), out[match.end() :].lstrip(" ")
        assert orig.startswith(head) and orig.endswith(tail)
        assert len(head) + len(tail) + int(match.group(1)) == len(orig)
    else:
        assert out == orig


def _matches(element: Any, original: Any) -> bool:
    try:
        assert_reduction(element, original)
    except AssertionError:
        return False
    return True


scalars = st.one_of(
    st.integers(-10_000, 10_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["ok", "error", "timeout", "denied", "pending"]),
)
record = st.fixed_dictionaries(
    {"id": st.integers(0, 10**6), "state": scalars, "value": scalars},
    optional={"error": scalars, "tags": st.lists(scalars, max_size=3), "ok": st.booleans()},
)
documents = st.one_of(
    st.lists(record, min_size=4, max_size=40),
    st.fixed_dictionaries({"total": st.integers(), "items": st.lists(record, min_size=4, max_size=40)}),
    st.lists(
        st.fixed_dictionaries({"name": st.text(max_size=8), "rows": st.lists(record, max_size=25)}),
        max_size=4,
    ),
    st.dictionaries(st.text(min_size=1, max_size=6), record, min_size=4, max_size=20),
    st.lists(st.integers(-1000, 1000), min_size=4, max_size=60),
)
styles = st.sampled_from(
    [
        {"separators": (",", ":")},
        {},
        {"indent": 2},
        {"indent": "\t", "ensure_ascii": False},
    ]
)
queries = st.sampled_from(["", "error", "id 4242", "what failed?"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, styles, queries)
def test_output_is_a_faithful_reduction(doc: Any, style: dict[str, Any], query: str) -> None:
    text = json.dumps(doc, **style)
    store = CompressionStore()
    loose = {
        "min_tokens_to_crush": 0,
        "min_items_to_analyze": 3,
        "max_scalar_items": 8,
        "max_items_after_crush": 6,
        "keep_first": 2,
        "keep_last": 1,
        "min_savings_ratio": 0.0,
    }
    result = crush(text, query, store=store, **loose)
    out = json.loads(result.compressed)
    assert type(out) is type(doc)
    if NOTE in result.compressed:  # left whole, minus its null/empty fields: the ref returns the original
        out, ref = _without_note(out)
        assert out == _without_empty(doc) and json.loads(store.retrieve(ref)) == doc
    else:
        assert_reduction(out, doc)
    assert result.tokens_after <= result.tokens_before
    again = crush(text, query, **loose)
    assert again.compressed == result.compressed
    if not result.was_modified:
        assert result.compressed == text and result.reason
    for report in result.arrays:
        assert json.loads(store.retrieve(report.ref)) is not None
        assert report.kept_count < report.original_count


def test_kept_items_are_byte_identical_and_escapes_survive() -> None:
    items = [
        {"url": "https:\\/\\/example.com\\/a\\/" + str(i), "name": "caf\\u00e9 " + str(i), "n": i} for i in range(40)
    ]
    body = "[" + ", ".join(f'{{"url": "{it["url"]}", "name": "{it["name"]}", "n": {it["n"]}}}' for it in items) + "]"
    result = crush(body, min_tokens_to_crush=0)
    assert result.was_modified
    assert '{"url": "https:\\/\\/example.com\\/a\\/0", "name": "caf\\u00e9 0", "n": 0}' in result.compressed
    for element in re.findall(r"\{[^{}]*\}", result.compressed):
        if OMITTED not in element:
            assert element in body


def test_indented_input_keeps_its_layout() -> None:
    text = json.dumps({"items": records(40)}, indent=2)
    result = crush(text, min_tokens_to_crush=0)
    assert result.was_modified
    assert result.compressed.startswith('{\n  "items": [\n    {\n      "id": "req-1000",')
    assert '\n    },\n    {\n      "_headroom_omitted": ' in result.compressed
    assert result.compressed.endswith('"\n    }\n  ]\n}')


# -- what is always kept ----------------------------------------------------------------------


def test_first_and_last_items_are_kept_without_a_query() -> None:
    result = crush(records(60), keep_first=3, keep_last=2)
    ids = [item["id"] for item in kept_items(result.compressed)]
    assert ids[:3] == ["req-1000", "req-1001", "req-1002"]
    assert ids[-2:] == ["req-1058", "req-1059"]


@pytest.mark.parametrize(
    "patch",
    [
        {"status": "error"},
        {"status_code": 503},
        {"error": "connection reset by peer"},
        {"errors": [{"code": "E42"}]},
        {"ok": False},
        {"success": False},
        {"level": "FATAL"},
        {"status": "timeout"},
    ],
)
def test_error_items_are_kept(patch: dict[str, Any]) -> None:
    result = crush(records(80, **{"41": patch}))
    assert "req-1041" in [item["id"] for item in kept_items(result.compressed)]


def test_errors_are_kept_beyond_the_budget() -> None:
    overrides = {str(i): {"status": "failed"} for i in range(5, 300, 10)}  # 30 errors
    result = crush(records(300, **overrides), max_items_after_crush=10, keep_first=2, keep_last=1)
    kept = {item["id"] for item in kept_items(result.compressed)}
    assert {f"req-{1000 + i}" for i in range(5, 300, 10)} <= kept


def test_preserve_errors_off_lets_errors_compete_for_the_budget() -> None:
    overrides = {str(i): {"status": "failed"} for i in range(5, 300, 10)}
    result = crush(records(300, **overrides), max_items_after_crush=10, preserve_errors=False)
    kept = [item for item in kept_items(result.compressed) if item["status"] == "failed"]
    assert len(kept) < 10


def test_numeric_anomaly_is_kept() -> None:
    result = crush(records(80, **{"37": {"latency_ms": 9000}}))
    assert "req-1037" in [item["id"] for item in kept_items(result.compressed)]


def test_change_point_in_a_time_series_is_kept() -> None:
    series = [
        {
            "ts": f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
            "host": "db-1",
            "load": (10 if i < 70 else 60) + (i % 3),
        }
        for i in range(120)
    ]
    result = crush(series)
    kept_ts = [item["ts"] for item in kept_items(result.compressed)]
    assert "2024-01-01T00:01:10Z" in kept_ts  # item 70, where the level jumps


def test_rare_categorical_value_is_kept() -> None:
    result = crush(records(200, **{"120": {"status": "cancelled"}}))
    assert "req-1120" in [item["id"] for item in kept_items(result.compressed)]


# -- the query ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "patch"),
    [
        ("what happened to order ORD-88412?", {"message": "refund for ORD-88412 issued"}),
        ('details of the entry whose id is "724958281"', {"id": 724958281}),
        ("who authored commit 69cc298?", {"sha": "69cc298f3d2b7a1e0c4d5f6a7b8c9d0e1f2a3b4c"}),
        ("mail to jane.doe@example.org bounced", {"message": "sent to jane.doe@example.org"}),
        ("look at https://api.example.com/v1/items/77", {"url": "https://api.example.com/v1/items/77"}),
    ],
)
def test_exact_identifier_in_the_query_keeps_its_item(query: str, patch: dict[str, Any]) -> None:
    result = crush(records(120, **{"64": patch}), query)
    kept = kept_items(result.compressed)
    assert any(all(item.get(k) == v for k, v in patch.items()) for item in kept)
    assert len(kept) <= 4, "a query that names its item keeps a focused set"


def test_keyword_relevance_keeps_the_matching_item() -> None:
    overrides = {"77": {"message": "customer asked for a partial refund on a damaged parcel"}}
    result = crush(records(120, **overrides), "which order got a partial refund?")
    assert "req-1077" in [item["id"] for item in kept_items(result.compressed)]


def test_identifier_matching_most_items_is_not_a_must_keep() -> None:
    result = crush(records(100), "what did checkout do?")
    assert len(kept_items(result.compressed)) < 20


def test_focused_query_keeps_fewer_orientation_items() -> None:
    focused = crush(records(100), "req-1050", keep_first=3, keep_last=2)
    kept_ids = [item["id"] for item in kept_items(focused.compressed)]
    assert kept_ids == ["req-1000", "req-1050", "req-1099"]
    strict = crush(records(100), "req-1050", keep_first=3, keep_last=2, focused_keep_ends=3)
    assert [item["id"] for item in kept_items(strict.compressed)][:3] == ["req-1000", "req-1001", "req-1002"]


# -- budget -------------------------------------------------------------------------------------


def test_near_identical_items_compress_harder_than_diverse_ones() -> None:
    same = crush(records(200))
    diverse_items = [
        {"id": i, "kind": f"k{i % 13}", "region": f"r{i % 7}", "tier": f"t{i % 5}", "v": i % 9} for i in range(200)
    ]
    diverse = crush(diverse_items)
    assert same.arrays[0].kept_count < diverse.arrays[0].kept_count
    assert diverse.arrays[0].kept_count <= SmartCrusherConfig().max_items_after_crush


# -- shapes -------------------------------------------------------------------------------------


def test_nested_arrays_at_any_depth_are_reduced() -> None:
    doc = [{"name": "a", "data": records(50)}, {"name": "b", "data": records(3)}]
    result = crush(doc)
    assert [a.path for a in result.arrays] == ["$[0].data"]
    out = json.loads(result.compressed)
    assert out[1]["data"] == records(3)
    assert_reduction(out, doc)


def test_dict_of_similar_dicts_drops_entries_with_sibling_marker_keys() -> None:
    variants = {
        str(9_000_000 + i): {
            "item_id": str(9_000_000 + i),
            "color": ["red", "blue"][i % 2],
            "size": ["S", "M", "L"][i % 3],
            "price": 10 + i,
        }
        for i in range(60)
    }
    doc = {"name": "T-Shirt", "variants": variants}
    store = CompressionStore()
    result = crush(doc, store=store)
    out = json.loads(result.compressed)["variants"]
    kept = {k: v for k, v in out.items() if not k.startswith("_headroom_")}
    assert len(kept) + out[OMITTED] == 60
    assert all(variants[k] == v for k, v in kept.items())
    assert json.loads(store.retrieve(out[REF])) == variants


def test_long_scalar_array_keeps_ends_and_spikes() -> None:
    values = [100 + (i % 5) for i in range(500)]
    values[250] = 99_999
    result = crush({"samples": values}, max_scalar_items=50)
    out = json.loads(result.compressed)["samples"]
    assert out[0] == values[0] and 99_999 in out
    assert SCALAR_MARKER.match(out[-1])
    assert_reduction(out, values)


def test_long_string_keeps_head_and_tail_with_a_ref() -> None:
    log = "".join(f"line {i}: step finished\n" for i in range(2000))
    store = CompressionStore()
    result = crush({"job": "build", "log": log}, store=store, max_string_chars=1000)
    cut = json.loads(result.compressed)["log"]
    match = STRING_MARKER.search(cut)
    assert match and cut.startswith("line 0: ") and cut.endswith("line 1999: step finished\n")
    assert store.retrieve(match.group(2)) == log


def test_long_string_matching_the_query_is_not_cut() -> None:
    log = "".join(f"line {i}: step finished\n" for i in range(2000)) + "deploy id DX-4417 failed\n"
    result = crush({"job": "build", "log": log}, "why did DX-4417 fail?", max_string_chars=1000)
    assert not result.was_modified


def test_strings_inside_kept_items_are_never_cut() -> None:
    items = records(40, **{"0": {"message": "x" * 5000}})
    result = crush(items, max_string_chars=100)
    assert kept_items(result.compressed)[0]["message"] == "x" * 5000


def test_max_depth_is_respected() -> None:
    doc: Any = records(60)
    for _ in range(6):
        doc = {"wrap": doc}
    shallow = crush(doc, max_depth=3)  # no array reached: only the lossless compaction
    assert shallow.strategy == "compact" and not shallow.arrays and json.loads(shallow.compressed) == doc
    assert crush(doc, max_depth=10).arrays


# -- markers, refs and the store ----------------------------------------------------------------


def test_marker_counts_and_store_round_trip() -> None:
    items = records(90)
    text = json.dumps({"items": items})
    store = CompressionStore()
    result = crush(text, store=store)
    out = json.loads(result.compressed)["items"]
    marker = marker_of(out)
    assert len(out) - 1 + marker[OMITTED] == 90
    assert "headroom_retrieve" in marker["_headroom_hint"]
    original = store.retrieve(marker[REF])
    assert json.loads(original) == items
    assert marker[REF] == content_ref(original)
    assert result.refs == (marker[REF],)
    assert result.transform == f"smart_crusher:90->{len(out) - 1}"
    filtered = json.loads(store.retrieve(marker[REF], "req-1044"))
    assert [item["id"] for item in filtered] == ["req-1044"]


def test_only_the_first_marker_carries_the_hint() -> None:
    result = crush({"a": records(40), "b": records(40)})
    out = json.loads(result.compressed)
    assert "_headroom_hint" in marker_of(out["a"]) and "_headroom_hint" not in marker_of(out["b"])


def test_without_marker_injection_items_are_still_stashed() -> None:
    store = CompressionStore()
    config = HeadroomConfig(ccr={"inject_retrieval_marker": False})
    ctx = CompressionContext(query="", config=config, tokenizer=TOKENIZER, store=store)
    out = SmartCrusher().compress(json.dumps(records(60)), ctx)
    assert out.modified and OMITTED not in out.text
    assert json.loads(store.retrieve(out.refs[0])) == records(60)


def test_min_items_to_cache_leaves_small_cuts_alone() -> None:
    config = HeadroomConfig(ccr={"min_items_to_cache": 100})
    ctx = CompressionContext(query="", config=config, tokenizer=TOKENIZER, store=None)
    out = SmartCrusher().compress(json.dumps(records(60)), ctx)
    assert out.transform == "smart_crusher:compact" and json.loads(out.text) == records(60)  # nothing dropped


def test_compress_protocol_matches_crush_and_names_refs() -> None:
    text = json.dumps(records(60))
    ctx = CompressionContext(query="", config=HeadroomConfig(), tokenizer=TOKENIZER, store=None)
    out = SmartCrusher().compress(text, ctx)
    assert out.modified and out.reason is None
    assert out.transform is not None and re.fullmatch(r"smart_crusher:60->\d+", out.transform)
    assert list(out.refs) == ctx.stashed
    assert out.text == crush(text).compressed  # same bytes with or without a store


def test_compress_uses_the_context_config() -> None:
    ctx = CompressionContext(query="", config=HeadroomConfig(smart_crusher={"enabled": False}), tokenizer=TOKENIZER)
    out = SmartCrusher().compress(json.dumps(records(60)), ctx)
    assert not out.modified and out.reason == "disabled"


def test_default_store_is_used_when_none_is_given() -> None:
    from headroom_integrations.engine.ccr.store import retrieve

    result = SmartCrusher().crush(records(60), tokenizer=TOKENIZER)
    assert json.loads(retrieve(result.refs[0])) == records(60)


# -- fail open ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ('{"items": [1, 2,', "not JSON"),
        ("plain text, " * 200, "not JSON"),
        ('[{"v": NaN}]' + " " * 2000, "non-finite number NaN"),
        ('{"v": Infinity, "pad": "' + "x" * 2000 + '"}', "non-finite number Infinity"),
        ('{"a": 1, "a": 2, "pad": "' + "x" * 2000 + '"}', "duplicate keys"),
        ("[" * 10_000 + "]" * 10_000, "nesting too deep"),
        (bytes(range(256)) * 20, "binary data (not UTF-8)"),
        ({"bad": {1, 2}}, "not JSON-serialisable (TypeError)"),
        ('{"a":1,"b":[1,2]}', "no arrays to crush"),  # already compact
    ],
)
def test_bad_input_comes_back_unchanged_with_a_reason(data: Any, reason: str) -> None:
    result = crush(data, min_tokens_to_crush=0)
    assert not result.was_modified
    assert result.reason == reason
    if isinstance(data, str):
        assert result.compressed == data


def test_small_input_is_left_alone() -> None:
    result = crush(records(6), min_tokens_to_crush=10_000)
    assert not result.was_modified and result.reason == "below min tokens"
    assert result.tokens_before == result.tokens_after == TOKENIZER.count_text(json.dumps(records(6)))


@pytest.mark.parametrize("extreme", ["1e999", "1.5e154", "-1.7e308", "1" + "0" * 400])
def test_extreme_numbers_do_not_break_the_statistics(extreme: str) -> None:
    text = "[" + ", ".join(["0"] * 80 + [extreme] + ["0"] * 80) + "]"
    result = crush(text, max_scalar_items=10, min_tokens_to_crush=0)
    assert result.was_modified, result.reason
    assert extreme in result.compressed


def test_cut_string_with_lone_surrogate_stays_encodable() -> None:
    text = json.dumps({"blob": "\ud800" + "abc " * 1000 + "\udfff"})
    result = crush(text, max_string_chars=200)
    assert result.was_modified
    result.compressed.encode("utf-8")
    assert json.loads(result.compressed)["blob"].startswith("\ud800abc")


def test_huge_input_is_passed_through_without_work() -> None:
    text = "[" + "1," * (MAX_INPUT_CHARS // 2) + "1]"
    result = crush(text)
    assert not result.was_modified and result.reason.startswith("input too large")
    assert result.compressed is text


def test_no_net_savings_returns_the_original() -> None:
    items = [{"id": i, "v": "x" * 400} for i in range(10)]
    result = crush(items, min_savings_ratio=0.9)
    assert not result.was_modified and result.reason == "no net savings"


def test_store_failure_keeps_everything() -> None:
    from headroom_integrations.engine.config import CCRConfig

    tiny = CompressionStore(CCRConfig(store_max_bytes=1024))
    result = crush(records(200), store=tiny)
    assert not result.was_modified and result.reason.startswith("could not stash")


def test_config_validation() -> None:
    with pytest.raises(ConfigurationError):
        SmartCrusherConfig(focused_keep_ends=-1)


def test_small_drops_keep_the_collection_whole() -> None:
    """Dropping under a quarter of a collection saves little and risks the item the agent needs."""
    materials, lengths, designs = ["bamboo", "maple", "plastic"], ["28", "31", "34"], ["plain", "graphic"]
    variants = {
        str(9000 + i): {
            "item_id": str(9000 + i),
            "options": {"material": materials[i % 3], "length": lengths[i // 3 % 3], "design": designs[i // 9]},
            "price": 180 + 7 * i,
        }
        for i in range(18)
    }
    result = crush({"name": "Board", "variants": variants}, min_tokens_to_crush=0)
    assert all(key in result.compressed for key in variants)


def test_keyword_matches_outrank_position_when_scores_are_low() -> None:
    items = [
        {"id": 7000 + i, "options": {"material": "bamboo" if i % 6 == 5 else "plastic"}, "note": "x" * 60}
        for i in range(60)
    ]
    result = crush(items, query="I want the one made of bamboo", min_tokens_to_crush=0)
    kept = [item["id"] for item in json.loads(result.compressed) if "id" in item]
    assert all(7000 + i in kept for i in range(60) if i % 6 == 5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "id": st.integers(0, 10**9),
                "name": st.text(max_size=12),
                "price": st.floats(allow_nan=False, allow_infinity=False),
                "note": st.none() | st.text(max_size=8),
            }
        ),
        min_size=5,
        max_size=20,
    ),
    st.sampled_from([None, 2]),
)
def test_small_record_lists_are_compacted_losslessly_never_dropped(rows: list[dict[str, Any]], indent: Any) -> None:
    text = json.dumps(rows, indent=indent)
    out = crush(text)
    again = crush(text)
    assert out.compressed == again.compressed and len(out.compressed) <= len(text)
    if out.strategy == "compact":
        assert json.loads(out.compressed) == json.loads(text) and not out.refs
        compact = json.dumps(rows, separators=(",", ":"))  # strings and numbers byte for byte
        assert out.compressed == compact
