"""Both stores in PostgreSQL (``postgresql://user@host:port/dbname``), through psycopg 3 and a pool.

The tables live in schema ``headroom``, created idempotently on first use
under an advisory lock: ``headroom.schema_version`` records which migration
ran, so every worker may start at once and a later version adds migrations
instead of editing old ones. Compression-store writers serialise on a
second advisory lock (the bound checks need a consistent count); metrics
are buffered and written in batches, each row with a client-made id so a
batch retried after a lost acknowledgement is not counted twice.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigurationError, StorageError
from ..install import install_command
from .base import Limits, Outage, redact_url
from .sql import FEEDBACK_TABLE, SqlDatabase, SqlEntries, SqlMetrics

__all__ = ["PostgresDatabase", "PostgresMetrics", "postgres_entries", "postgres_metrics"]

logger = logging.getLogger(__name__)

SCHEMA = "headroom"
_MIGRATION_LOCK = 0x48_52_4D_01  # "HRM" + 1: taken while migrating
_ENTRIES_LOCK = 0x48_52_4D_02  # taken by every compression-store write
_CONNECT_TIMEOUT_S = 2
_POOL_TIMEOUT_S = 3.0
_POOL_MAX = 4

_MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        f"""
CREATE TABLE {SCHEMA}.ccr_entries (
    ref TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    last_used BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX ccr_entries_expires ON {SCHEMA}.ccr_entries (expires_at);
CREATE INDEX ccr_entries_last_used ON {SCHEMA}.ccr_entries (last_used);
CREATE TABLE {SCHEMA}.ccr_tombstones (
    seq BIGSERIAL PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL
);
CREATE TABLE {SCHEMA}.metrics_requests (
    seq BIGSERIAL PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    timestamp DOUBLE PRECISION NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX metrics_requests_timestamp ON {SCHEMA}.metrics_requests (timestamp);
""",
    ),
    (
        2,
        f"""
CREATE TABLE {SCHEMA}.metrics_feedback (
    seq BIGSERIAL PRIMARY KEY,
    timestamp DOUBLE PRECISION NOT NULL,
    data TEXT NOT NULL
);
""",
    ),
)
SCHEMA_VERSION = _MIGRATIONS[-1][0]


class _Conn:
    """A psycopg connection taking the ``?`` placeholders of :mod:`.sql`."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: list[Any]) -> None:
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)


class PostgresDatabase:
    """A connection pool (one per process) with the schema migrated on first use."""

    def __init__(self, url: str, *, label: str, write_lock: int | None = None) -> None:
        try:
            import psycopg
            import psycopg_pool
        except ImportError:
            raise ConfigurationError(
                f"a postgresql:// store needs psycopg: {install_command('postgres')}",
                {"field": "url", "value": redact_url(url), "allowed": "psycopg and psycopg_pool installed"},
            ) from None
        self._psycopg = psycopg
        self._pool_module = psycopg_pool
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error, psycopg_pool.PoolTimeout, OSError)
        self.url = url
        self.label = label
        self._write_lock = write_lock
        self._lock = threading.Lock()
        self._pool: Any = None
        self._pid = os.getpid()
        self._migrated = False
        self._closed = False

    def _get_pool(self) -> Any:
        with self._lock:
            if self._closed:
                raise StorageError(f"{self.label} is closed", {"store": self.label})
            if self._pool is not None and self._pid != os.getpid():
                # A pool inherited through fork shares the parent's sockets: abandon it, never close it.
                self._pool, self._migrated = None, False
            self._pid = os.getpid()
            if self._pool is None:
                pool_class = self._pool_module.ConnectionPool
                self._pool = pool_class(
                    self.url,
                    min_size=1,
                    max_size=_POOL_MAX,
                    open=True,
                    timeout=_POOL_TIMEOUT_S,
                    check=pool_class.check_connection,
                    kwargs={"connect_timeout": _CONNECT_TIMEOUT_S, "options": f"-c search_path={SCHEMA}"},
                    name=f"headroom-{os.getpid()}",
                )
            return self._pool

    def _migrate(self, conn: Any) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version "
                "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
            current = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {SCHEMA}.schema_version").fetchone()[0]
            for version, sql in _MIGRATIONS:
                if version > current:
                    conn.execute(sql)
                    conn.execute(
                        f"INSERT INTO {SCHEMA}.schema_version (version, applied_at) VALUES (%s, %s)",
                        (version, time.time()),
                    )
                    logger.info("%s: schema migrated to version %d", self.label, version)
        self._migrated = True

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            with self._get_pool().connection() as conn:
                if not self._migrated:
                    self._migrate(conn)
                yield conn
        except self._errors as exc:
            raise StorageError(f"{self.label} failed: {_one_line(exc)}", {"store": self.label}) from None

    @contextmanager
    def transaction(self) -> Iterator[_Conn]:
        """One write transaction; compression-store writers queue on an advisory lock."""
        with self._connection() as conn, conn.transaction():
            if self._write_lock is not None:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._write_lock,))
            yield _Conn(conn)

    @contextmanager
    def reading(self) -> Iterator[_Conn]:
        with self._connection() as conn, conn.transaction():
            yield _Conn(conn)

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self._closed = self._pool, None, True
            if pool is not None and self._pid == os.getpid():
                pool.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def postgres_entries(url: str, limits: Limits, label: str) -> SqlEntries:
    """Compression-store entries in PostgreSQL."""
    return SqlEntries(PostgresDatabase(url, label=label, write_lock=_ENTRIES_LOCK), limits)


