"""How often query parts occur in many items, counted at C speed.

BM25 needs each item's length in parts and the count of each query part in
it, not the parts themselves. Splitting items with the part regex of
:mod:`.tokens` costs a regex step per character. Here the items are encoded
into one byte string (one stand-in byte per non-ASCII character), each byte
is mapped to role bits, and the places where a part starts are found for
all characters at once by shifting and masking big integers. A space is put
before every part start, so counting a query part is one substring search.
The counts equal those of :func:`.tokens.text_parts`; a property test holds
the two together.
"""

from __future__ import annotations

import codecs
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add

from .tokens import text_parts

__all__ = ["PartCounts"]

# Items are encoded as Latin-1, whose 256 characters each class as the part regex
# would. Any other character becomes a stand-in: "\xaa" (a Latin-1 letter) for a word
# character, a space for the rest. Two kinds cannot stand in and send their text to the
# regex: non-Latin-1 decimal digits and KELVIN SIGN (a letter whose lower case is "k").
_STAND_IN_LETTER = b"\xaa"
_HANDLER = "headroom_integrations.part_stand_ins"


class _NeedsRegex(Exception):
    """A character no stand-in byte can represent."""


def _class_of(byte: int) -> str:
    char = chr(byte)
    if "a" <= char <= "z":
        return "lower"
    if "A" <= char <= "Z":
        return "upper"
    if char.isdecimal():
        return "digit"
    return "xletter" if char.isalnum() else "other"


def _pair_roles(byte: int) -> int:
    """High nibble: what the byte is as the left neighbour; low nibble: as the right one.

    ``(roles >> 12) & roles`` then sets bit k of byte i when byte i-1 has left
    role k and byte i right role k: 0 a run of alphanumerics starts, 1 letter
    then digit, 2 digit then letter, 3 lower-case (or non-ASCII) letter then capital.
    """
    kind = _class_of(byte)
    letter, lowerish = kind in ("lower", "upper", "xletter"), kind in ("lower", "xletter")
    left = (kind == "other") | letter << 1 | (kind == "digit") << 2 | lowerish << 3
    right = (kind != "other") | (kind == "digit") << 1 | letter << 2 | (kind == "upper") << 3
    return left << 4 | right


# Capital-run roles: bit 0 capital, bit 1 ASCII lower case, bit 4 non-ASCII letter. The bit
# positions are chosen so that the shifted products in _part_starts leave only bit 0 set.
_CAPITAL, _ASCII_LOWER, _XLETTER = 1, 2, 16
_CAPITAL_ROLES = {"upper": _CAPITAL, "lower": _ASCII_LOWER, "xletter": _XLETTER}
_PAIRS = bytes(_pair_roles(b) for b in range(256))
_CAPITALS = bytes(_CAPITAL_ROLES.get(_class_of(b), 0) for b in range(256))
_CAPS_THEN_LOWER = bytes((_CAPITAL, _CAPITAL, _ASCII_LOWER))
_CAPS_THEN_XLETTER = bytes((_CAPITAL, _CAPITAL, _XLETTER))
_MARK = bytes(0x20 if b & 0x0F else 0 for b in range(256))
_FOLD = bytes(b | 0x20 if _class_of(b) == "upper" else b if _class_of(b) != "other" else 0x20 for b in range(256))
_SIGMAS = frozenset("\u03c3\u03c2")  # σ and ς: which one "Σ" lowers to depends on its neighbours
_SEPARATOR = "\n"  # around every item: no part spans two items, and every part ends before a space
# Items are processed in chunks of about this many bytes: big-integer work stays in cache.
_CHUNK_BYTES = 1 << 15


@lru_cache(maxsize=4096)
def _stand_ins(run: str) -> bytes:
    if any(char.isdecimal() or char == "\u212a" for char in run):
        raise _NeedsRegex
    return b"".join(_STAND_IN_LETTER if char.isalnum() else b" " for char in run)


