"""Writes that happen after a result is committed, in the background, bounded in number.

A write must not hold a task's slot nor delay its result, so it runs on its own. At most
``capacity`` writes wait at once; beyond that a write is dropped (memory is best effort) and a
warning says so once until the backlog clears. :meth:`Writer.aclose` gives the writes in flight
a grace period when the agent stops.
"""

from __future__ import annotations

import asyncio
import logging

from ark_runtime.memory.guard import Memory
from ark_runtime.protocol import Result, Task

log = logging.getLogger("ark_runtime.memory")

DEFAULT_CAPACITY = 256


class Writer:
    """Background :meth:`Memory.remember` calls."""

    def __init__(self, memory: Memory, capacity: int = DEFAULT_CAPACITY) -> None:
        self.memory = memory
        self.capacity = capacity
        self.dropped = 0
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Writes not finished yet."""
        return len(self._pending)

    def submit(self, task: Task, result: Result) -> None:
        """Remember ``task`` and ``result`` soon; never blocks, never raises."""
        if len(self._pending) >= self.capacity:
            self.dropped += 1
            if self.dropped == 1:
                log.warning(
                    "memory writes are backing up; dropping new ones until they catch up",
                    extra={"pending": len(self._pending)},
                )
            return
        if not self._pending:
            self.dropped = 0
        write = asyncio.create_task(self.memory.remember(task, result), name=f"memory-write-{task.id}")
        self._pending.add(write)
        write.add_done_callback(self._pending.discard)

    async def aclose(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for writes in flight, then cancel the rest."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=grace)
        for write in list(self._pending):
            write.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
