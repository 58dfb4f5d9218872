"""Compression-store entries in Redis (``redis://host:port/db``, ``rediss://`` for TLS).

Each entry is one key ``<prefix>e:<ref>`` written with ``SET ... PX``, so
Redis expires it natively; the value is a JSON header line (kind, times,
metadata) followed by the raw content. Beside the entries the prefix holds
the bookkeeping that keeps the store within ``store_max_entries`` /
``store_max_bytes`` across every worker: a recency sorted set, entry sizes,
a byte total, expiry times, and a bounded list of dropped refs (to explain a
miss). Every operation is one Lua script, so it is atomic for all clients.

Server memory is bounded by ``maxmemory``; with ``maxmemory-policy
volatile-lru`` Redis evicts only entries (they all carry a TTL), never the
bookkeeping, and a ref it evicted is reported as "evicted". Under
``noeviction`` a full server refuses the write: the put raises
:class:`StorageError` and the content stays in the output. Needs Redis 7+.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigurationError, StorageError
from ..install import install_command
from .base import EntryRecord, Limits, Lookup, Tally, redact_url
from .sql import TOMBSTONE_LIMIT

__all__ = ["DEFAULT_PREFIX", "RedisEntries"]

DEFAULT_PREFIX = "headroom:ccr:"
_CONNECT_TIMEOUT_S = 1.0
_SOCKET_TIMEOUT_S = 5.0

# Shared by the scripts: KEYS = lru, seq, size, bytes, exp, tomb, tombq; ARGV[1] = key prefix.
_COMMON = """
local function tomb(r, reason)
  redis.call('HSET', KEYS[6], r, reason)
  redis.call('ZADD', KEYS[7], redis.call('INCR', KEYS[2]), r)
end
local function forget(r)
  local sz = redis.call('HGET', KEYS[3], r)
  if sz then redis.call('DECRBY', KEYS[4], sz) end
  redis.call('HDEL', KEYS[3], r)
  redis.call('ZREM', KEYS[1], r)
  redis.call('ZREM', KEYS[5], r)
  redis.call('DEL', ARGV[1] .. 'e:' .. r)
end
local function purge_expired(now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now)
  for _, r in ipairs(gone) do forget(r); tomb(r, 'expired') end
  return #gone
end
local function trim_tombstones(limit)
  local n = redis.call('ZCARD', KEYS[7])
  if n > limit then
    for _, r in ipairs(redis.call('ZRANGE', KEYS[7], 0, n - limit - 1)) do redis.call('HDEL', KEYS[6], r) end
    redis.call('ZREMRANGEBYRANK', KEYS[7], 0, n - limit - 1)
  end
end
"""

# ARGV: prefix, ref, kind, meta ('' keeps the old one), content, now, expires, ttl_ms, max_entries, max_bytes, limit
_PUT = (
    "#!lua\n"
    + _COMMON
    + """
local ref, now = ARGV[2], tonumber(ARGV[6])
local expired = purge_expired(now)
local key = ARGV[1] .. 'e:' .. ref
local meta, created = ARGV[4], ARGV[6]
local prev = redis.call('GET', key)
if prev then
  local header = cjson.decode(string.sub(prev, 1, string.find(prev, '\\n', 1, true) - 1))
  created = header.c
  if meta == '' then meta = header.m end
end
if meta == '' then meta = '{}' end
local size = #ARGV[5] + #meta
local header = cjson.encode({k = ARGV[3], c = created, e = ARGV[7], m = meta})
redis.call('SET', key, header .. '\\n' .. ARGV[5], 'PX', ARGV[8])
local old_size = tonumber(redis.call('HGET', KEYS[3], ref) or '0')
redis.call('INCRBY', KEYS[4], size - old_size)
redis.call('HSET', KEYS[3], ref, size)
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ref)
redis.call('ZADD', KEYS[5], ARGV[7], ref)
redis.call('HDEL', KEYS[6], ref)
redis.call('ZREM', KEYS[7], ref)
local count, total = redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[4]) or '0')
local max_entries, max_bytes, evicted = tonumber(ARGV[9]), tonumber(ARGV[10]), 0
while count > max_entries or total > max_bytes do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 1)
  local victim = oldest[1]
  if victim == ref then victim = oldest[2] end
  if not victim then break end
  total = total - tonumber(redis.call('HGET', KEYS[3], victim) or '0')
  count = count - 1
  forget(victim)
  tomb(victim, 'evicted')
  evicted = evicted + 1
end
trim_tombstones(tonumber(ARGV[11]))
return {evicted, expired}
"""
)

# ARGV: prefix, ref, now. Small bookkeeping writes only, so a read works on a full server too.
_GET = (
    "#!lua flags=allow-oom\n"
    + _COMMON
    + """
local ref, now = ARGV[2], tonumber(ARGV[3])
local value = redis.call('GET', ARGV[1] .. 'e:' .. ref)
local expires = redis.call('ZSCORE', KEYS[5], ref)
if value and not (expires and tonumber(expires) <= now) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ref)
  return {'hit', value}
end
if expires then
  -- A key gone within a second of its expiry time was expired by Redis; earlier, evicted by maxmemory.
  local status = 'evicted'
  if tonumber(expires) <= now + 1 then status = 'expired' end
  forget(ref)
  tomb(ref, status)
  return {status}
end
local reason = redis.call('HGET', KEYS[6], ref)
if reason then return {reason} end
return {'unknown'}
"""
)

# ARGV: prefix, ref.
_DELETE = (
    "#!lua flags=allow-oom\n"
    + _COMMON
    + """
