"""SmartCrusher's item signals and item texts: the fast paths give exactly what the general ones give."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_integrations.engine.compressors.json import _signals as _json_signals
from headroom_integrations.engine.compressors.json._plan import _compact
from headroom_integrations.engine.compressors.json._signals import analyze_items

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.sampled_from([0, 1, 200, 404, 500, 503, 1.0, 2.5, 1e99]),
    st.sampled_from(["ok", "ERROR", "failed to connect", "INFO", "timeout", "warn", "", "done"]),
)
_KEYS = ["id", "status", "level", "message", "error", "latency_ms", "ok", "kind"]


@st.composite
def _flat_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(st.lists(st.sampled_from(_KEYS), min_size=1, max_size=5, unique=True))
    n = draw(st.integers(1, 40))
    return [{key: draw(_scalars) for key in keys} | {"ts": i} for i in range(n)]


def _signals(items: list[Any]) -> tuple[Any, ...]:
    found = analyze_items(items, anomaly_std=2.0, variance_threshold=1.5, preserve_errors=True)
    # Dict order counts too: later float sums follow it.
    return list(found.strong_errors.items()), list(found.scores.items()), found.diversity, found.groups


def _described(columns: list[Any]) -> list[tuple[Any, ...]]:
    return [(c.path, c.indices, [(type(v), v) for v in c.values], c.types, c.distinct) for c in columns]


@settings(max_examples=80, deadline=None)
@given(_flat_records())
def test_flat_records_give_the_columns_of_the_general_path(records: list[dict[str, Any]]) -> None:
    flat = _json_signals._flat_columns(records, _json_signals._key_sets(records))
    assert flat is not None
    assert _described(flat) == _described(_json_signals._columns(records))


@settings(max_examples=80, deadline=None)
@given(_flat_records())
def test_flat_records_give_the_signals_of_the_general_path(records: list[dict[str, Any]]) -> None:
    fast = _signals(records)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_json_signals, "_flat_columns", lambda _items, _keys: None)
        assert _signals(records) == fast


@pytest.mark.parametrize(
    "items",
    [
        [{"a": 1}, {"a": [2]}],  # a container value
        [{"a": 1, "b": 2}, {"b": 2, "a": 1}],  # the same keys in another order
        [{"str": 1}, "str"],  # a key set equal to a scalar's type name
        [{"a": {"b": 1}, "a.b": 2}, {"a.b": 3}],  # two fields with one path
    ],
)
def test_other_collections_take_the_general_path(items: list[Any]) -> None:
    assert _json_signals._flat_columns(items, _json_signals._key_sets(items)) is None


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(_json_values)
def test_item_texts_are_json_dumps_compact(value: Any) -> None:
    assert _compact(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