def postgres_metrics(url: str, label: str) -> PostgresMetrics:
    """Metrics records in PostgreSQL, written in batches."""
    return PostgresMetrics(PostgresDatabase(url, label=label), label)


class PostgresMetrics(SqlMetrics):
    """Buffers records and inserts them in batches (when full, every second, on read and on close).

    A batch that cannot be written stays buffered (up to ``max_pending``
    records) and is retried; the outage is logged once. Reads flush first,
    so a reader sees every record its own process recorded.
    """

    def __init__(
        self,
        db: PostgresDatabase,
        label: str,
        *,
        batch_size: int = 200,
        interval_s: float = 1.0,
        max_pending: int = 100_000,
    ) -> None:
        super().__init__(db)
        self.label = label
        self._batch_size = batch_size
        self._interval_s = interval_s
        self._max_pending = max_pending
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._outage = Outage(label, "metrics stay buffered in this process and are retried")
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_pid = 0
        self._dropped = 0
        atexit.register(_flush_at_exit, weakref.ref(self))

    def append(self, data: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append((uuid.uuid4().hex, data))
            if len(self._pending) > self._max_pending:
                del self._pending[0]
                self._dropped += 1
                if self._dropped == 1:
                    logger.warning("%s: metrics buffer full; the oldest unwritten records are dropped", self.label)
            full = len(self._pending) >= self._batch_size
            self._ensure_thread()
        if full:
            self._flush_quietly()

    def _ensure_thread(self) -> None:
        if self._thread is None or self._thread_pid != os.getpid():
            self._thread_pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="headroom-metrics-flush", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._wake.wait(self._interval_s):
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except StorageError:  # logged once per outage by self._outage; the batch stays buffered
            pass

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                batch = list(self._pending)
            if not batch:
                return
            self._outage.call(self._insert, batch)
            with self._lock:
                del self._pending[: len(batch)]

    def _insert(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO metrics_requests (uid, timestamp, data) VALUES (?, ?, ?) ON CONFLICT (uid) DO NOTHING",
                [(uid, r["timestamp"], json.dumps(r, sort_keys=True)) for uid, r in batch],
            )

    def append_many(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.append(record)

    def events(self) -> SqlMetrics:
        """Feedback events, written at once; a server outage is this store's one outage (one warning, fail fast)."""
        return _GuardedEvents(self._db, self._outage)

    def select(
        self, start_time: float | None, end_time: float | None, newest_first: bool, limit: int | None
    ) -> list[dict[str, Any]]:
        self.flush()
        return super().select(start_time, end_time, newest_first, limit)

    def close(self) -> None:
        self._wake.set()
        try:
            self.flush()
        finally:
            super().close()


class _GuardedEvents(SqlMetrics):
    """Feedback events through the metrics store's outage tracker."""

    def __init__(self, db: SqlDatabase, outage: Outage) -> None:
        super().__init__(db, FEEDBACK_TABLE)
        self._outage = outage

    def append_many(self, records: list[dict[str, Any]]) -> None:
        self._outage.call(super().append_many, records)

    def since(self, position: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        return self._outage.call(super().since, position, limit)


def _flush_at_exit(ref: weakref.ref[PostgresMetrics]) -> None:
    store = ref()
    if store is not None:
        store._flush_quietly()
