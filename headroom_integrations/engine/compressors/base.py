"""The contract every content compressor follows.

A compressor gets one tool output (text) plus a :class:`CompressionContext`
and returns a :class:`CompressorOutput`. It never raises for bad input (it
returns the original with a reason) and never inflates: when it cannot save
at least ``min_savings_ratio`` it returns the original unchanged. Whatever it
drops it stashes in the store first and names the ref in a short marker, so
the model (or the user) can always get it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..ccr.markers import content_ref, omission_marker
from ..config import HeadroomConfig
from ..errors import StorageError

if TYPE_CHECKING:
    from ..protocols import Store
    from ..tokens.tokenizer import Tokenizer

__all__ = [
    "MAX_INPUT_CHARS",
    "CompressionContext",
    "Compressor",
    "CompressorOutput",
]

# Texts above this size are passed through untouched: no context window holds them, and
# compressing them would cost the caller more time and memory than the call is worth.
MAX_INPUT_CHARS = 20_000_000


@dataclass
class CompressionContext:
    """What a compressor may use: the query, the config, a tokenizer and the store.

    ``store`` is None when nothing may be written (audit and simulate modes);
    :meth:`stash` still returns the ref the content *would* have, so output
    is identical in every mode. When the store cannot take the content,
    :meth:`stash` raises :class:`StorageError` and sets ``store_failed``:
    the compressor then fails open and keeps the content in its output, so
    nothing is dropped that could not be stored. ``retrieve_tool`` False: the
    model cannot call ``headroom_retrieve``, so every marker (:meth:`marker`) names the ref only.
    """

    query: str
    config: HeadroomConfig
    tokenizer: Tokenizer
    store: Store | None = None
    retrieve_tool: bool = True
    stashed: list[str] = field(default_factory=list)
    store_failed: bool = False
    tool_name: str | None = None

    def marker(self, count: int, unit: str, ref: str, note: str = "") -> str:
        """The omission marker for a cut, naming ``headroom_retrieve`` only when the model has it."""
        return omission_marker(count, unit, ref, note, names_tool=self.retrieve_tool)

    def stash(self, content: str, kind: str = "text", path: str | None = None, *, first_line: int = 1) -> str:
        """Keep ``content`` retrievable and return its ref.

        ``kind`` tells :func:`retrieve` how to filter by query: ``"json"`` (a
        JSON document; arrays are filtered item by item), ``"lines"`` (text
        filtered line by line) or ``"text"`` (returned whole). The entry's
        metadata names the tool whose output it was cut from and ``path``
        (the JSON path of a cut collection), so a retrieval can be traced back;
        ``first_line`` is the 1-based line of the original text that ``content``
        starts on, so a query retrieval prints the lines' original numbers.
        """
        if self.store is not None:
            try:
                ref = self.store.put(content, kind=kind, metadata=self.stash_metadata(path, first_line))
            except StorageError:
                self.store_failed = True
                raise
        else:
            ref = content_ref(content)
        if ref not in self.stashed:
            self.stashed.append(ref)
        return ref

    def provenance(self, path: str | None) -> dict[str, str] | None:
        """Where a stashed original came from: its tool and JSON path (None: nothing known)."""
        known = {"tool": self.tool_name, "path": path}
        return {k: v for k, v in known.items() if v} or None

    def stash_metadata(self, path: str | None, first_line: int = 1) -> dict[str, Any] | None:
        """The metadata stored with a stashed original (None: nothing known, keep what is there)."""
        return {**(self.provenance(path) or {}), **(stash_metadata(first_line) or {})} or None

    def count(self, text: str) -> int:
        return int(self.tokenizer.count_text(text))


def stash_metadata(first_line: int) -> dict[str, int] | None:
    """The store metadata of a stashed run that starts on ``first_line`` of its original (None: line 1)."""
    return {"first_line": first_line} if first_line != 1 else None


@dataclass(frozen=True)
class CompressorOutput:
    """Result of one compressor on one text.

    ``transform`` names what was done in the ``name:before->after`` style
    (e.g. ``smart_crusher:412->15``, ``log:2000->87``); ``reason`` says why
    nothing changed when ``modified`` is False.
    """

    text: str
    modified: bool
    transform: str | None = None
    refs: tuple[str, ...] = ()
    reason: str | None = None

    @classmethod
    def unchanged(cls, text: str, reason: str) -> CompressorOutput:
        return cls(text=text, modified=False, reason=reason)


class Compressor(Protocol):
    """A content compressor: ``name`` plus :meth:`compress`."""

    name: str

    def compress(self, text: str, ctx: CompressionContext) -> CompressorOutput:
        """Return a smaller equivalent of ``text`` or the original with a reason."""
        ...
