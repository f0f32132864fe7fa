"""The session's Redis is a real redis-server speaking streams and consumer groups."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from localcluster import RedisServer

pytestmark = pytest.mark.redis


async def test_stream_round_trip_through_a_consumer_group(redis_url: str) -> None:
    r = aioredis.from_url(redis_url, decode_responses=True)
    try:
        await r.xgroup_create("t:stream", "workers", id="0", mkstream=True)
        entry_id = await r.xadd("t:stream", {"id": "task-1", "prompt": "hello"})
        batch = await r.xreadgroup("workers", "pod-a", {"t:stream": ">"}, count=10, block=1000)
        assert batch == [["t:stream", [(entry_id, {"id": "task-1", "prompt": "hello"})]]]
        pending = await r.xpending("t:stream", "workers")
        assert pending["pending"] == 1
        assert await r.xack("t:stream", "workers", entry_id) == 1
        assert (await r.xpending("t:stream", "workers"))["pending"] == 0
    finally:
        await r.delete("t:stream")
        await r.aclose()


async def test_restart_is_an_outage_not_a_wipe(redis_server: RedisServer) -> None:
    before = aioredis.from_url(redis_server.url, decode_responses=True)
    await before.xadd("t:durable", {"k": "v"})
    await before.aclose()
    redis_server.restart()
    after = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        assert [fields for _, fields in await after.xrange("t:durable")] == [{"k": "v"}]
    finally:
        await after.delete("t:durable")
        await after.aclose()
