"""The compress-cache-retrieve (CCR) store: everything a compressor drops stays retrievable.

Entries are keyed by :func:`content_ref` (a hash of the content), so the same
content always gets the same ref, in every process. The store is bounded
(``store_max_entries``, ``store_max_bytes``; least recently used entries go
first), entries expire ``store_ttl_seconds`` after their last :meth:`put`.
The URL picks where it lives: SQLite in memory (``memory://``, per process)
or in a file (``sqlite:///path.db``, shared by the processes of one machine),
Redis (``redis://host:port/db``, ``rediss://``) or PostgreSQL
(``postgresql://...``) shared by every worker; or ``backend=`` a LangGraph
``BaseStore`` the application already runs.

A backend that is down never breaks a compression: :meth:`put` raises
:class:`StorageError` (the compressor then keeps the content in its output),
the outage is logged once, and :meth:`get` / :meth:`retrieve` raise
:class:`StorageError` saying the store is unavailable.

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
import weakref
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from ..arguments import strict_arguments
from ..config import CCRConfig
from ..errors import CacheError, ConfigurationError, StorageError, ValidationError
from ..storage.base import EntryBackend, Limits, Outage, Tally, redact_url
from ..storage.langgraph_store import LangGraphEntries, is_base_store
from ..storage.sqlite import StoreHandle, parse_store_url, sqlite_entries
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
    "store_over",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# The tool every integration registers so a model can fetch dropped content by ref.
# Its results are never compressed again: the model would meet the same marker and loop.
RETRIEVE_TOOL_NAME = "headroom_retrieve"

_SCHEMES = ("memory", "sqlite", "redis", "rediss", "postgresql", "postgres")

_MISS_TEXT = {
    "expired": "has expired (entries live store_ttl_seconds after their last put)",
    "evicted": "was evicted to keep the store within store_max_entries / store_max_bytes (or the server's maxmemory)",
    "deleted": "was deleted",
    "unknown": (
        "was never stored here (or too long ago to remember); memory:// stores are per process, "
        "use a sqlite:///, redis:// or postgresql:// store to share refs between processes"
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
        backend: Any = None,
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
        limits = Limits(config.store_max_entries, config.store_max_bytes, config.store_ttl_seconds)
        if backend is not None:
            if not is_base_store(backend):
                raise ConfigurationError(
                    "CompressionStore backend must be a LangGraph BaseStore (put/get/delete/search)",
                    {"field": "CompressionStore.backend", "value": type(backend).__name__, "allowed": "BaseStore"},
                )
            url = f"langgraph://{type(backend).__name__}"
            self._backend: EntryBackend = LangGraphEntries(backend, limits, f"CompressionStore({url})")
        else:
            self._backend = _open_backend(url, limits)
        self.config = config
        self.url = url
        self._clock = clock
        self._closed = False
        self._outage = Outage(
            self._backend.label, "content is kept in the output instead of being dropped, and retrievals fail"
        )
        self._counter_lock = threading.Lock()
        self._hits = self._misses = self._evictions = self._expirations = 0

    @property
    def available(self) -> bool:
        """False while the backend is known to be down (the last call to it failed)."""
        return not self._outage.down

    # -- writing ---------------------------------------------------------------------------

    def put(self, content: str, *, kind: str = "text", metadata: Mapping[str, Any] | None = None) -> str:
        """Store ``content`` and return its ref.

        Idempotent: the same content gives the same ref; putting it again
        refreshes its TTL and recency and replaces ``kind`` (and ``metadata``
        when given). Raises :class:`ValidationError` for a non-str content or
        kind, or an entry larger than ``store_max_bytes`` on its own, and
        :class:`StorageError` when the backend cannot store it (then nothing
        may be dropped on the strength of this ref).
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
        self._tally(self._call(self._backend.put, ref, kind, meta_json, blob, self._clock()))
        return ref

    def delete(self, ref: str) -> bool:
        """Remove ``ref``; True when it was stored. A later get says it was deleted."""
        return isinstance(ref, str) and self._call(self._backend.delete, ref)

    def clear(self) -> None:
        """Forget everything, including which refs were dropped before."""
        self._call(self._backend.clear)

    # -- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> StoredEntry:
        """The entry of ``ref`` (marks it recently used).

        Raises :class:`CacheError` when it cannot be served (saying why) and
        :class:`StorageError` when the backend is unavailable.
        """
        lookup = self._call(self._backend.get, ref, self._clock()) if isinstance(ref, str) else None
        if lookup is None or lookup.record is None:
            status = lookup.status if lookup is not None else "unknown"
            self._count(misses=1, expirations=lookup.tally.expired if lookup is not None else 0)
            raise CacheError(
                f"ref {ref!r} {_MISS_TEXT.get(status, _MISS_TEXT['unknown'])}",
                {"ref": ref, "status": status, "store": redact_url(self.url)},
            )
        self._count(hits=1)
        record = lookup.record
        return StoredEntry(
            ref=ref,
            content=record.content.decode("utf-8", "surrogatepass"),
            kind=record.kind,
            metadata=MappingProxyType(json.loads(record.metadata_json)),
            created_at=record.created_at,
            expires_at=record.expires_at,
        )

    def retrieve(self, ref: str, query: str | None = None) -> str:
        """The original content of ``ref``; with a query, only the parts that match it.

        Filtering follows the entry's kind: ``"json"`` gives a JSON array of the
        matching items, ``"lines"`` the matching lines prefixed with their
        1-based line numbers in the original text (a run cut from the middle of
        a log keeps the numbers it had there), anything else the matching paragraphs (or
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
            return filter_content(entry.content, entry.kind, query, ref=ref, first_line=_first_line(entry.metadata))
        except Exception as exc:  # fail open: the caller still gets everything
            logger.warning("ccr ref %s: query filtering failed (%r); returning the whole content", ref, exc)
            return entry.content

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and self._call(self._backend.contains, ref, self._clock())

    def __len__(self) -> int:
        return self._call(self._backend.count, self._clock())

    def stats(self) -> StoreStats:
        """Live entries and bytes (expired ones are purged first) plus this instance's counters."""
        entries, size, tally = self._call(self._backend.usage, self._clock())
        self._tally(tally)
        with self._counter_lock:
            return StoreStats(
                entries=entries,
                bytes=size,
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                expirations=self._expirations,
            )

    def close(self) -> None:
        """Release the backend's connections; an in-memory store loses its entries. Later use raises."""
        self._closed = True
        self._backend.close()

    # -- internals -------------------------------------------------------------------------

    def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """One backend call: refused once closed, otherwise through the outage tracker."""
        if self._closed:
            raise StorageError(f"{self._backend.label} is closed", {"store": self._backend.label})
        return self._outage.call(fn, *args)

    def _tally(self, tally: Tally) -> None:
        if tally.evicted or tally.expired:
            self._count(evictions=tally.evicted, expirations=tally.expired)

    def _count(self, *, hits: int = 0, misses: int = 0, evictions: int = 0, expirations: int = 0) -> None:
        with self._counter_lock:
            self._hits += hits
            self._misses += misses
            self._evictions += evictions
            self._expirations += expirations


