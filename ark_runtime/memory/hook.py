"""The consumer's side of memory: remember a task once its result is committed.

When the memory is the task queue's own Redis, the write goes into the very MULTI/EXEC that
commits the result (:meth:`MemoryHook.stage`): the task is remembered exactly when its result
is written. Otherwise the write follows the commit, in the background (:class:`~.writer.Writer`).
Either way a failed write is logged by the memory and never touches the result.
"""

from __future__ import annotations

from typing import Any, Protocol

from ark_runtime.memory.base import MemoryEntry, entry_for, worth_remembering
from ark_runtime.memory.guard import Memory
from ark_runtime.memory.writer import Writer
from ark_runtime.protocol import Result, Task


class Stager(Protocol):
    """A backend that can queue its write in another client's transaction."""

    def stage(self, pipe: Any, entry: MemoryEntry) -> None:
        """Queue the commands storing ``entry`` on ``pipe``."""
        ...


class MemoryHook:
    """A :class:`~ark_runtime.queue.consumer.ResultHook` remembering committed results."""

    def __init__(self, memory: Memory, writer: Writer, stager: Stager | None = None) -> None:
        self.memory = memory
        self.writer = writer
        self.stager = stager

    def stage(self, pipe: Any, task: Task, result: Result) -> None:
        """Queue the write with the result, when the memory shares the queue's Redis."""
        if self.stager is not None and worth_remembering(task, result):
            self.stager.stage(pipe, entry_for(task, result, self.memory.clock()))

    def staged_failed(self, error: str) -> None:
        """A write queued by :meth:`stage` failed; the result was committed all the same."""
        self.memory.failed("write", error)

    def staged_worked(self) -> None:
        """The writes queued by :meth:`stage` went in."""
        self.memory.worked("write")

    def committed(self, task: Task, result: Result) -> None:
        """``result`` is in Redis: write the memory now, unless it went in with the result."""
        if self.stager is None:
            self.writer.submit(task, result)
