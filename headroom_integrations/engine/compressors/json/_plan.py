"""Deciding, on the parsed JSON value, what each node of the output becomes.

A :class:`Plan` tree mirrors only the nodes that change: collections to
reduce (with the indices kept), long strings to cut, and the containers on
the way to them. Nothing here touches the text; :mod:`._json_render` turns
the plan into output by copying the original bytes of everything kept.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ...config import SmartCrusherConfig
from ...relevance import RelevanceScorer, extract_identifiers
from ._select import select_items

__all__ = ["Plan", "Planner"]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Share of a collection's items that must be objects/arrays for it to be treated as records.
_CONTAINER_SHARE = 0.8
# Dropping less than this share of a collection saves little and risks the one item the agent
# needed, so such collections are kept whole.
_MIN_DROP_SHARE = 0.25
# Values of a dict-of-dicts must share this fraction of keys with the first value.
_SIMILAR_KEYS = 0.5


@dataclass
class Plan:
    """What to do with one node.

    ``kind`` is ``"walk"`` (descend into ``children``), ``"array"``,
    ``"object"`` (dict of similar dicts) or ``"scalars"`` (keep the items at
    ``kept`` of ``count``; ``children`` plans kept items by index), or
    ``"string"`` (keep ``kept = (head, tail)`` characters of ``text``).
    """

    kind: str
    path: str
    count: int = 0
    kept: tuple[int, ...] = ()
    children: dict[str | int, Plan] = field(default_factory=dict)
    text: str = ""


def _child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _PLAIN_KEY.match(key) else f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _compact_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, with the encoder built once.

    ``dumps`` builds a new C encoder per call, which costs more than encoding a
    small item; parsed JSON has no cycles, so no cycle check is needed.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
    if c_make_encoder is None:
        return encoder.encode
    encode = c_make_encoder(None, encoder.default, encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encode(value, 0))


_compact = _compact_encoder()


def _is_record_list(value: list[Any]) -> bool:
    containers = sum(1 for v in value if isinstance(v, (dict, list)))
    return containers >= _CONTAINER_SHARE * len(value)


def _is_scalar_list(value: list[Any]) -> bool:
    return not any(isinstance(v, (dict, list)) for v in value)


def _is_dict_of_dicts(value: dict[str, Any]) -> bool:
    values = list(value.values())
    if not values or not all(isinstance(v, dict) and v for v in values):
        return False
    first = set(values[0])
    return all(len(first & set(v)) >= _SIMILAR_KEYS * max(len(first), len(v)) for v in values[1:])


class Planner:
    """Plans one document for one query under one config.

    ``min_omitted`` is CCR's ``min_items_to_cache``: a collection is only
    reduced when at least that many items would go.
    """

    def __init__(self, config: SmartCrusherConfig, query: str, scorer: RelevanceScorer, min_omitted: int) -> None:
        self.config = config
        self.min_omitted = max(1, min_omitted)
        self.query = query if query.strip() else ""
        self.identifiers = extract_identifiers(self.query) if self.query else []
        self.scorer = scorer

    def plan(self, value: Any, path: str = "$", depth: int = 0, in_item: bool = False) -> Plan | None:
        """The plan of ``value`` (None: leave it as it is)."""
        config = self.config
        if depth > config.max_depth:
            return None
        if isinstance(value, list):
            if len(value) >= config.min_items_to_analyze and _is_record_list(value):
                return self._collection("array", value, path, depth, None)
            if len(value) > config.max_scalar_items and _is_scalar_list(value):
                return self._collection("scalars", value, path, depth, None)
            return self._walk(enumerate(value), path, depth, in_item)
        if isinstance(value, dict):
            if len(value) >= config.min_items_to_analyze and _is_dict_of_dicts(value):
                return self._collection("object", list(value.values()), path, depth, list(value))
            return self._walk(value.items(), path, depth, in_item)
        if self._long_string(value, in_item):
            # A string the query names (an identifier in it) is what the agent asked for.
            if not any(identifier in value for identifier in self.identifiers):
                head = config.max_string_chars // 2
                return Plan("string", path, count=len(value), kept=(head, head // 2), text=value)
        return None

    def _long_string(self, value: Any, in_item: bool) -> bool:
        """A string long enough to cut (strings inside kept items stay whole)."""
        return isinstance(value, str) and not in_item and len(value) > self.config.max_string_chars

    def _plan_child(self, value: Any, parent: str, key: str | int, depth: int, in_item: bool) -> Plan | None:
        """``plan`` of a child; plain values, most children, are passed over before their path is built."""
        if isinstance(value, (list, dict)) or self._long_string(value, in_item):
            return self.plan(value, _child_path(parent, key), depth, in_item)
        return None

    def _walk(self, children: Iterable[tuple[Any, Any]], path: str, depth: int, in_item: bool) -> Plan | None:
        plans: dict[str | int, Plan] = {}
        for key, child in children:
            sub = self._plan_child(child, path, key, depth + 1, in_item)
            if sub is not None:
                plans[key] = sub
        return Plan("walk", path, children=plans) if plans else None

    def _collection(self, kind: str, items: list[Any], path: str, depth: int, keys: list[str] | None) -> Plan | None:
        texts: list[str] | None = None
        if self.query or self.config.keep_terms:
            if keys is None:
                texts = [_compact(item) for item in items]
            else:
                texts = [f"{_compact(k)}:{_compact(item)}" for k, item in zip(keys, items, strict=True)]
        kept = select_items(items, texts, self.query, self.identifiers, self.scorer, self.config)
        if len(items) - len(kept) < max(self.min_omitted, math.ceil(len(items) * _MIN_DROP_SHARE)):
            pairs = zip(keys, items, strict=True) if keys is not None else enumerate(items)
            return self._walk(pairs, path, depth, False)
        plans: dict[str | int, Plan] = {}
        if kind != "scalars":
            # Kept items stay whole, but their own large collections are reduced too.
            for index in kept:
                key: str | int = keys[index] if keys is not None else index
                sub = self._plan_child(items[index], path, key, depth + 1, True)
                if sub is not None:
                    plans[index] = sub
        return Plan(kind, path, count=len(items), kept=kept, children=plans)
