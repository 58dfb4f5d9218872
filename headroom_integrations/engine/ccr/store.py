"""The compress-cache-retrieve (CCR) store: everything a compressor drops stays retrievable.

Entries are keyed by :func:`content_ref` (a hash of the content), so the same
content always gets the same ref, in every process. The store is bounded
(``store_max_entries``, ``store_max_bytes``; least recently used entries go
first), entries expire ``store_ttl_seconds`` after their last :meth:`put`,
and it lives in SQLite: in memory (``memory://``, per process) or in a file
(``sqlite:///path.db``) that survives restarts and is shared by processes.

A ref that cannot be served raises :class:`CacheError` saying whether it
expired, was evicted, was deleted or was never stored here (as far as the
store still remembers: it keeps a bounded list of refs it dropped).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from ..arguments import strict_arguments
from ..config import CCRConfig
from ..errors import CacheError, ConfigurationError, ValidationError
from ..storage.sqlite import SQLiteDatabase, StoreHandle, parse_store_url
from .markers import content_ref
from .query import filter_content

__all__ = [
    "RETRIEVE_TOOL_NAME",
    "CompressionStore",
    "StoreStats",
    "StoredEntry",
    "get_default_store",
    "retrieve",
    "set_default_store",
    "store_for_url",
]

logger = logging.getLogger(__name__)

# The tool every integration registers so a model can fetch dropped content by ref.
# Its results are never compressed again: the model would meet the same marker and loop.
RETRIEVE_TOOL_NAME = "headroom_retrieve"

# How many dropped refs are remembered to explain a later miss.
_TOMBSTONE_LIMIT = 4096

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ccr_entries (
    ref TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    last_used INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ccr_entries_expires ON ccr_entries (expires_at);
CREATE INDEX IF NOT EXISTS ccr_entries_last_used ON ccr_entries (last_used);
CREATE TABLE IF NOT EXISTS ccr_tombstones (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ref TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL
);
"""

_MISS_TEXT = {
    "expired": "has expired (entries live store_ttl_seconds after their last put)",
    "evicted": "was evicted to keep the store within store_max_entries / store_max_bytes",
    "deleted": "was deleted",
    "unknown": (
        "was never stored here (or too long ago to remember); memory:// stores are per process, "
        "use a sqlite:/// store to share refs between processes"
    ),
}


@dataclass(frozen=True)
class StoredEntry:
    """One stored original: its content and how to filter it (``kind``)."""

    ref: str
    content: str
    kind: str
    metadata: Mapping[str, Any] = field(hash=False)
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class StoreStats:
    """Live size of the store plus what this instance has seen since it opened."""

    entries: int
    bytes: int
    hits: int
    misses: int
    evictions: int
    expirations: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _encode(content: str) -> bytes:
    # surrogatepass keeps any Python str storable, matching content_ref's hashing.
    return content.encode("utf-8", "surrogatepass")


