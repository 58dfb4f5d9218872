"""The SQL both relational backends (SQLite and PostgreSQL) run for the two stores.

The statements are written once, with ``?`` placeholders; a database object
supplies ``transaction()`` (one serialised write transaction) and
``reading()``, each yielding a connection whose ``execute`` and
``executemany`` take those placeholders. Writers are serialised by the
database (SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so the
bound checks below see a consistent count.
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from typing import Any, Protocol

from .base import EntryRecord, Limits, Lookup, Tally

__all__ = ["FEEDBACK_TABLE", "SqlDatabase", "SqlEntries", "SqlMetrics"]

logger = logging.getLogger(__name__)

# How many dropped refs are remembered to explain a later miss.
TOMBSTONE_LIMIT = 4096
# Retrieval-feedback events (see engine/feedback.py), beside the request records.
FEEDBACK_TABLE = "metrics_feedback"


class SqlDatabase(Protocol):
    """A database the SQL stores run on (see the module docstring)."""

    label: str

    def transaction(self) -> AbstractContextManager[Any]: ...

    def reading(self) -> AbstractContextManager[Any]: ...

    def close(self) -> None: ...


class SqlEntries:
    """Compression-store entries in tables ``ccr_entries`` and ``ccr_tombstones``."""

    def __init__(self, db: SqlDatabase, limits: Limits) -> None:
        self._db = db
        self._limits = limits
        self.label = db.label

    def put(self, ref: str, kind: str, meta_json: str | None, blob: bytes, now: float) -> Tally:
        expires_at = now + self._limits.ttl_seconds
        with self._db.transaction() as conn:
            expired = self._purge_expired(conn, now)
            seq = conn.execute("SELECT COALESCE(MAX(last_used), 0) + 1 FROM ccr_entries").fetchone()[0]
            row = conn.execute("SELECT metadata FROM ccr_entries WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                meta = meta_json or "{}"
                conn.execute(
                    "INSERT INTO ccr_entries (ref, kind, size, created_at, expires_at, last_used, metadata,"
                    " content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (ref, kind, len(blob) + len(meta), now, expires_at, seq, meta, blob),
                )
                conn.execute("DELETE FROM ccr_tombstones WHERE ref = ?", (ref,))
            else:
                meta = meta_json or row[0]
                conn.execute(
                    "UPDATE ccr_entries SET kind = ?, size = ?, expires_at = ?, last_used = ?, metadata = ?"
                    " WHERE ref = ?",
                    (kind, len(blob) + len(meta), expires_at, seq, meta, ref),
                )
            evicted = self._enforce_bounds(conn, keep=ref)
        return Tally(evicted=evicted, expired=expired)

    def get(self, ref: str, now: float) -> Lookup:
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT kind, created_at, expires_at, metadata, content FROM ccr_entries WHERE ref = ?", (ref,)
            ).fetchone()
            if row is not None and row[2] <= now:
                conn.execute("DELETE FROM ccr_entries WHERE ref = ?", (ref,))
                self._tombstone(conn, [ref], "expired")
                return Lookup(None, "expired", Tally(expired=1))
            if row is None:
                found = conn.execute("SELECT reason FROM ccr_tombstones WHERE ref = ?", (ref,)).fetchone()
                return Lookup(None, found[0] if found else "unknown")
            conn.execute(
                "UPDATE ccr_entries SET last_used = (SELECT MAX(last_used) + 1 FROM ccr_entries) WHERE ref = ?",
                (ref,),
            )
        kind, created_at, expires_at, meta_json, blob = row
        return Lookup(EntryRecord(kind, float(created_at), float(expires_at), meta_json, bytes(blob)), "hit")

    def delete(self, ref: str) -> bool:
        with self._db.transaction() as conn:
            found = bool(conn.execute("DELETE FROM ccr_entries WHERE ref = ?", (ref,)).rowcount > 0)
            if found:
                self._tombstone(conn, [ref], "deleted")
        return found

    def clear(self) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM ccr_entries")
            conn.execute("DELETE FROM ccr_tombstones")

    def contains(self, ref: str, now: float) -> bool:
        with self._db.reading() as conn:
            row = conn.execute("SELECT 1 FROM ccr_entries WHERE ref = ? AND expires_at > ?", (ref, now)).fetchone()
        return row is not None

    def count(self, now: float) -> int:
        with self._db.reading() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM ccr_entries WHERE expires_at > ?", (now,)).fetchone()[0])

    def usage(self, now: float) -> tuple[int, int, Tally]:
        with self._db.transaction() as conn:
            expired = self._purge_expired(conn, now)
            entries, size = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ccr_entries").fetchone()
        return int(entries), int(size), Tally(expired=expired)

    def close(self) -> None:
        self._db.close()

    def _tombstone(self, conn: Any, refs: list[str], reason: str) -> None:
        # Delete then insert: a ref dropped again becomes the newest tombstone.
        conn.executemany("DELETE FROM ccr_tombstones WHERE ref = ?", [(r,) for r in refs])
        conn.executemany("INSERT INTO ccr_tombstones (ref, reason) VALUES (?, ?)", [(r, reason) for r in refs])
        conn.execute(
            "DELETE FROM ccr_tombstones WHERE seq <= (SELECT MAX(seq) FROM ccr_tombstones) - ?", (TOMBSTONE_LIMIT,)
        )

    def _purge_expired(self, conn: Any, now: float) -> int:
        refs = [
            r
            for (r,) in conn.execute(
                "SELECT ref FROM ccr_entries WHERE expires_at <= ? ORDER BY expires_at, ref", (now,)
            ).fetchall()
        ]
        if refs:
            conn.execute("DELETE FROM ccr_entries WHERE expires_at <= ?", (now,))
            self._tombstone(conn, refs, "expired")
            logger.debug("%s purged %d expired entries", self.label, len(refs))
        return len(refs)

    def _enforce_bounds(self, conn: Any, *, keep: str) -> int:
        """Evict least recently used entries (never ``keep``) until both bounds hold."""
        count, size = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ccr_entries").fetchone()
        max_entries, max_bytes = self._limits.max_entries, self._limits.max_bytes
        if count <= max_entries and size <= max_bytes:
            return 0
        victims: list[str] = []
        for ref, entry_size in conn.execute(
            "SELECT ref, size FROM ccr_entries WHERE ref != ? ORDER BY last_used, ref", (keep,)
        ).fetchall():
            if count <= max_entries and size <= max_bytes:
                break
            victims.append(ref)
            count -= 1
            size -= entry_size
        conn.executemany("DELETE FROM ccr_entries WHERE ref = ?", [(r,) for r in victims])
        self._tombstone(conn, victims, "evicted")
        logger.debug("%s evicted %d entries to stay within bounds", self.label, len(victims))
        return len(victims)


class SqlMetrics:
    """Metrics records as rows of (seq, timestamp, JSON text) in ``metrics_requests`` (or ``table``)."""

    def __init__(self, db: SqlDatabase, table: str = "metrics_requests") -> None:
        self._db = db
        self._table = table

    def events(self) -> SqlMetrics:
        """The feedback events of the same database (table ``metrics_feedback``)."""
        return SqlMetrics(self._db, FEEDBACK_TABLE)

    def append(self, data: dict[str, Any]) -> None:
        self.append_many([data])

    def append_many(self, records: list[dict[str, Any]]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                f"INSERT INTO {self._table} (timestamp, data) VALUES (?, ?)",
                [(r["timestamp"], json.dumps(r, sort_keys=True)) for r in records],
            )

    def select(
        self, start_time: float | None, end_time: float | None, newest_first: bool, limit: int | None
    ) -> list[dict[str, Any]]:
        sql = f"SELECT data FROM {self._table} WHERE 1 = 1"
        params: list[Any] = []
        if start_time is not None:
            sql += " AND timestamp >= ?"
            params.append(start_time)
        if end_time is not None:
            sql += " AND timestamp < ?"
            params.append(end_time)
        sql += " ORDER BY timestamp DESC, seq DESC" if newest_first else " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._db.reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [json.loads(data) for (data,) in rows]

    def since(self, position: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Records appended after ``position`` (at most the newest ``limit``), newest first, and the new position."""
        with self._db.reading() as conn:
            rows = conn.execute(
                f"SELECT seq, data FROM {self._table} WHERE seq > ? ORDER BY seq DESC LIMIT ?", (position, limit)
            ).fetchall()
        return (int(rows[0][0]) if rows else position), [json.loads(data) for _, data in rows]

    def flush(self) -> None:
        """Every append is written at once."""

    def close(self) -> None:
        self._db.close()
