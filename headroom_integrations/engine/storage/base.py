"""What the two stores need from a backend, and how a backend outage is reported.

``CompressionStore`` and ``MetricsStore`` keep one API each; the URL (or a
LangGraph ``BaseStore``) picks a backend implementing :class:`EntryBackend`
or :class:`MetricsBackend`. Backends raise :class:`StorageError` for anything
that goes wrong on their side; :class:`Outage` turns a run of such failures
into one warning (and lets calls fail fast for a moment) instead of one
warning, and one slow timeout, per call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import StorageError

__all__ = [
    "EntryBackend",
    "EntryRecord",
    "Limits",
    "Lookup",
    "MetricsBackend",
    "Outage",
    "Tally",
    "redact_url",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# After a failure, calls fail at once for this long instead of each waiting on a dead server.
RETRY_INTERVAL_S = 0.5


class Tally(NamedTuple):
    """Entries a backend operation evicted (bounds) and purged (expired)."""

    evicted: int = 0
    expired: int = 0


@dataclass(frozen=True)
class Limits:
    """The bounds of a compression store (from ``CCRConfig``)."""

    max_entries: int
    max_bytes: int
    ttl_seconds: float


@dataclass(frozen=True)
class EntryRecord:
    """One stored original as a backend keeps it."""

    kind: str
    created_at: float
    expires_at: float
    metadata_json: str
    content: bytes


@dataclass(frozen=True)
class Lookup:
    """A get's answer: the record, or why there is none (expired/evicted/deleted/unknown)."""

    record: EntryRecord | None
    status: str
    tally: Tally = Tally()


class EntryBackend(Protocol):
    """Where a ``CompressionStore`` keeps its entries.

    ``put`` stores or refreshes ``ref`` (``meta_json`` None keeps the old
    metadata) and keeps the store within its :class:`Limits`, never evicting
    ``ref`` itself. Every method raises :class:`StorageError` when the backend
    cannot be reached or fails.
    """

    label: str

    def put(self, ref: str, kind: str, meta_json: str | None, blob: bytes, now: float) -> Tally: ...

    def get(self, ref: str, now: float) -> Lookup: ...

    def delete(self, ref: str) -> bool: ...

    def clear(self) -> None: ...

    def contains(self, ref: str, now: float) -> bool: ...

    def count(self, now: float) -> int: ...

    def usage(self, now: float) -> tuple[int, int, Tally]:
        """Live (entries, bytes), expired ones purged first."""
        ...

    def close(self) -> None: ...


class MetricsBackend(Protocol):
    """Where a ``MetricsStore`` keeps its records (plain dicts, as ``RequestMetrics.to_dict`` gives)."""

    def append(self, data: dict[str, Any]) -> None: ...

    def select(
        self, start_time: float | None, end_time: float | None, newest_first: bool, limit: int | None
    ) -> list[dict[str, Any]]:
        """Records with ``start_time <= timestamp < end_time``, in recording order or newest first."""
        ...

    def flush(self) -> None:
        """Write what is buffered; a backend without a buffer does nothing."""
        ...

    def events(self) -> MetricsBackend:
        """A backend of the same store for retrieval-feedback events (written at once, never buffered)."""
        ...

    def since(self, position: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Records appended after ``position`` (0: the start), at most the newest ``limit``, newest first,
        and the position to ask from next time."""
        ...

    def close(self) -> None: ...


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``: safe for logs, errors and reprs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        return url.split("://", 1)[0] + "://***"


class Outage:
    """Tracks whether a backend is down: one warning when it goes, one info when it is back.

    While down, :meth:`call` fails at once for :data:`RETRY_INTERVAL_S` after
    the last failure (so a dead server costs the caller nothing), then tries
    the backend again. A backend that refuses writes because it is full
    (``details["status"] == "full"``) is reported the same way but still tried
    on every call: its reads keep working.
    """

    def __init__(self, label: str, consequence: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.consequence = consequence
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._reason = ""

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def call(self, fn: Callable[..., _T], *args: Any) -> _T:
        with self._lock:
            if self._down_since is not None and self._clock() < self._retry_at:
                raise StorageError(
                    f"{self.label} is unavailable ({self._reason}); retrying shortly",
                    {"store": self.label, "status": "unavailable"},
                )
        try:
            result = fn(*args)
        except StorageError as exc:
            self._failed(exc)
            raise
        if self._down_since is not None:
            self._recovered()
        return result

    def _failed(self, exc: StorageError) -> None:
        with self._lock:
            first = self._down_since is None
            now = self._clock()
            if first:
                self._down_since = now
            # A full server still serves reads: only an unreachable one makes calls fail fast.
            if exc.details.get("status") != "full":
                self._retry_at = now + RETRY_INTERVAL_S
            self._reason = exc.message
        if first:
            logger.warning("%s is unavailable: %s; until it is back, %s", self.label, exc.message, self.consequence)

    def _recovered(self) -> None:
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            logger.info("%s is available again after %.1f s", self.label, self._clock() - since)
