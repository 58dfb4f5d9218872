"""Store URLs and one SQLite database safe for threads and processes.

Both the compression store and the metrics store can keep their data in
SQLite (a file, or memory for tests). This module holds what they share: URL
parsing with clear configuration errors, the schemas, and a connection wrapper that
serialises threads with a lock, lets processes share a file through WAL mode
and a busy timeout, reopens itself after ``fork`` and turns every SQLite
failure into :class:`StorageError`.
"""

from __future__ import annotations

import abc
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from ..errors import ConfigurationError, StorageError
from .base import Limits, redact_url
from .sql import SqlEntries, SqlMetrics

__all__ = [
    "MEMORY_PATH",
    "NETWORK_SCHEMES",
    "SQLiteDatabase",
    "StoreHandle",
    "parse_store_url",
    "sqlite_entries",
    "sqlite_metrics",
]

MEMORY_PATH = ":memory:"
_H = TypeVar("_H", bound="StoreHandle")
_BUSY_TIMEOUT_S = 30.0
# Schemes whose "path" is the whole URL, handed to a client library (redis, psycopg).
NETWORK_SCHEMES = ("redis", "rediss", "postgresql", "postgres")

ENTRIES_SCHEMA = """
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

METRICS_SCHEMA = """
CREATE TABLE IF NOT EXISTS metrics_requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_requests_timestamp ON metrics_requests (timestamp);
CREATE TABLE IF NOT EXISTS metrics_feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp REAL NOT NULL,
    data TEXT NOT NULL
);
"""


def parse_store_url(url: object, schemes: tuple[str, ...], owner: str) -> tuple[str, str]:
    """Split ``url`` into ``(scheme, path)``; ``memory://`` gives :data:`MEMORY_PATH`.

    ``sqlite:///rel.db`` is relative to the working directory and
    ``sqlite:////abs/x.db`` absolute (the SQLAlchemy convention), so
    ``f"sqlite:///{absolute_path}"`` works too. For a network scheme
    (:data:`NETWORK_SCHEMES`) the "path" is the whole URL.
    """
    examples = [_example(s) for s in schemes]
    if isinstance(url, str):
        scheme, sep, rest = url.partition("://")
        if sep and scheme in schemes:
            if scheme in NETWORK_SCHEMES:
                if _well_formed(url):
                    return scheme, url
            elif scheme == "memory":
                if rest == "":
                    return scheme, MEMORY_PATH
            elif rest.startswith("/") and rest[1:].strip():
                return scheme, rest[1:]
    raise ConfigurationError(
        f"{owner} url must look like one of {examples}",
        {"field": f"{owner}.url", "value": redact_url(url) if isinstance(url, str) else url, "allowed": examples},
    )


def _example(scheme: str) -> str:
    if scheme == "memory":
        return "memory://"
    if scheme in ("redis", "rediss"):
        return f"{scheme}://HOST:PORT/DB"
    if scheme in NETWORK_SCHEMES:
        return f"{scheme}://USER@HOST:PORT/DBNAME"
    return f"{scheme}:///PATH"


def _well_formed(url: str) -> bool:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    return True


def sqlite_entries(path: str, limits: Limits, label: str) -> SqlEntries:
    """Compression-store entries in the SQLite database at ``path`` (or memory)."""
    return SqlEntries(SQLiteDatabase(path, ENTRIES_SCHEMA, label=label), limits)


def sqlite_metrics(path: str, label: str) -> SqlMetrics:
    """Metrics records in the SQLite database at ``path`` (or memory)."""
    return SqlMetrics(SQLiteDatabase(path, METRICS_SCHEMA, label=label))


class StoreHandle(abc.ABC):
    """What every store shares: a ``url``, ``close()`` and use as a context manager."""

    url: str

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store's resources."""

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={redact_url(self.url)!r})"


class SQLiteDatabase:
    """One SQLite database with a schema, usable from many threads and processes.

    Writes run in ``BEGIN IMMEDIATE`` transactions so concurrent writers
    queue on the busy timeout instead of failing half-way.
    """

    def __init__(self, path: str, schema: str, *, label: str) -> None:
        self.path = path
        self.label = label
        self._schema = schema
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        if path != MEMORY_PATH:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the directory of {path}: {exc}", {"store": label}) from None
        with self.transaction():
            pass

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"{self.label} is closed", {"store": self.label})
        if self._conn is not None and self._pid != os.getpid() and self.path != MEMORY_PATH:
            # A connection inherited through fork must not be used by the child.
            self._conn = None
            self._lock = threading.RLock()
        self._pid = os.getpid()
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        """Connect, switch to WAL and create the schema.

        Switching a fresh file to WAL can report "locked" without waiting
        on the busy timeout while another process does the same, so setup
        is retried with a short backoff until the timeout is spent.
        """
        deadline = time.monotonic() + _BUSY_TIMEOUT_S
        delay = 0.005
        while True:
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
                if self.path != MEMORY_PATH:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(f"BEGIN IMMEDIATE;\n{self._schema}\nCOMMIT;")
                return conn
            except sqlite3.OperationalError as exc:
                conn.close()
                if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                    raise
            except BaseException:
                conn.close()
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; any SQLite error becomes StorageError."""
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.label} failed: {exc}", {"store": self.label}) from None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Run read-only statements (each sees a consistent snapshot)."""
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.Error as exc:
                raise StorageError(f"{self.label} failed: {exc}", {"store": self.label}) from None

    def close(self) -> None:
        """Close the connection; later use raises StorageError. Idempotent."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._closed = True
