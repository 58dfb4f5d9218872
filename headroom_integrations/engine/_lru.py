"""One thread-safe LRU map, bounded by the total size of what it holds.

The engine caches token counts, compressor outputs and embedding vectors; all
three need the same thing: least-recently-used eviction under a lock, a bound
that holds however large single entries are, and no entry so large that it
flushes everything else.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRUCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(key: object, value: object) -> int:
    return 1


class LRUCache(Generic[K, V]):
    """LRU map whose entries' ``size(key, value)`` sum to at most ``capacity``.

    The default size of 1 bounds the entry count. An entry larger than
    ``max_item`` (when given) is never stored. ``capacity`` may be raised
    while the cache is in use.
    """

    def __init__(self, capacity: int, size: Callable[[K, V], int] = _one, max_item: int | None = None) -> None:
        self.capacity = capacity
        self.max_item = max_item
        self._size = size
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V) -> None:
        """Store ``value`` under ``key``, evicting the least recently used entries past ``capacity``."""
        size = self._size(key, value)
        if self.max_item is not None and size > self.max_item:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= old[1]
            self._items[key] = (value, size)
            self._total += size
            while self._total > self.capacity and self._items:
                _, (_, evicted) = self._items.popitem(last=False)
                self._total -= evicted

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._total = 0

    def __len__(self) -> int:
        return len(self._items)
