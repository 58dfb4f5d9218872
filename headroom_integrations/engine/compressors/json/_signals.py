"""What makes one item of a JSON collection worth keeping, measured per field.

Items are flattened into columns (``field.path -> item indices and scalar
values``) once; every signal then reads whole columns, which keeps the
per-item Python work small. Signals:

* strong errors (error fields, failing status codes, ``ok: false``...) - kept
  regardless of budget;
* weak errors (error words inside free text), numeric anomalies, change
  points in time-ordered series, rare categorical values and rare keys -
  scored and ranked against the budget;
* signatures: what kind each item is (key set plus low-cardinality fields);
  distinct signatures per item measure diversity, which sets how hard a
  collection compresses.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Any

__all__ = ["ItemSignals", "analyze_items"]

_FLAT_DEPTH = 3
_FLAT_LIST = 4
_FINITE = 1e100  # larger magnitudes (or 1e999 -> inf) would overflow squared deviations
_MISSING = object()  # signature slot of an item without the field
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
_NUMBER_TYPES = frozenset({int, float})

_ERROR_KEYS = frozenset(
    {
        "error",
        "errors",
        "err",
        "exception",
        "exceptions",
        "traceback",
        "stacktrace",
        "stack_trace",
        "fault",
        "failure",
        "failures",
        "error_message",
        "errormessage",
        "error_msg",
        "error_code",
        "errorcode",
        "error_type",
        "failure_reason",
        "failed_reason",
    }
)
_STATUS_KEYS = frozenset(
    {
        "status",
        "state",
        "conclusion",
        "result",
        "outcome",
        "level",
        "severity",
        "log_level",
        "loglevel",
        "lvl",
        "health",
    }
)
_ERROR_VALUES = frozenset(
    {
        "error",
        "err",
        "errored",
        "failed",
        "failure",
        "fail",
        "fatal",
        "critical",
        "crit",
        "panic",
        "timeout",
        "timed_out",
        "timedout",
        "denied",
        "rejected",
        "aborted",
        "crashed",
        "exception",
        "emerg",
        "emergency",
        "alert",
        "unhealthy",
    }
)
_CODE_KEYS = frozenset(
    {
        "status",
        "status_code",
        "statuscode",
        "http_status",
        "httpstatus",
        "code",
        "response_code",
        "responsecode",
        "http_code",
    }
)
_OK_KEYS = frozenset({"ok", "success", "succeeded", "successful", "passed", "healthy"})
_WEAK_ERROR = re.compile(
    r"\b(?:error|errors|exception|failed|failure|fatal|critical|timeout|timed out|denied|traceback|panic|"
    r"refused|unauthorized|forbidden|crash(?:ed)?)\b",
    re.IGNORECASE,
)
_WEAK_ERROR_STEMS = (
    "error",
    "exception",
    "fail",
    "fatal",
    "critical",
    "time",
    "denied",
    "traceback",
    "panic",
    "refused",
    "unauthorized",
    "forbidden",
    "crash",
)
# Identifiers, counters and timestamps: their spread says nothing about an item.
_ID_LIKE = re.compile(
    r"(?:^|[._\[])(?:id|ids|uuid|guid|sha|hash|number|num|no|index|idx|seq|sequence|port|version|"
    r"year|timestamp|ts|time|date|datetime)$|_id$|Id$|_at$|_time$|_ts$|_number$|_index$",
)
_TIME_KEY = re.compile(r"(?:^|_)(?:time|timestamp|ts|date|datetime)$|_at$|At$|Time$", re.IGNORECASE)

_WEIGHT_WEAK_ERROR = 0.5
# A rare value this many times the anomaly threshold away from the mean is always kept.
_MUST_KEEP_SIGMAS = 2.0
_WEIGHT_RARE = 0.6
_WEIGHT_RARE_STATUS = 0.8
_WEIGHT_RARE_KEY = 0.5
_WEIGHT_CHANGE = 0.7


@dataclass(frozen=True)
class ItemSignals:
    """Signals of one collection.

    ``strong_errors`` maps must-keep items to their error text, ``anomalies``
    are the must-keep numeric outliers (a few values far from the rest),
    ``scores`` the other notable items to an importance, ``groups`` partitions
    the items by signature (rarest first) and ``diversity`` is distinct
    signatures / items.
    """

    strong_errors: dict[int, str]
    scores: dict[int, float]
    diversity: float
    groups: list[list[int]]
    anomalies: frozenset[int] = frozenset()


class _Column:
    """One flattened field: which items have it, their values, and facts computed once."""

    __slots__ = ("distinct", "indices", "path", "types", "values")

    def __init__(self, path: str) -> None:
        self.path = path
        self.indices: list[int] = []
        self.values: list[Any] = []
        self.types: set[type] = set()
        self.distinct: set[Any] = set()

    def finish(self) -> None:
        self.types = set(map(type, self.values))
        self.distinct = set(self.values)


def _collect(value: Any, prefix: str, index: int, columns: dict[str, _Column], depth: int) -> None:
    """Append the scalars of ``value`` to their columns, nested containers a few levels deep."""
    if type(value) is dict:
        pairs: Any = value.items()
        sep = "."
    elif type(value) is list:
        pairs = [(f"[{j}]", child) for j, child in enumerate(value[:_FLAT_LIST])]
        sep = ""
    else:
        pairs = (("", value),)
        sep = ""
    for key, child in pairs:
        path = prefix + sep + key if prefix else key
        if type(child) in _SCALAR_TYPES:
            column = columns.get(path)
            if column is None:
                columns[path] = column = _Column(path)
            column.indices.append(index)
            column.values.append(child)
        elif depth < _FLAT_DEPTH:
            _collect(child, path, index, columns, depth + 1)


def _flat_columns(items: Sequence[Any], key_sets: list[tuple[Any, ...]]) -> list[_Column] | None:
    """``_columns`` of flat records, built a key at a time; None for any other collection.

    Flat records - dicts with the same keys in the same order and only scalar
    values - are the usual tool output, and their columns are just the keys.
    """
    if not items or set(map(type, items)) != {dict} or key_sets.count(key_sets[0]) != len(key_sets):
        return None
    indices = list(range(len(items)))
    columns = []
    for key in key_sets[0]:
        values = [item[key] for item in items]
        types = set(map(type, values))
        if not types <= _SCALAR_TYPES:
            return None
        column = _Column(key)
        column.indices, column.values, column.types, column.distinct = indices, values, types, set(values)
        columns.append(column)
    return columns


def _columns(items: Sequence[Any]) -> list[_Column]:
    columns: dict[str, _Column] = {}
    for index, item in enumerate(items):
        _collect(item, "", index, columns, 0)
    for column in columns.values():
        column.finish()
    return list(columns.values())


def _error_rule(path: str) -> str | None:
    """Which strong-error rule applies to a field, decided once per column."""
    segments = [s.lower() for s in re.split(r"[.\[\]]+", path) if s]
    leaf = segments[-1] if segments else ""
    if any(s in _ERROR_KEYS for s in segments):
        return "present"
    if leaf in _OK_KEYS:
        return "false"
    if leaf in _STATUS_KEYS or leaf in _CODE_KEYS:
        return "status"
    return None


def _is_strong(rule: str, value: Any) -> bool:
    if rule == "present":
        return value not in (None, "", False, 0)
    if rule == "false":
        return value is False
    if type(value) is str:
        return value.strip().lower() in _ERROR_VALUES
    return type(value) in _NUMBER_TYPES and 100 <= value <= 599 and not 200 <= value < 300 and value == int(value)


def _mentions_error(text: str) -> bool:
    """Cheap pre-check (plain substring search) before the word-boundary regex."""
    lowered = text.lower()
    return any(stem in lowered for stem in _WEAK_ERROR_STEMS) and _WEAK_ERROR.search(text) is not None


def _strong_pairs(column: _Column, rule: str) -> set[tuple[type, Any]]:
    """The (type, value) pairs of a column that are strong errors under ``rule``, each judged once."""
    if len(column.types) == 1:
        kind = next(iter(column.types))
        typed = {(kind, value) for value in column.distinct}
    else:
        typed = set(zip(map(type, column.values), column.values, strict=True))
    return {pair for pair in typed if _is_strong(rule, pair[1])}


def _errors(column: _Column, strong: dict[int, str], weak: dict[int, float]) -> None:
    """Strong errors (index -> "field=value") and weak ones (error words in free text).

    Each distinct value is judged once; the per-item pass only looks values up.
    """
    rule = _error_rule(column.path)
    bad = _strong_pairs(column, rule) if rule is not None else set()
    if bad:
        # Equal values of other types (1, 1.0, True) share a slot here; ``bad`` tells them apart.
        bad_values = {value for _, value in bad}
        for index, value in zip(column.indices, column.values, strict=True):
            if value in bad_values and (type(value), value) in bad:
                found = f"{column.path}={value}"
                if index not in strong or found < strong[index]:
                    strong[index] = found
    if str in column.types:
        texts = [v for v in column.distinct if type(v) is str]
        if _mentions_error("\n".join(texts)):
            mentions = {text for text in texts if _WEAK_ERROR.search(text)}
            for index, value in zip(column.indices, column.values, strict=True):
                if value in mentions and index not in strong:
                    weak[index] = _WEIGHT_WEAK_ERROR


def _numbers(column: _Column, n_items: int) -> tuple[list[int], list[float]] | None:
    """(indices, values) of a numeric field on most items (nulls aside), else None."""
    kinds = column.types - {type(None)}
    if not kinds or not kinds <= _NUMBER_TYPES:
        return None
    indices, values = column.indices, column.values
    if type(None) in column.types:
        kept = [k for k, v in enumerate(values) if v is not None]
        indices, values = [indices[k] for k in kept], [values[k] for k in kept]
    # min/max decide for every value: strict JSON has no NaN.
    if len(values) < max(5, n_items / 2) or not -_FINITE < min(values) <= max(values) < _FINITE:
        return None
    return indices, list(map(float, values))


def _mean_std(values: list[float]) -> tuple[float, float]:
    mean = math.fsum(values) / len(values)
    squares = map(pow, map(operator.sub, values, repeat(mean)), repeat(2))  # (x - mean) ** 2, in C
    return mean, math.sqrt(math.fsum(squares) / len(values))


def _anomalies(
    indices: list[int],
    values: list[float],
    spread: tuple[float, float],
    threshold: float,
    out: dict[int, float],
    must_keep: set[int],
) -> None:
    """Values more than ``threshold`` standard deviations (``spread`` is mean, std) from the field's mean.

    When such values are rare and far out (twice the threshold) they are
    anomalies and go to ``must_keep``: near-identical rows must never crowd a
    spike out of the budget.
    """
    mean, std = spread
    if threshold <= 0 or std <= 0:
        return
    limit = threshold * std
    flagged = [(i, abs(x - mean) / std) for i, x in zip(indices, values, strict=True) if abs(x - mean) > limit]
    # A field where many values are "outliers" is heavy-tailed, not anomalous.
    damp = 0.5 if len(flagged) > 0.1 * len(values) else 1.0
    for i, z in flagged:
        out[i] = out.get(i, 0.0) + damp * (0.5 + min(z / threshold, 3.0) / 6.0)
    if damp == 1.0:
        must_keep.update(i for i, z in flagged if z >= _MUST_KEEP_SIGMAS * threshold)


def _rare_values(column: _Column, n_items: int, out: dict[tuple[int, str], float]) -> None:
    """Values of a low-cardinality field seen on very few items; scored once per top-level field."""
    if (
        n_items < 8
        or len(column.values) * 2 < n_items
        or float in column.types
        or not 2 <= len(column.distinct) <= max(2, n_items // 4)
    ):
        return
    counts = Counter(column.values)
    top = max(counts.values())
    rare_limit = max(1, n_items // 40)
    rare = {v for v, c in counts.items() if c <= rare_limit and c * 3 < top}
    if not rare:
        return
    weight = _WEIGHT_RARE_STATUS if column.path.rsplit(".", 1)[-1].lower() in _STATUS_KEYS else _WEIGHT_RARE
    group = re.split(r"[.\[]", column.path, maxsplit=1)[0]
    for i, v in zip(column.indices, column.values, strict=True):
        if v in rare and out.get((i, group), 0.0) < weight:
            out[(i, group)] = weight


def _time_ordered(columns: list[_Column], n_items: int) -> bool:
    """True when some top-level time-like field is on every item and monotonic."""
    for column in columns:
        path, values = column.path, column.values
        if "." in path or "[" in path or len(values) != n_items or not _TIME_KEY.search(path):
            continue
        if column.types == {str} or (column.types and column.types <= _NUMBER_TYPES):
            pairs = list(zip(values, values[1:], strict=False))
            if all(a <= b for a, b in pairs) or all(a >= b for a, b in pairs):
                return True
    return False


def _level_shifts(values: list[float], std: float, threshold: float, out: dict[int, float]) -> None:
    """Items where the windowed mean jumps by more than ``threshold`` sigma (``std``: the values' spread)."""
    n = len(values)
    window = max(2, min(10, n // 8))
    if n < 2 * window + 1 or std <= 0:
        return
    prefix = list(accumulate(values, initial=0.0))
    # At item i: the mean of the window after it minus the mean of the window before it.
    shifts = [0.0] * window
    shifts += [
        abs((after - here) / window - (here - before) / window) / std
        for before, here, after in zip(prefix, prefix[window:], prefix[2 * window :], strict=False)
    ]
    shifts += [0.0] * (window - 1)
    peaks = [i for i in range(window, n - window + 1) if shifts[i] > threshold]
    for i in peaks:
        if shifts[i] > shifts[i - 1] and shifts[i] == max(shifts[max(0, i - window) : i + window + 1]):
            out[i] = out.get(i, 0.0) + _WEIGHT_CHANGE


def _transitions(column: _Column, n_items: int, out: dict[int, float]) -> None:
    """Items where a low-cardinality field switches to a new regime."""
    if len(column.distinct) > max(2, n_items // 10):
        return
    values = column.values
    changes = [i for i in range(1, n_items) if values[i] != values[i - 1]]
    if changes and len(changes) <= max(2, n_items // 10):
        for i in changes:
            out[i] = out.get(i, 0.0) + _WEIGHT_CHANGE


def _key_sets(items: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(item) if type(item) is dict else (type(item).__name__,) for item in items]


def _rare_keys(key_sets: list[tuple[Any, ...]], out: dict[int, float]) -> None:
    """Items carrying a key that (almost) no other item has."""
    n_items = len(key_sets)
    shapes = Counter(key_sets)
    if n_items < 8 or len(shapes) == 1:
        return
    presence: Counter[Any] = Counter()
    for shape, count in shapes.items():
        for key in shape:
            presence[key] += count
    rare = {k for k, c in presence.items() if c <= max(1, n_items // 40)}
    odd_shapes = {shape for shape in shapes if not rare.isdisjoint(shape)}
    for index, shape in enumerate(key_sets):
        if shape in odd_shapes:
            out[index] = out.get(index, 0.0) + _WEIGHT_RARE_KEY


def _kind_column(column: _Column, n_items: int) -> bool:
    """A field that says what kind an item is: on most items, few distinct non-float values."""
    limit = max(4, min(n_items // 2, round(2 * math.sqrt(n_items))))
    return len(column.values) * 2 >= n_items and len(column.distinct) <= limit and float not in column.types


def _groups(key_sets: list[tuple[Any, ...]], columns: list[_Column]) -> list[list[int]]:
    """Items grouped by signature (key set plus kind-field values), rarest group first.

    Identifiers, free text and measurements stay out of the signature: items
    that differ only there are near-identical to a reader.
    """
    n_items = len(key_sets)
    kinds: list[list[Any]] = []
    for column in columns:
        if not _kind_column(column, n_items):
            continue
        typed = list(zip(map(type, column.values), column.values, strict=True))
        if column.indices != list(range(n_items)):  # not on every item, or twice on one ("a.b" and a: {b})
            spread: list[Any] = [_MISSING] * n_items
            for i, pair in zip(column.indices, typed, strict=True):
                spread[i] = pair
            typed = spread
        kinds.append(typed)
    by_signature: dict[tuple[Any, ...], list[int]] = {}
    for i, signature in enumerate(zip(key_sets, *kinds, strict=True)):
        by_signature.setdefault(signature, []).append(i)
    return sorted(by_signature.values(), key=lambda g: (len(g), g[0]))


def analyze_items(
    items: Sequence[Any],
    *,
    anomaly_std: float,
    variance_threshold: float,
    preserve_errors: bool,
    preserve_change_points: bool = True,
) -> ItemSignals:
    """Measure every signal of ``items`` (the elements of one collection)."""
    n_items = len(items)
    key_sets = _key_sets(items)
    columns = _flat_columns(items, key_sets)
    if columns is None:
        columns = _columns(items)
    strong: dict[int, str] = {}
    scores: dict[int, float] = {}
    rare: dict[tuple[int, str], float] = {}
    anomalies: set[int] = set()
    ordered = preserve_change_points and n_items >= 8 and _time_ordered(columns, n_items)
    for column in columns:
        if preserve_errors:
            _errors(column, strong, scores)
        numbers = _numbers(column, n_items)
        if numbers is not None:
            if not _ID_LIKE.search(column.path):
                spread = _mean_std(numbers[1])
                _anomalies(*numbers, spread, anomaly_std, scores, anomalies)
                if ordered and len(numbers[1]) == n_items:
                    _level_shifts(numbers[1], spread[1], variance_threshold, scores)
            continue
        _rare_values(column, n_items, rare)
        if ordered and len(column.values) == n_items:
            _transitions(column, n_items, scores)
    for (i, _group), weight in rare.items():
        scores[i] = scores.get(i, 0.0) + weight
    _rare_keys(key_sets, scores)
    groups = _groups(key_sets, columns)
    return ItemSignals(
        strong_errors=strong,
        scores=scores,
        diversity=len(groups) / n_items if n_items else 1.0,
        groups=groups,
        anomalies=frozenset(anomalies),
    )
