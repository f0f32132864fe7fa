"""The redis backend: one capped stream per agent, ``ark:memory:{namespace}:{scope}``.

An entry is a stream entry (fields ``task``, ``result``, ``id``) whose id is the Redis server's
clock, so every pod of an agent agrees on age and order. ``maxEntries`` is exact (``XTRIM MAXLEN
=``, oldest evicted); ``ttlSeconds`` is exact too: a recall reads only entries younger than the
TTL (``XREVRANGE`` from now minus the TTL, by the server's ``TIME``), every write trims older
ones (``XTRIM MINID``) and the key expires a TTL after the last write. Both run as Lua scripts,
so each is one round trip and atomic. A write can also be queued in another client's
transaction (:meth:`RedisMemory.stage`), which is how it joins the result's commit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis

from ark_runtime.memory.base import MemoryBackendError, MemoryEntry, Scope
from ark_runtime.net.bounds import display_url
from ark_runtime.protocol import Task

# ARGV: ttl_ms, max_entries, task, result, task id.
WRITE_SCRIPT = """
local id = redis.call('XADD', KEYS[1], '*', 'task', ARGV[3], 'result', ARGV[4], 'id', ARGV[5])
local max = tonumber(ARGV[2])
if max > 0 then redis.call('XTRIM', KEYS[1], 'MAXLEN', max) end
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('XTRIM', KEYS[1], 'MINID', now - ttl + 1)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return id
"""

# ARGV: ttl_ms, count. Newest first.
RECALL_SCRIPT = """
local oldest = '-'
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  local t = redis.call('TIME')
  oldest = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - ttl + 1)
end
return redis.call('XREVRANGE', KEYS[1], '+', oldest, 'COUNT', tonumber(ARGV[2]))
"""


def memory_key(scope: Scope) -> str:
    """The stream holding ``scope``'s entries."""
    return f"ark:memory:{scope.namespace}:{scope.name}"


def same_server(first: str, second: str) -> bool:
    """True when two Redis URLs name the same server and database."""

    def where(url: str) -> tuple[str, str, int, str]:
        parts = urlsplit(url)
        db = parts.path.lstrip("/") or "0"
        return (parts.scheme, (parts.hostname or "").lower(), parts.port or 6379, db)

    return where(first) == where(second)


def parse_entries(reply: Any) -> list[MemoryEntry]:
    """Entries from an ``XRANGE``-shaped reply; anything else raises :class:`MemoryBackendError`."""
    if not isinstance(reply, list):
        raise MemoryBackendError(f"the memory stream read returned {type(reply).__name__}, not a list")
    entries = []
    for item in reply:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
            raise MemoryBackendError("the memory stream holds an entry of the wrong shape")
        entry_id, flat = item
        fields = dict(zip(flat[::2], flat[1::2], strict=False))
        try:
            at_ms = int(str(entry_id).split("-", 1)[0])
        except ValueError:
            raise MemoryBackendError(
                f"the memory stream has an entry id that is not a time: {entry_id!r}"
            ) from None
        entries.append(
            MemoryEntry(
                task=str(fields.get("task", "")),
                result=str(fields.get("result", "")),
                at_ms=at_ms,
                task_id=str(fields.get("id", "")),
            )
        )
    return entries


class RedisMemory:
    """A :class:`~.base.MemoryBackend` on a Redis server (and a :class:`~.hook.Stager`)."""

    def __init__(self, url: str, scope: Scope, ttl_seconds: int, max_entries: int, timeout: float) -> None:
        """``url`` is kept (for :func:`same_server`) but never shown: :attr:`description` is."""
        self.url = url
        self.key = memory_key(scope)
        self.ttl_ms = ttl_seconds * 1000
        self.max_entries = max_entries
        self.description = f"redis at {display_url(url)}"
        self._redis = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            health_check_interval=0,
        )
        self._write = self._redis.register_script(WRITE_SCRIPT)
        self._recall = self._redis.register_script(RECALL_SCRIPT)

    def _args(self, entry: MemoryEntry) -> list[str | int]:
        return [self.ttl_ms, self.max_entries, entry.task, entry.result, entry.task_id]

    async def recall(self, task: Task, limit: int) -> list[MemoryEntry]:
        """The ``limit`` newest live entries, newest first."""
        return parse_entries(await self._recall(keys=[self.key], args=[self.ttl_ms, limit]))

    async def remember(self, entry: MemoryEntry) -> None:
        """Append ``entry``, then trim by count and age."""
        await self._write(keys=[self.key], args=self._args(entry))

    def stage(self, pipe: Any, entry: MemoryEntry) -> None:
        """Queue the write on another client's pipeline (EVAL: nothing to load first)."""
        pipe.eval(WRITE_SCRIPT, 1, self.key, *self._args(entry))

    async def maintain(self) -> None:
        """Nothing: every write trims, and the key expires on its own."""

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
