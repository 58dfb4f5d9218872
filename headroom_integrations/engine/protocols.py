"""The pluggable parts, as protocols: what the engine needs of a store, a metrics sink and a token counter.

Any object with these methods plugs in (the engine's own classes, a user's
wrapper around another backend), and the public signatures say exactly that
instead of ``Any``. ``ConfigLike`` and ``ModeLike`` are what a user may pass
where a config or a mode is expected; they are validated once, by
:meth:`~.options.EngineOptions.build`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, Union, runtime_checkable

from .config import HeadroomConfig, HeadroomMode

if TYPE_CHECKING:
    from .metrics import RequestMetrics

__all__ = ["ConfigLike", "MetricsSink", "ModeLike", "Store", "TokenCounter"]

ConfigLike: TypeAlias = Union[HeadroomConfig, Mapping[str, Any]]  # noqa: UP007 - evaluated at runtime
ModeLike: TypeAlias = Union[HeadroomMode, str]  # noqa: UP007


@runtime_checkable
class Store(Protocol):
    """Keeps dropped content retrievable by ref (compress-cache-retrieve)."""

    def put(self, content: str, *, kind: str = "text", metadata: Mapping[str, Any] | None = None) -> str:
        """Store ``content`` and return its ref."""
        ...

    def retrieve(self, ref: str, query: str | None = None) -> str:
        """The content behind ``ref`` (only what matches ``query`` when given)."""
        ...


@runtime_checkable
class MetricsSink(Protocol):
    """Receives one :class:`~.metrics.RequestMetrics` per compressed request."""

    def record(self, metrics: RequestMetrics) -> None:
        """Keep one request's savings."""
        ...


@runtime_checkable
class TokenCounter(Protocol):
    """Counts tokens the way a model family does (exact, or a documented estimate)."""

    def count_text(self, text: str) -> int:
        """Tokens of one text."""
        ...

    def count_messages(self, messages: Sequence[Mapping[str, Any]]) -> int:
        """Tokens of a conversation, message overheads included."""
        ...
