"""The producer side of the protocol: submitting tasks and reading results (operator, delegating agents).

Submission is idempotent: each task's XADD happens in one MULTI/EXEC with
``SET ark:task:{id} 1 NX EX <ttl>``, and only for tasks whose marker is absent; the markers
are WATCHed, so two producers racing on the same id cannot both add it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import redis.asyncio as aioredis
from redis import exceptions as redis_errors

from ark_runtime.protocol import (
    RESULTS_GROUP,
    TASKS_GROUP,
    Message,
    ProtocolError,
    Task,
    parse_message,
    task_marker,
)
from ark_runtime.queue.connection import ensure_group, is_nogroup, stream_entries
from ark_runtime.telemetry import inject_context

MARKER_TTL_SECONDS = 7 * 24 * 3600


class Submitter:
    """Adds tasks to agents' streams exactly once per task id."""

    def __init__(self, redis: aioredis.Redis, marker_ttl: int = MARKER_TTL_SECONDS) -> None:
        self.redis = redis
        self.marker_ttl = marker_ttl
        self._groups: set[str] = set()

    async def submit(self, stream: str, task: Task) -> bool:
        """Add ``task`` to ``stream``; False when a task with its id was already submitted."""
        return (await self.submit_many(stream, [task]))[0]

    async def submit_many(self, stream: str, tasks: Sequence[Task]) -> list[bool]:
        """Add several tasks in one transaction; one flag per task, False for already-submitted ids.

        Tasks without trace context get the caller's current one.
        """
        if stream not in self._groups:
            # The group reads from the stream's start, so tasks added before any pod started are seen.
            await ensure_group(self.redis, stream, TASKS_GROUP)
            self._groups.add(stream)
        traceparent, tracestate = inject_context()
        stamped = [
            t if t.traceparent else replace(t, traceparent=traceparent, tracestate=tracestate) for t in tasks
        ]
        markers = [task_marker(t.id) for t in stamped]
        while True:
            try:
                return await self._submit(stream, stamped, markers)
            except redis_errors.WatchError:
                continue  # another producer touched a marker between our check and EXEC; check again

    async def _submit(self, stream: str, tasks: Sequence[Task], markers: list[str]) -> list[bool]:
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(*markers)
            exists = [bool(v) for v in await pipe.mget(markers)]
            pipe.multi()  # type: ignore[no-untyped-call]
            fresh: set[str] = set()
            added: list[bool] = []
            for task, marker, seen in zip(tasks, markers, exists, strict=True):
                if seen or marker in fresh:
                    added.append(False)
                    continue
                fresh.add(marker)
                added.append(True)
                pipe.set(marker, "1", nx=True, ex=self.marker_ttl)
                pipe.xadd(stream, task.to_fields())  # type: ignore[arg-type]
            if fresh:
                await pipe.execute()
            else:
                await pipe.reset()  # type: ignore[no-untyped-call]
        return added


class ResultsReader:
    """Reads a results stream (results and delegation requests) through a consumer group; the
    caller XACKs what it has recorded.

    The first reads return this consumer's own unacknowledged history (results read before a
    crash but never recorded), then new entries.
    """

    def __init__(
        self, redis: aioredis.Redis, stream: str, *, group: str = RESULTS_GROUP, consumer: str = "operator"
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self._cursor = "0"
        self._group_ready = False

    async def read(self, count: int = 100, block_ms: int = 1000) -> list[tuple[str, Message]]:
        """Up to ``count`` entries as ``(entry_id, message)``; waits up to ``block_ms`` for new ones.

        A malformed entry can never be recorded, so it is acknowledged and skipped.
        """
        if not self._group_ready:
            await ensure_group(self.redis, self.stream, self.group)
            self._group_ready = True
        try:
            response = await self.redis.xreadgroup(
                self.group,
                self.consumer,
                {self.stream: self._cursor},
                count=count,
                block=None if self._cursor != ">" else block_ms,
            )
        except redis_errors.ResponseError as exc:
            if is_nogroup(exc):
                self._group_ready = False
                return []
            raise
        entries = stream_entries(response)
        if self._cursor != ">":
            if not entries:
                self._cursor = ">"
            else:
                self._cursor = entries[-1][0]
        out: list[tuple[str, Message]] = []
        malformed: list[str] = []
        for entry_id, fields in entries:
            try:
                out.append((entry_id, parse_message(fields)))
            except ProtocolError:
                malformed.append(entry_id)
        if malformed:
            await self.ack(*malformed)
        return out

    async def ack(self, *entry_ids: str) -> None:
        """Acknowledge recorded results."""
        if entry_ids:
            await self.redis.xack(self.stream, self.group, *entry_ids)
