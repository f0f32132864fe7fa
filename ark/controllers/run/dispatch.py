"""What a run reconcile writes to Redis once the ArkRun's status records it: one round trip.

In one pipeline, after the status write (architecture §4: a task id is in the status before its
XADD; a result is acknowledged only after the status that records it):

- XACK + XDEL of the results and delegation requests the status now records;
- each new task, submitted by a Lua script that sets ``ark:task:{id}`` (NX, with a TTL) and adds
  the entry only if the marker was absent, so a task resubmitted after a restart runs once;
- the answers to waiting ``delegate()`` calls, on their reply streams (which expire);
- token usage for a team's daily budget (sorted-set members ``{task}:{tokens}``, so recording a
  result twice counts it once).

Interface::

    writer = QueueWriter(redis)
    added = await writer.commit(Batch(acks=entries, tasks=[(stream, task)], replies=[(stream, result)],
                                      usage=[(key, member, at_ms)]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from ark.controllers.run.inbox import Entry, Inbox
from ark_runtime.protocol import Result, Task, task_marker
from ark_runtime.queue.consumer import BUDGET_TTL_SECONDS, REPLY_TTL_SECONDS
from ark_runtime.queue.submit import MARKER_TTL_SECONDS

_SUBMIT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
end
return false
"""


@dataclass
class Batch:
    """Everything one reconcile sends to Redis."""

    acks: Sequence[Entry] = ()
    tasks: Sequence[tuple[str, Task]] = ()
    replies: Sequence[tuple[str, Result]] = ()
    usage: Sequence[tuple[str, str, int]] = ()
    """``(sorted set, member, completion ms)``."""
    extra: list[tuple[str, str]] = field(default_factory=list)
    """``(stream, entry_id)`` pairs to acknowledge that are not entries (ignored messages)."""

    def __bool__(self) -> bool:
        return bool(self.acks or self.tasks or self.replies or self.usage or self.extra)


class QueueWriter:
    """Writes a run's :class:`Batch` to Redis in one pipeline."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._submit = redis.register_script(_SUBMIT)

    async def commit(self, batch: Batch) -> list[bool]:
        """Send ``batch``; one flag per task, False for a task id that was submitted before."""
        if not batch:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            Inbox.ack_commands(pipe, [*batch.acks, *batch.extra])
            for key, member, at_ms in batch.usage:
                pipe.zadd(key, {member: at_ms})
                pipe.expire(key, BUDGET_TTL_SECONDS)
            for stream, task in batch.tasks:
                args: list[str | int] = [MARKER_TTL_SECONDS]
                for name, value in task.to_fields().items():
                    args += [name, value]
                await self._submit(keys=[task_marker(task.id), stream], args=args, client=pipe)
            for stream, result in batch.replies:
                pipe.xadd(stream, result.to_fields())  # type: ignore[arg-type]
                pipe.expire(stream, REPLY_TTL_SECONDS)
            replies = await pipe.execute()
        ack_count = 2 * len({e.stream for e in batch.acks} | {s for s, _ in batch.extra})
        first = ack_count + 2 * len(batch.usage)
        return [reply is not None for reply in replies[first : first + len(batch.tasks)]]
