"""A bounded, thread-safe LRU of token counts keyed by (encoding, text).

Agent loops recount the same history every turn and the pipeline counts each
text before and after compression, so most counts repeat. A hit costs one hash
lookup instead of a BPE pass; ``benchmarks/bench_tokenizer.py`` measures it.
The bound is on characters held, not entries, so a few huge tool outputs cannot
pin unbounded memory: texts too large to hold are remembered by their SHA-256
digest instead (hashing is ~10x cheaper than counting). Tiny texts are not cached
because counting them is as cheap as the lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from .._lru import LRUCache

__all__ = ["CountCache"]


def _text_chars(key: tuple[str, str], count: int) -> int:
    return len(key[1])


class CountCache:
    """LRU map ``(encoding, text) -> count`` holding at most ``max_chars`` characters of keys."""

    def __init__(self, max_chars: int = 8_000_000, min_chars: int = 64) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self._max_item = max_chars // 4
        self._counts: LRUCache[tuple[str, str], int] = LRUCache(max_chars, _text_chars, self._max_item)

    def count(self, encoding: str, text: str, counter: Callable[[str], int]) -> int:
        """``counter(text)``, remembered under ``(encoding, text)``.

        The count itself runs outside the cache's lock, so threads never wait on each other's BPE.
        """
        if len(text) < self.min_chars:
            return counter(text)
        key = (encoding, text)
        if len(text) > self._max_item:  # a distinct first field: digest keys never meet text keys
            key = (f"sha256:{encoding}", hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
        hit = self._counts.get(key)
        if hit is not None:
            return hit
        tokens = counter(text)
        self._counts.put(key, tokens)
        return tokens

    def clear(self) -> None:
        self._counts.clear()

    def __len__(self) -> int:
        return len(self._counts)
