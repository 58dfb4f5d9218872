"""A bounded, thread-safe LRU of token counts keyed by (encoding, text).

Agent loops recount the same history every turn and the pipeline counts each
text before and after compression, so most counts repeat. A hit costs one hash
lookup instead of a BPE pass; ``benchmarks/bench_tokenizer.py`` measures it.
The bound is on characters held, not entries, so a few huge tool outputs cannot
pin unbounded memory; tiny texts are not cached because counting them is as
cheap as the lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["CountCache"]


class CountCache:
    """LRU map ``(encoding, text) -> count`` holding at most ``max_chars`` characters of keys."""

    def __init__(self, max_chars: int = 8_000_000, min_chars: int = 64) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self._max_item = max_chars // 4
        self._items: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def count(self, encoding: str, text: str, counter: Callable[[str], int]) -> int:
        """``counter(text)``, remembered under ``(encoding, text)``.

        The count itself runs outside the lock, so threads never wait on each other's BPE.
        """
        if not self.min_chars <= len(text) <= self._max_item:
            return counter(text)
        key = (encoding, text)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        tokens = counter(text)
        with self._lock:
            if key not in self._items:
                self._items[key] = tokens
                self._chars += len(text)
                while self._chars > self.max_chars:
                    (_, old), _ = self._items.popitem(last=False)
                    self._chars -= len(old)
        return tokens

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0

    def __len__(self) -> int:
        return len(self._items)
