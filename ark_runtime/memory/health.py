"""How agent pods tell the operator that their memory fails, so the ArkMemory's status shows it.

Interface::

    reporter = HealthReporter(redis, namespace, memory, pod)
    reporter.failing("recall", "DimensionMismatch", "qdrant collection ... 4-dimensional ...")
    reporter.working("recall")
    await reporter.aclose()

    reports = parse_reports(await redis.hgetall(health_key(namespace, memory)))

The operator checks that a backend answers; only the agents see what their own calls meet (an
existing collection of another dimension, a store that answers the operator but not the pods).
Each pod keeps one field per kind of call (``<pod>/<kind>``) in the hash
``ark:memory-health:<namespace>/<memory>`` of the task queue's Redis while that call fails, and
deletes it when the call works again; every change is announced on the channel
:data:`HEALTH_CHANNEL` with the message ``<namespace>/<memory>``, so the operator rechecks at once.
The hash expires :data:`REPORT_TTL_SECONDS` after its last write: a pod that died failing is
forgotten within the hour. Writes are in the background and bounded: reporting never slows or
fails a task. Messages come from :class:`~ark_runtime.memory.base.MemoryBackendError`, which
never holds a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("ark_runtime.memory")

HEALTH_CHANNEL = "ark:memory-health"
REPORT_TTL_SECONDS = 3600
MAX_MESSAGE_CHARS = 1000
"""A report's message is cut to this many characters."""
MAX_REPORTS = 50
"""The operator reads at most this many reports of one memory."""


def health_key(namespace: str, memory: str) -> str:
    """The hash holding the failing pods' reports for ArkMemory ``namespace/memory``."""
    return f"ark:memory-health:{namespace}/{memory}"


@dataclass(frozen=True)
class Report:
    """One pod's failing kind of call."""

    pod: str
    kind: str
    """``recall``, ``write`` or ``upkeep``."""
    reason: str
    """``DimensionMismatch``, ``Unreachable`` or ``BackendError``."""
    message: str
    at: float
    """When the failure started (Unix seconds)."""


def parse_reports(fields: dict[Any, Any]) -> list[Report]:
    """The reports of a health hash, oldest first; malformed fields are skipped."""
    reports: list[Report] = []
    for name, value in list(fields.items())[:MAX_REPORTS]:
        try:
            field = name.decode() if isinstance(name, bytes) else str(name)
            data = json.loads(value)
            pod, _, kind = field.rpartition("/")
            reports.append(
                Report(
                    pod=pod,
                    kind=kind,
                    reason=str(data["reason"]),
                    message=str(data["message"])[:MAX_MESSAGE_CHARS],
                    at=float(data["at"]),
                )
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            continue
    return sorted(reports, key=lambda r: (r.at, r.pod, r.kind))


class HealthReporter:
    """Writes one pod's memory failures where the operator reads them."""

    def __init__(self, redis: Any, namespace: str, memory: str, pod: str, timeout: float = 2.0) -> None:
        self.redis = redis
        self.key = health_key(namespace, memory)
        self.pod = pod
        self.timeout = timeout
        self._pending: set[asyncio.Task[None]] = set()
        self._last: asyncio.Task[None] | None = None

    def failing(self, kind: str, reason: str, message: str, at: float) -> None:
        """``kind`` of call started failing at ``at``."""
        value = json.dumps({"reason": reason, "message": message[:MAX_MESSAGE_CHARS], "at": at})
        self._spawn(self._set(f"{self.pod}/{kind}", value))

    def working(self, kind: str) -> None:
        """``kind`` of call works again."""
        self._spawn(self._delete(f"{self.pod}/{kind}"))

    async def aclose(self) -> None:
        """Let the last writes finish (within the timeout), then close the connection."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=self.timeout)
        for task in self._pending:
            task.cancel()
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    def _spawn(self, write: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._bounded(write, self._last))
        except RuntimeError:  # no loop: nothing to report to
            write.close()
            return
        self._last = task
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _bounded(self, write: Any, previous: asyncio.Task[None] | None) -> None:
        # In the order they happened: a "works again" must not overtake its "failing".
        if previous is not None:
            await asyncio.wait({previous})
        try:
            async with asyncio.timeout(self.timeout):
                await write
        except Exception as exc:  # the report is a courtesy; the task's answer never waits on it
            log.debug("memory health report failed", extra={"error": f"{type(exc).__name__}: {exc}"})

    async def _set(self, field: str, value: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key, field, value)
            pipe.expire(self.key, REPORT_TTL_SECONDS)
            pipe.publish(HEALTH_CHANNEL, self.key.removeprefix("ark:memory-health:"))
            await pipe.execute()

    async def _delete(self, field: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.key, field)
            pipe.publish(HEALTH_CHANNEL, self.key.removeprefix("ark:memory-health:"))
            await pipe.execute()
