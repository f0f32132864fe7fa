"""Redis connections for the queue and riding out Redis outages."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis import exceptions as redis_errors

from ark_runtime.backoff import Backoff

__all__ = ["OUTAGE_ERRORS", "Backoff", "connect", "ensure_group", "is_nogroup", "is_outage", "stream_entries"]

# A connection that went away, a server still loading its AOF after a restart, a timeout:
# all mean "Redis is not there right now", and the caller retries with backoff.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    ConnectionError,
    OSError,
)


def connect(url: str, *, read_timeout: float | None = 10.0) -> aioredis.Redis:
    """A client for ``url`` that decodes responses to ``str``.

    ``read_timeout`` must exceed the BLOCK time of any blocking command sent on it.
    """
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=5.0,
        socket_timeout=read_timeout,
        health_check_interval=0,
    )


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` means Redis is unreachable (retry later) rather than a bad command."""
    return isinstance(exc, OUTAGE_ERRORS) or (
        isinstance(exc, redis_errors.ResponseError)
        and str(exc).startswith(("LOADING", "MASTERDOWN", "TRYAGAIN"))
    )


def is_nogroup(exc: BaseException) -> bool:
    """True when a stream or its consumer group does not exist (e.g. Redis lost its data)."""
    return isinstance(exc, redis_errors.ResponseError) and str(exc).startswith("NOGROUP")


async def ensure_group(redis: aioredis.Redis, stream: str, group: str) -> None:
    """Create ``group`` on ``stream`` (and the stream) reading from the start; no-op when it exists."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except redis_errors.ResponseError as exc:
        if not str(exc).startswith("BUSYGROUP"):
            raise


def stream_entries(response: Any) -> list[tuple[str, dict[str, str]]]:
    """Flatten an XREAD/XREADGROUP reply (RESP2 list or RESP3 map) into ``(entry_id, fields)`` pairs.

    Entries whose data was deleted (``fields`` None, left in a pending list) are skipped.
    """
    if not response:
        return []
    per_stream = response.values() if isinstance(response, dict) else (batch for _, batch in response)
    out: list[tuple[str, dict[str, str]]] = []
    for batch in per_stream:
        # RESP3 replies nest the entries one level deeper: {stream: [entries]}.
        entries = (
            batch[0]
            if batch and isinstance(batch[0], list) and batch[0] and isinstance(batch[0][0], list)
            else batch
        )
        out.extend((entry_id, fields) for entry_id, fields in entries if fields is not None)
    return out