def _open_backend(url: str, limits: Limits) -> EntryBackend:
    """The backend ``url`` names; client libraries are imported only for their scheme."""
    scheme, path = parse_store_url(url, _SCHEMES, "CompressionStore")
    label = f"CompressionStore({redact_url(url)})"
    if scheme in ("redis", "rediss"):
        from ..storage.redis import RedisEntries

        return RedisEntries(path, limits, label)
    if scheme in ("postgresql", "postgres"):
        from ..storage.postgres import postgres_entries

        return postgres_entries(path, limits, label)
    return sqlite_entries(path, limits, label)


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


_adapters_lock = threading.Lock()
# Keyed by the config's current values: configs are mutable, so not hashable themselves.
_adapters: weakref.WeakKeyDictionary[Any, dict[str, CompressionStore]] = weakref.WeakKeyDictionary()


def store_over(backend: Any, config: CCRConfig | None = None) -> CompressionStore:
    """The one ``CompressionStore(config, backend=backend)`` of this process for a LangGraph store.

    Integrations call this with the agent's runtime store on every request;
    reusing one adapter keeps its counters and its outage state (one warning
    per outage) across requests.
    """
    config = config if config is not None else CCRConfig()
    with _adapters_lock:
        try:
            by_config = _adapters.setdefault(backend, {})
        except TypeError:  # not weak-referenceable: a fresh adapter each time still works
            return CompressionStore(config, backend=backend)
        key = repr(config)
        if key not in by_config:
            by_config[key] = CompressionStore(copy.deepcopy(config), backend=backend)
        return by_config[key]


def _first_line(metadata: Mapping[str, Any]) -> int:
    """Where a stashed run started in its original (1 for whole originals and other writers' entries)."""
    value = metadata.get("first_line", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1


def retrieve(
    ref: str, query: str | None = None, *, store: CompressionStore | None = None, metrics_store: Any = None
) -> str:
    """Get back what a compressor dropped (see :meth:`CompressionStore.retrieve`).

    With a ``metrics_store`` the retrieval is recorded there (which tool and path the ref came
    from, the query's terms) so later compressions of that tool keep more (engine/feedback.py).
    """
    store = store if store is not None else get_default_store()
    content = store.retrieve(ref, query)
    if metrics_store is not None:
        from ..feedback import record_retrieval

        record_retrieval(metrics_store, store, ref, query)
    return content
