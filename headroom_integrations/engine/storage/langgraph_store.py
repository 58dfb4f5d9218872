"""Compression-store entries in a LangGraph ``BaseStore`` (``InMemoryStore``, ``PostgresStore``, ...).

A LangGraph deployment already runs a store; keeping refs there means no
second server. The adapter is duck-typed: any object with the ``BaseStore``
methods ``put(namespace, key, value, *, ttl=...)``, ``get(namespace, key)``,
``delete(namespace, key)`` and ``search(namespace, limit=, offset=)`` works,
and the engine never imports LangGraph. Items live under namespace
``("headroom", "ccr")``, keyed by ref. When the store ``supports_ttl`` each
item gets a TTL (LangGraph counts minutes); the expiry time is also kept in
the item, so a store without TTL still never serves an expired entry.
The store's own retention governs its size: ``store_max_entries`` /
``store_max_bytes`` are not enforced here (only the per-entry byte limit).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import StorageError
from .base import EntryRecord, Limits, Lookup, Tally

__all__ = ["NAMESPACE", "LangGraphEntries", "is_base_store"]

NAMESPACE = ("headroom", "ccr")
_DROPPED = (*NAMESPACE, "dropped")
_PAGE = 500
_METHODS = ("put", "get", "delete", "search")
_T = TypeVar("_T")


def is_base_store(obj: object) -> bool:
    """Whether ``obj`` has the LangGraph ``BaseStore`` methods the adapter uses."""
    return all(callable(getattr(obj, name, None)) for name in _METHODS)


def _pack(blob: bytes) -> dict[str, str]:
    # JSON stores (PostgresStore keeps JSONB) cannot hold lone surrogates: such content goes as base64.
    try:
        return {"content": blob.decode("utf-8")}
    except UnicodeDecodeError:
        return {"content_b64": base64.b64encode(blob).decode("ascii")}


def _unpack(value: dict[str, Any]) -> bytes:
    if "content_b64" in value:
        return base64.b64decode(value["content_b64"])
    return str(value["content"]).encode("utf-8")


class LangGraphEntries:
    """The :class:`~.base.EntryBackend` over a LangGraph ``BaseStore`` (see the module docstring)."""

    def __init__(self, store: Any, limits: Limits, label: str) -> None:
        self.store = store
        self.label = label
        self._limits = limits
        self._ttl = bool(getattr(store, "supports_ttl", False))

    def _call(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure of a foreign store is a storage failure
            raise StorageError(f"{self.label} failed: {type(exc).__name__}: {exc}", {"store": self.label}) from None

    def _write(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        if self._ttl:
            self._call(self.store.put, namespace, key, value, ttl=self._limits.ttl_seconds / 60.0)
        else:
            self._call(self.store.put, namespace, key, value)

    def _value(self, namespace: tuple[str, ...], key: str) -> dict[str, Any] | None:
        item = self._call(self.store.get, namespace, key)
        value = getattr(item, "value", None)
        return value if isinstance(value, dict) else None

    def put(self, ref: str, kind: str, meta_json: str | None, blob: bytes, now: float) -> Tally:
        old = self._value(NAMESPACE, ref)
        live = old is not None and float(old["expires_at"]) > now
        value = {
            "kind": kind,
            "created_at": float(old["created_at"]) if live and old else now,
            "expires_at": now + self._limits.ttl_seconds,
            "metadata": meta_json or (str(old["metadata"]) if live and old else "{}"),
            **_pack(blob),
        }
        self._write(NAMESPACE, ref, value)
        if self._value(_DROPPED, ref) is not None:
            self._call(self.store.delete, _DROPPED, ref)
        return Tally(expired=int(old is not None and not live))

    def get(self, ref: str, now: float) -> Lookup:
        value = self._value(NAMESPACE, ref)
        if value is not None and float(value["expires_at"]) <= now:
            self._drop(ref, "expired")
            return Lookup(None, "expired", Tally(expired=1))
        if value is None:
            dropped = self._value(_DROPPED, ref)
            return Lookup(None, str(dropped["reason"]) if dropped else "unknown")
        record = EntryRecord(
            kind=str(value["kind"]),
            created_at=float(value["created_at"]),
            expires_at=float(value["expires_at"]),
            metadata_json=str(value["metadata"]),
            content=_unpack(value),
        )
        return Lookup(record, "hit")

    def _drop(self, ref: str, reason: str) -> None:
        self._call(self.store.delete, NAMESPACE, ref)
        self._write(_DROPPED, ref, {"reason": reason})

    def delete(self, ref: str) -> bool:
        if self._value(NAMESPACE, ref) is None:
            return False
        self._drop(ref, "deleted")
        return True

    def _items(self, namespace: tuple[str, ...]) -> list[Any]:
        items: list[Any] = []
        offset = 0
        while True:
            page = list(self._call(self.store.search, namespace, limit=_PAGE, offset=offset))
            offset += len(page)
            # search() matches a namespace prefix: keep the items of this namespace only.
            items += [i for i in page if tuple(getattr(i, "namespace", ())) == namespace]
            if len(page) < _PAGE:
                return items

    def clear(self) -> None:
        for namespace in (_DROPPED, NAMESPACE):
            for item in self._items(namespace):
                self._call(self.store.delete, namespace, item.key)

    def contains(self, ref: str, now: float) -> bool:
        value = self._value(NAMESPACE, ref)
        return value is not None and float(value["expires_at"]) > now

    def count(self, now: float) -> int:
        return sum(float(item.value["expires_at"]) > now for item in self._items(NAMESPACE))

    def usage(self, now: float) -> tuple[int, int, Tally]:
        entries = size = expired = 0
        for item in self._items(NAMESPACE):
            value = item.value
            if float(value["expires_at"]) <= now:
                self._drop(item.key, "expired")
                expired += 1
                continue
            entries += 1
            size += len(_unpack(value)) + len(str(value["metadata"]))
        return entries, size, Tally(expired=expired)

    def close(self) -> None:
        """The LangGraph store belongs to the application, which closes it."""