@strict_arguments
class CompressionStore(StoreHandle):
    """Bounded, expiring, thread- and process-safe store of originals keyed by content hash."""

    def __init__(
        self,
        config: CCRConfig | None = None,
        *,
        url: str = "memory://",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if config is None:
            config = CCRConfig()
        if not isinstance(config, CCRConfig):
            raise ConfigurationError(
                "CompressionStore config must be a CCRConfig",
                {"field": "CompressionStore.config", "value": config, "allowed": "CCRConfig"},
            )
        if not callable(clock):
            raise ConfigurationError(
                "CompressionStore clock must be a callable returning epoch seconds",
                {"field": "CompressionStore.clock", "value": clock, "allowed": "Callable[[], float]"},
            )
        _, path = parse_store_url(url, ("memory", "sqlite"), "CompressionStore")
        self.config = config
        self.url = url
        self._clock = clock
        self._db = SQLiteDatabase(path, _SCHEMA, label=f"CompressionStore({url})")
        self._counter_lock = threading.Lock()
        self._hits = self._misses = self._evictions = self._expirations = 0

    # -- writing ---------------------------------------------------------------------------

    def put(self, content: str, *, kind: str = "text", metadata: Mapping[str, Any] | None = None) -> str:
        """Store ``content`` and return its ref.

        Idempotent: the same content gives the same ref; putting it again
        refreshes its TTL and recency and replaces ``kind`` (and ``metadata``
        when given). Raises :class:`ValidationError` for a non-str content or
        kind, or an entry larger than ``store_max_bytes`` on its own.
        """
        if not isinstance(content, str):
            raise ValidationError("CompressionStore.put needs str content", {"type": type(content).__name__})
        if not isinstance(kind, str) or not kind:
            raise ValidationError("CompressionStore.put kind must be a non-empty str", {"kind": kind})
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError("CompressionStore.put metadata must be a mapping", {"type": type(metadata).__name__})
        ref = content_ref(content)
        blob = _encode(content)
        meta_json = (
            None if metadata is None else json.dumps(dict(metadata), sort_keys=True, default=str, ensure_ascii=True)
        )
        size = len(blob) + len(meta_json or "{}")
        if size > self.config.store_max_bytes:
            raise ValidationError(
                f"content of {size} bytes exceeds store_max_bytes={self.config.store_max_bytes}",
                {"ref": ref, "size": size, "store_max_bytes": self.config.store_max_bytes},
            )
        now = self._clock()
        expires_at = now + self.config.store_ttl_seconds
        with self._db.transaction() as conn:
            self._purge_expired(conn, now)
            seq = conn.execute("SELECT COALESCE(MAX(last_used), 0) + 1 FROM ccr_entries").fetchone()[0]
            row = conn.execute("SELECT metadata FROM ccr_entries WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO ccr_entries (ref, kind, size, created_at, expires_at, last_used, metadata,"
                    " content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (ref, kind, size, now, expires_at, seq, meta_json or "{}", blob),
                )
                conn.execute("DELETE FROM ccr_tombstones WHERE ref = ?", (ref,))
            else:
                meta_json = meta_json or row[0]
                conn.execute(
                    "UPDATE ccr_entries SET kind = ?, size = ?, expires_at = ?, last_used = ?, metadata = ?"
                    " WHERE ref = ?",
                    (kind, len(blob) + len(meta_json), expires_at, seq, meta_json, ref),
                )
            self._enforce_bounds(conn, keep=ref)
        return ref

    def delete(self, ref: str) -> bool:
        """Remove ``ref``; True when it was stored. A later get says it was deleted."""
        with self._db.transaction() as conn:
            found = conn.execute("DELETE FROM ccr_entries WHERE ref = ?", (ref,)).rowcount > 0
            if found:
                self._tombstone(conn, [ref], "deleted")
        return found

    def clear(self) -> None:
        """Forget everything, including which refs were dropped before."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM ccr_entries")
            conn.execute("DELETE FROM ccr_tombstones")

    # -- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> StoredEntry:
        """The entry of ``ref`` (marks it recently used); :class:`CacheError` when not servable."""
        now = self._clock()
        with self._db.transaction() as conn:
            row = None
            if isinstance(ref, str):
                row = conn.execute(
                    "SELECT kind, created_at, expires_at, metadata, content FROM ccr_entries WHERE ref = ?",
                    (ref,),
                ).fetchone()
            status = "unknown"
            if row is not None and row[2] <= now:
                conn.execute("DELETE FROM ccr_entries WHERE ref = ?", (ref,))
                self._tombstone(conn, [ref], "expired")
                self._count(expirations=1)
                row = None
                status = "expired"
            elif row is None and isinstance(ref, str):
                found = conn.execute("SELECT reason FROM ccr_tombstones WHERE ref = ?", (ref,)).fetchone()
                status = found[0] if found else "unknown"
            if row is not None:
                conn.execute(
                    "UPDATE ccr_entries SET last_used = (SELECT MAX(last_used) + 1 FROM ccr_entries) WHERE ref = ?",
                    (ref,),
                )
        if row is None:
            self._count(misses=1)
            raise CacheError(f"ref {ref!r} {_MISS_TEXT[status]}", {"ref": ref, "status": status, "store": self.url})
        self._count(hits=1)
        kind, created_at, expires_at, meta_json, blob = row
        return StoredEntry(
            ref=ref,
            content=bytes(blob).decode("utf-8", "surrogatepass"),
            kind=kind,
            metadata=MappingProxyType(json.loads(meta_json)),
            created_at=created_at,
            expires_at=expires_at,
        )

    def retrieve(self, ref: str, query: str | None = None) -> str:
        """The original content of ``ref``; with a query, only the parts that match it.

        Filtering follows the entry's kind: ``"json"`` gives a JSON array of the
        matching items, ``"lines"`` the matching lines prefixed with their
        1-based line numbers, anything else the matching paragraphs (or
        sentences). Exact identifiers in the query decide first, then BM25
        keyword relevance. When nothing matches, the result is a one-line note
        (starting ``[no match``) rather than the whole content: the caller can
        ask again without a query. Should filtering itself fail, the whole
        original is returned (and the reason logged): a retrieval never loses
        content to a filtering bug.
        """
        entry = self.get(ref)
        if query is None or not isinstance(query, str) or not query.strip():
            return entry.content
        try:
            return filter_content(entry.content, entry.kind, query, ref=ref)
        except Exception as exc:  # fail open: the caller still gets everything
            logger.warning("ccr ref %s: query filtering failed (%r); returning the whole content", ref, exc)
            return entry.content

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, str):
            return False
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT 1 FROM ccr_entries WHERE ref = ? AND expires_at > ?", (ref, self._clock())
            ).fetchone()
        return row is not None

    def __len__(self) -> int:
        with self._db.reading() as conn:
            return int(
                conn.execute("SELECT COUNT(*) FROM ccr_entries WHERE expires_at > ?", (self._clock(),)).fetchone()[0]
            )

    def stats(self) -> StoreStats:
        """Live entries and bytes (expired ones are purged first) plus this instance's counters."""
        with self._db.transaction() as conn:
            self._purge_expired(conn, self._clock())
            entries, size = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ccr_entries").fetchone()
        with self._counter_lock:
            return StoreStats(
                entries=int(entries),
                bytes=int(size),
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                expirations=self._expirations,
            )

    def close(self) -> None:
        """Release the database; an in-memory store loses its entries."""
        self._db.close()

    # -- internals -------------------------------------------------------------------------

    def _count(self, *, hits: int = 0, misses: int = 0, evictions: int = 0, expirations: int = 0) -> None:
        with self._counter_lock:
            self._hits += hits
            self._misses += misses
            self._evictions += evictions
            self._expirations += expirations

    def _tombstone(self, conn: Any, refs: list[str], reason: str) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO ccr_tombstones (ref, reason) VALUES (?, ?)", [(r, reason) for r in refs]
        )
        conn.execute(
            "DELETE FROM ccr_tombstones WHERE seq <= (SELECT MAX(seq) FROM ccr_tombstones) - ?",
            (_TOMBSTONE_LIMIT,),
        )

    def _purge_expired(self, conn: Any, now: float) -> None:
        refs = [
            r
            for (r,) in conn.execute(
                "SELECT ref FROM ccr_entries WHERE expires_at <= ? ORDER BY expires_at, ref", (now,)
            )
        ]
        if refs:
            conn.execute("DELETE FROM ccr_entries WHERE expires_at <= ?", (now,))
            self._tombstone(conn, refs, "expired")
            self._count(expirations=len(refs))
            logger.debug("ccr store purged %d expired entries", len(refs))

    def _enforce_bounds(self, conn: Any, *, keep: str) -> None:
        """Evict least recently used entries (never ``keep``) until both bounds hold."""
        count, size = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ccr_entries").fetchone()
        max_entries, max_bytes = self.config.store_max_entries, self.config.store_max_bytes
        if count <= max_entries and size <= max_bytes:
            return
        victims: list[str] = []
        for ref, entry_size in conn.execute(
            "SELECT ref, size FROM ccr_entries WHERE ref != ? ORDER BY last_used, ref", (keep,)
        ):
            if count <= max_entries and size <= max_bytes:
                break
            victims.append(ref)
            count -= 1
            size -= entry_size
        conn.executemany("DELETE FROM ccr_entries WHERE ref = ?", [(r,) for r in victims])
        self._tombstone(conn, victims, "evicted")
        self._count(evictions=len(victims))
        logger.debug("ccr store evicted %d entries to stay within bounds", len(victims))


_default_lock = threading.Lock()
_default_store: CompressionStore | None = None


def get_default_store() -> CompressionStore:
    """The process-wide in-memory store, created on first use."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            _default_store = CompressionStore()
        return _default_store


def set_default_store(store: CompressionStore | None) -> None:
    """Make ``store`` the process-wide default (None: a fresh in-memory one on next use)."""
    global _default_store
    if store is not None and not isinstance(store, CompressionStore):
        raise ConfigurationError(
            "set_default_store needs a CompressionStore or None",
            {"field": "default_store", "value": store, "allowed": "CompressionStore | None"},
        )
    with _default_lock:
        _default_store = store


_url_lock = threading.Lock()
_url_stores: dict[tuple[str, str], CompressionStore] = {}


def store_for_url(url: str | None, config: CCRConfig | None = None) -> CompressionStore:
    """The store for ``HeadroomConfig.store_url``: the process default for None or ``memory://``.

    A ``sqlite:///PATH`` URL gets one shared store per URL and CCR settings, so
    repeated calls reuse one connection pool (and a later change to the
    settings opens a store with the new ones).
    """
    if url is None or url == "memory://":
        return get_default_store()
    settings = config if config is not None else CCRConfig()
    key = (url, repr(settings))
    with _url_lock:
        store = _url_stores.get(key)
        if store is None:
            store = _url_stores[key] = CompressionStore(copy.deepcopy(settings), url=url)
        return store


def retrieve(ref: str, query: str | None = None, *, store: CompressionStore | None = None) -> str:
    """Get back what a compressor dropped (see :meth:`CompressionStore.retrieve`)."""
    return (store if store is not None else get_default_store()).retrieve(ref, query)