def _on_encode_error(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return _stand_ins(error.object[error.start : error.end]), error.end


codecs.register_error(_HANDLER, _on_encode_error)


def _encode(text: str) -> bytes:
    """``text`` as Latin-1 with stand-ins; raises :class:`_NeedsRegex` when it cannot be."""
    return text.encode("latin-1", _HANDLER)


def _part_starts(data: bytes) -> bytes:
    """A space at every byte where a part starts, NUL elsewhere (``data`` must start with a separator).

    Besides the pair rules of :func:`_pair_roles`, a part starts at the last
    capital of a run followed by ASCII lower case (``HTTPServer``), and after a
    run of two or more capitals followed by a non-ASCII letter (the part
    regex's lookahead only knows ASCII lower case).
    """
    roles = int.from_bytes(data.translate(_PAIRS), "big")
    starts = (roles >> 12) & roles
    capitals = data.translate(_CAPITALS)
    if _CAPS_THEN_LOWER in capitals or _CAPS_THEN_XLETTER in capitals:  # rare outside code
        caps = int.from_bytes(capitals, "big")
        prev = caps >> 8
        starts |= prev & caps & (caps << 7) | (caps >> 16) & prev & (caps >> 4)
    return starts.to_bytes(len(data), "big").translate(_MARK)


class PartCounts:
    """Part lengths of ``texts`` and, per query part, its count in each text."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts
        self.lengths = [0] * len(texts)
        # Per chunk: the spaced, folded bytes, where each of its items starts in them, their indices.
        self._chunks: list[tuple[bytearray, list[int], list[int]]] = []
        # Texts only the part regex can split, with their part counts.
        self._exact: dict[int, Counter[str]] = {}
        # Consecutive texts of about _CHUNK_BYTES each (one byte per character), cut where the sizes say.
        ends = list(accumulate(map(len, texts)))
        first = 0
        while first < len(texts):
            before = ends[first - 1] if first else 0
            last = max(first + 1, bisect_right(ends, before + _CHUNK_BYTES, first))
            self._add_texts(list(range(first, last)))
            first = last

    def _add_texts(self, indices: list[int]) -> None:
        texts = [self._texts[i] for i in indices]
        try:
            data = _encode(_SEPARATOR + _SEPARATOR.join(texts) + _SEPARATOR)
        except _NeedsRegex:
            encodable = []
            for index, text in zip(indices, texts, strict=True):
                try:
                    _encode(text)
                except _NeedsRegex:
                    parts = text_parts(text)
                    self._exact[index] = Counter(parts)
                    self.lengths[index] = len(parts)
                else:
                    encodable.append(index)
            if encodable:
                self._add_texts(encodable)
            return
        marks = _part_starts(data)
        spaced = bytearray(2 * len(data))
        spaced[0::2] = marks
        spaced[1::2] = data.translate(_FOLD)
        sizes = list(map(len, texts))
        # Each text sits in ``data`` after the separators and texts before it; it counts one part per mark.
        firsts = list(accumulate(map(add, sizes, repeat(1)), initial=1))
        lengths = list(map(marks.count, repeat(b" "), firsts, map(add, firsts, sizes)))
        for index, length in zip(indices, lengths, strict=True):
            self.lengths[index] = length
        # In the spaced bytes a text starts later by the marks (parts) of the texts before it.
        starts = list(map(add, firsts, accumulate(lengths, initial=0)))[: len(indices)]
        self._chunks.append((spaced.translate(None, b"\0"), starts, indices))

    def counts(self, part: str) -> list[int]:
        """How often ``part`` (a lower-cased part, as :func:`.tokens.text_parts` gives) occurs in each text."""
        found = [0] * len(self.lengths)
        if not part.isascii():
            # Stand-ins hide non-ASCII characters: count exactly in the texts that may hold it (lower
            # case is context-free but for sigma, so a part without one is in the lowered text).
            anywhere = not _SIGMAS.isdisjoint(part)
            for index, text in enumerate(self._texts):
                if not text.isascii() and (anywhere or part in text.lower()):
                    parts = self._exact.get(index)
                    found[index] = (parts if parts is not None else Counter(text_parts(text)))[part]
            return found
        for index, parts in self._exact.items():
            found[index] = parts[part]
        # Every part has a space before and after it; consecutive parts may share one.
        needle = b" " + part.encode("ascii") + b" "
        step = len(needle) - 1
        for spaced, starts, indices in self._chunks:
            at = spaced.find(needle)
            while at >= 0:
                found[indices[bisect_right(starts, at) - 1]] += 1
                at = spaced.find(needle, at + step)
        return found