local ref = ARGV[2]
local found = redis.call('EXISTS', ARGV[1] .. 'e:' .. ref)
if redis.call('ZSCORE', KEYS[1], ref) then forget(ref) end
if found == 1 then tomb(ref, 'deleted') end
return found
"""
)

# ARGV: prefix, now. Also forgets entries the server evicted (their key is gone before their time).
_USAGE = (
    "#!lua flags=allow-oom\n"
    + _COMMON
    + """
local expired = purge_expired(tonumber(ARGV[2]))
local evicted = 0
for _, r in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('EXISTS', ARGV[1] .. 'e:' .. r) == 0 then forget(r); tomb(r, 'evicted'); evicted = evicted + 1 end
end
trim_tombstones(tonumber(ARGV[3]))
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[4]) or '0'), evicted, expired}
"""
)


def _split_url(url: str) -> tuple[str, str]:
    """The URL for the client and the key prefix (``?prefix=...``, default :data:`DEFAULT_PREFIX`)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [v for k, v in query if k == "prefix"]
    prefix = prefixes[-1] if prefixes else DEFAULT_PREFIX
    if not prefix:
        raise ConfigurationError(
            "the Redis key prefix must not be empty",
            {"field": "CompressionStore.url", "value": redact_url(url), "allowed": "?prefix=NON_EMPTY"},
        )
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), prefix


class RedisEntries:
    """The :class:`~.base.EntryBackend` over one Redis database (see the module docstring)."""

    def __init__(self, url: str, limits: Limits, label: str) -> None:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise ConfigurationError(
                f"a redis:// store needs the redis package: {install_command('redis')}",
                {"field": "CompressionStore.url", "value": redact_url(url), "allowed": "redis installed"},
            ) from None
        client_url, self.prefix = _split_url(url)
        self.label = label
        self._limits = limits
        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)
        try:
            self._client = redis.Redis.from_url(
                client_url,
                socket_connect_timeout=_CONNECT_TIMEOUT_S,
                socket_timeout=_SOCKET_TIMEOUT_S,
                # One quick retry re-dials a connection a server restart closed; no more, so a dead server fails fast.
                retry=Retry(NoBackoff(), 1),
            )
        except (ValueError, *self._errors) as exc:
            raise ConfigurationError(
                f"invalid Redis URL: {exc}",
                {"field": "CompressionStore.url", "value": redact_url(url), "allowed": "redis://HOST:PORT/DB"},
            ) from None
        p = self.prefix
        self._keys = [f"{p}lru", f"{p}seq", f"{p}size", f"{p}bytes", f"{p}exp", f"{p}tomb", f"{p}tombq"]
        self._put = self._client.register_script(_PUT)
        self._get = self._client.register_script(_GET)
        self._delete = self._client.register_script(_DELETE)
        self._usage = self._client.register_script(_USAGE)

    def _run(self, script: Any, *args: Any) -> Any:
        try:
            return script(keys=self._keys, args=[self.prefix, *args])
        except self._errors as exc:
            # Under maxmemory with noeviction the server refuses writes ("OOM command not allowed").
            full = "maxmemory" in str(exc)
            raise StorageError(
                f"{self.label} failed: {exc}", {"store": self.label, "status": "full" if full else "error"}
            ) from None

    def put(self, ref: str, kind: str, meta_json: str | None, blob: bytes, now: float) -> Tally:
        expires = now + self._limits.ttl_seconds
        ttl_ms = max(1, math.ceil(self._limits.ttl_seconds * 1000))
        evicted, expired = self._run(
            self._put,
            ref,
            kind,
            meta_json or "",
            blob,
            repr(now),
            repr(expires),
            ttl_ms,
            self._limits.max_entries,
            self._limits.max_bytes,
            TOMBSTONE_LIMIT,
        )
        return Tally(evicted=int(evicted), expired=int(expired))

    def get(self, ref: str, now: float) -> Lookup:
        reply = self._run(self._get, ref, repr(now))
        status = reply[0].decode()
        if status != "hit":
            return Lookup(None, status, Tally(expired=int(status == "expired")))
        value: bytes = reply[1]
        line_end = value.index(b"\n")
        header = json.loads(value[:line_end])
        record = EntryRecord(
            kind=header["k"],
            created_at=float(header["c"]),
            expires_at=float(header["e"]),
            metadata_json=header["m"],
            content=value[line_end + 1 :],
        )
        return Lookup(record, "hit")

    def delete(self, ref: str) -> bool:
        return bool(self._run(self._delete, ref))

    def clear(self) -> None:
        try:
            batch: list[bytes] = []
            for key in self._client.scan_iter(match=_glob_escape(self.prefix) + "*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    self._client.delete(*batch)
                    batch.clear()
            if batch:
                self._client.delete(*batch)
        except self._errors as exc:
            raise StorageError(f"{self.label} failed: {exc}", {"store": self.label}) from None

    def contains(self, ref: str, now: float) -> bool:
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.exists(f"{self.prefix}e:{ref}")
            pipe.zscore(self._keys[4], ref)
            exists, expires = pipe.execute()
        except self._errors as exc:
            raise StorageError(f"{self.label} failed: {exc}", {"store": self.label}) from None
        return bool(exists) and (expires is None or float(expires) > now)

    def count(self, now: float) -> int:
        try:
            return int(self._client.zcount(self._keys[4], f"({now!r}", "+inf"))
        except self._errors as exc:
            raise StorageError(f"{self.label} failed: {exc}", {"store": self.label}) from None

    def usage(self, now: float) -> tuple[int, int, Tally]:
        entries, size, evicted, expired = self._run(self._usage, repr(now), TOMBSTONE_LIMIT)
        return int(entries), int(size), Tally(evicted=int(evicted), expired=int(expired))

    def close(self) -> None:
        try:
            self._client.close()
        except self._errors:  # closing a client of a dead server has nothing left to release
            pass


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
