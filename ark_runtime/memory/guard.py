"""The memory an agent uses: a backend made safe to call from a task.

Every call is bounded by ``AGENT_MEMORY_TIMEOUT_SECONDS`` and never raises: a backend that is
down, slow or answering garbage costs the task its memory, not its answer. Each kind of call
(recall, write, upkeep) logs a warning when it starts failing and an info line when it works
again: one warning per outage, however many tasks run meanwhile. With a
:class:`~.health.HealthReporter`, the start and end of each outage are also reported to the
operator, whose ArkMemory status then names the failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ark_runtime.memory.base import (
    MemoryBackend,
    MemoryBackendError,
    MemoryEntry,
    entry_for,
    takes_part,
    worth_remembering,
)
from ark_runtime.memory.health import HealthReporter
from ark_runtime.memory.outage import OutageLog
from ark_runtime.memory.prompt import with_memory
from ark_runtime.protocol import Result, Task

log = logging.getLogger("ark_runtime.memory")
_T = TypeVar("_T")


def now_ms() -> int:
    """Wall-clock milliseconds."""
    return time.time_ns() // 1_000_000


class Memory:
    """Recall and remember for one agent; :attr:`backend` None is the ``in-context`` memory."""

    def __init__(
        self,
        backend: MemoryBackend | None,
        *,
        recall_entries: int = 5,
        max_tokens: int = 1024,
        timeout: float = 2.0,
        clock: Callable[[], int] = now_ms,
        reporter: HealthReporter | None = None,
    ) -> None:
        self.backend = backend
        self.reporter = reporter
        self.recall_entries = recall_entries
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.clock = clock
        self._outages = {"recall": OutageLog(), "write": OutageLog(), "upkeep": OutageLog()}

    @property
    def enabled(self) -> bool:
        """True when something is stored (not ``in-context``)."""
        return self.backend is not None

    async def recall(self, task: Task) -> list[MemoryEntry]:
        """Entries for ``task``, most relevant first; [] without memory, or when it fails."""
        if self.backend is None or not takes_part(task):
            return []
        entries = await self._call("recall", self.backend.recall(task, self.recall_entries))
        return entries or []

    async def prompt(self, task: Task) -> str:
        """``task.prompt`` preceded by what is recalled for it, within the token budget."""
        return with_memory(task.prompt, await self.recall(task), self.max_tokens)

    async def remember(self, task: Task, result: Result) -> None:
        """Store ``task`` and its answer when worth it; a failure is logged, never raised."""
        if self.backend is None or not worth_remembering(task, result):
            return
        await self._call("write", self.backend.remember(entry_for(task, result, self.clock())))

    async def maintain(self) -> None:
        """One round of the backend's upkeep (deleting expired entries)."""
        if self.backend is not None:
            await self._call("upkeep", self.backend.maintain())

    def failed(
        self, kind: str, error: str, reason: str = MemoryBackendError.reason, message: str = ""
    ) -> None:
        """Record a failure of ``kind`` that happened elsewhere (a write in the result's commit);
        ``reason`` and ``message`` (default ``error``) are what the ArkMemory's status shows."""
        if self._outages[kind].failed(error):
            log.warning(
                f"memory {kind} failed; tasks go on without it until it works again",
                extra={"backend": self.description, "error": error, "reason": reason},
            )
            if self.reporter is not None:
                self.reporter.failing(kind, reason, message or error, self.clock() / 1000)

    def worked(self, kind: str) -> None:
        """Record a success of ``kind`` that happened elsewhere."""
        ended = self._outages[kind].succeeded()
        if ended:
            log.info(
                f"memory {kind} works again", extra={"backend": self.description, "after_failures": ended}
            )
            if self.reporter is not None:
                self.reporter.working(kind)

    async def aclose(self) -> None:
        """Close the backend (and the reporter, after its last report)."""
        if self.reporter is not None:
            await self.reporter.aclose()
        if self.backend is not None:
            try:
                await self.backend.aclose()
            except Exception as exc:  # closing must not hide how the agent stopped
                log.debug("closing memory failed", extra={"error": str(exc)})

    @property
    def description(self) -> str:
        """What the memory is, for log lines (no secrets)."""
        return self.backend.description if self.backend is not None else "in-context"

    async def _call(self, kind: str, call: Awaitable[_T]) -> _T | None:
        try:
            async with asyncio.timeout(self.timeout):
                value = await call
        except TimeoutError:
            self.failed(
                kind, f"no answer within {self.timeout:g}s (AGENT_MEMORY_TIMEOUT_SECONDS)", "Unreachable"
            )
            return None
        except Exception as exc:  # memory must never fail a task, whatever the backend does
            plain = str(exc) if isinstance(exc, MemoryBackendError) else _describe(exc)
            self.failed(kind, _describe(exc), _reason(exc), plain)
            return None
        self.worked(kind)
        return value


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MemoryBackendError):
        return exc.reason
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError, OSError)):
        return "Unreachable"
    return MemoryBackendError.reason


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
