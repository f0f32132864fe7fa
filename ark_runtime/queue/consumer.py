"""The agent pod's side of the Redis Streams protocol (architecture §4).

- XREADGROUP on ``ark:tasks:{ns}:{agent}`` (group ``workers``, consumer = pod name), never asking
  for more entries than there are free slots (``maxConcurrentTasks``).
- Every ``reclaim_interval`` XAUTOCLAIM entries idle longer than the task timeout plus a grace:
  a crashed pod's work is picked up by another.
- An entry delivered more than ``max_retries`` times goes to ``ark:dead:{ns}:{agent}`` and an
  ``error`` result is sent instead of running it again. A redelivered entry runs with its whole
  timeout again (its ``deadline_ms`` was the crashed pod's).
- A result is committed with one MULTI/EXEC: XADD the result (to the task's ``reply_to`` or
  ``ark:results:{ns}``), XACK and XDEL the task, and record budget usage. Results finished together are
  committed in one transaction (one round trip for many tasks). Nothing is acknowledged
  without its result.
- A :class:`ResultHook` (agent memory) may add writes of its own to that transaction and hears of
  every committed result; a failed write of its own never holds back or fails the result.
- Redis outages are waited out with backoff; finished results wait in memory and are
  committed once Redis is back.
- :meth:`Consumer.stop` stops reading; :meth:`Consumer.run` then finishes in-flight tasks
  within the grace period and returns. Unfinished entries stay pending and are reclaimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from opentelemetry import trace

from ark_runtime.protocol import (
    TASKS_GROUP,
    ProtocolError,
    Result,
    Task,
    dead_stream,
    is_reply_stream,
    results_stream,
    tasks_stream,
)
from ark_runtime.queue.budget import DailyBudget, usage_member
from ark_runtime.queue.connection import Backoff, connect, ensure_group, is_nogroup, is_outage, stream_entries
from ark_runtime.telemetry import inject_context, producer_link, queue_wait_ms, task_context

Handler = Callable[[Task], Awaitable[Result]]


class ResultHook(Protocol):
    """Work bound to committed results (agent memory, :class:`ark_runtime.memory.hook.MemoryHook`)."""

    def stage(self, pipe: Any, task: Task, result: Result) -> None:
        """Queue commands of its own in the transaction committing ``result``."""
        ...

    def staged_failed(self, error: str) -> None:
        """A command :meth:`stage` queued failed; the result was committed all the same."""
        ...

    def staged_worked(self) -> None:
        """Every command :meth:`stage` queued in a transaction went in."""
        ...

    def committed(self, task: Task, result: Result) -> None:
        """``result`` is in Redis."""
        ...


class TaskObserver(Protocol):
    """Told how tasks go (the pod's metrics, :class:`ark_runtime.metrics.RuntimeMetrics`)."""

    def task_started(self, waited_ms: int) -> None:
        """A task is starting after ``waited_ms`` in the stream."""
        ...

    def task_done(self, result: str, seconds: float | None = None) -> None:
        """A task ended: ``ok``, ``error``, ``dead_lettered``, ``refused`` or ``malformed``."""
        ...


REPLY_TTL_SECONDS = 24 * 3600
DEAD_MAXLEN = 10_000
BUDGET_TTL_SECONDS = 25 * 3600

log = logging.getLogger("ark_runtime.queue")
_tracer = trace.get_tracer("ark_runtime.queue")


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    """Where to read and how hard to work."""

    namespace: str
    agent: str
    consumer: str
    max_concurrent: int = 5
    task_timeout: float = 120.0
    reclaim_grace: float = 30.0
    reclaim_interval: float = 12.0
    max_retries: int = 3
    daily_token_limit: int = 0
    block_ms: int = 1000
    stream: str = ""

    @property
    def tasks_stream(self) -> str:
        """The stream read (``stream`` overrides the agent's own)."""
        return self.stream or tasks_stream(self.namespace, self.agent)


@dataclass(slots=True)
class _Commit:
    """One entry's final writes, and a future resolved once they are in Redis."""

    entry_id: str
    result: Result
    reply_to: str
    dead_fields: dict[str, str] | None = None
    task: Task | None = None
    """The task that ran (None when it did not: malformed, dead-lettered, refused)."""
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Consumer:
    """Runs tasks from one agent's stream through ``handler`` and commits their results."""

    def __init__(
        self,
        url: str,
        settings: ConsumerSettings,
        handler: Handler,
        hook: ResultHook | None = None,
        observer: TaskObserver | None = None,
    ) -> None:
        self.settings = settings
        self.handler = handler
        self.hook = hook
        self.observer = observer
        self.stream = settings.tasks_stream
        # The blocking reader gets its own connection so writes never queue behind a BLOCK.
        self._reader = connect(url, read_timeout=settings.block_ms / 1000 + 10)
        self._redis = connect(url)
        self._budget = (
            DailyBudget(self._redis, settings.namespace, settings.agent, settings.daily_token_limit)
            if settings.daily_token_limit > 0
            else None
        )
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._slot_freed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._commits: list[_Commit] = []
        self._commit_ready = asyncio.Event()
        self.connected = False
        self.completed = 0

    @property
    def in_flight(self) -> int:
        """Tasks being worked on or waiting for their result to be committed."""
        return len(self._inflight)

    def stop(self) -> None:
        """Stop reading new tasks; :meth:`run` drains and returns."""
        self._stopping.set()

    async def run(self, grace: float = 25.0) -> None:
        """Work until :meth:`stop`, then finish in-flight tasks for at most ``grace`` seconds."""
        writer = asyncio.create_task(self._write_loop(), name="ark-commit")
        loops = [
            asyncio.create_task(self._read_loop(), name="ark-read"),
            asyncio.create_task(self._reclaim_loop(), name="ark-reclaim"),
        ]
        try:
            await self._stopping.wait()
            # Let a pending XREADGROUP return on its own: cancelling it could drop entries that
            # Redis already delivered (they would only come back through a reclaim).
            _, slow = await asyncio.wait(loops, timeout=self.settings.block_ms / 1000 + 2)
            for task in slow:
                task.cancel()
            await self._drain(grace)
        finally:
            for task in [*loops, writer, *self._inflight.values()]:
                task.cancel()
            await asyncio.gather(*loops, writer, *self._inflight.values(), return_exceptions=True)
            await close_quietly(self._reader)
            await close_quietly(self._redis)

    async def _drain(self, grace: float) -> None:
        # An in-flight task ends only once its result is committed, so this also flushes results.
        if self._inflight:
            log.info("draining in-flight tasks", extra={"in_flight": len(self._inflight), "grace_s": grace})
            await asyncio.wait(list(self._inflight.values()), timeout=grace)
        if self._inflight:
            log.warning(
                "grace period over; unfinished tasks stay pending for another pod",
                extra={"task_entries": sorted(self._inflight)},
            )

    # ------------------------------------------------------------------ reading

    async def _read_loop(self) -> None:
        backoff = Backoff()
        group_ready = False
        while not self._stopping.is_set():
            free = self.settings.max_concurrent - len(self._inflight)
            if free <= 0:
                self._slot_freed.clear()
                await self._wait_or_stop(self._slot_freed.wait())
                continue
            try:
                if not group_ready:
                    await ensure_group(self._redis, self.stream, TASKS_GROUP)
                    group_ready = True
                response = await self._reader.xreadgroup(
                    TASKS_GROUP,
                    self.settings.consumer,
                    {self.stream: ">"},
                    count=free,
                    block=self.settings.block_ms,
                )
            except Exception as exc:
                if is_nogroup(exc):
                    group_ready = False
                    continue
                if not is_outage(exc):
                    raise
                self._outage(exc, backoff)
                await self._wait_or_stop(backoff.wait())
                continue
            self._recovered(backoff)
            for entry_id, fields in stream_entries(response):
                self._start(entry_id, fields, deliveries=1)

    async def _reclaim_loop(self) -> None:
        min_idle_ms = int((self.settings.task_timeout + self.settings.reclaim_grace) * 1000)
        cursor = "0-0"
        backoff = Backoff(base=0.5, cap=self.settings.reclaim_interval)
        while not self._stopping.is_set():
            await self._wait_or_stop(asyncio.sleep(self.settings.reclaim_interval))
            try:
                cursor = await self._reclaim(cursor, min_idle_ms)
                backoff.reset()
            except Exception as exc:
                if not (is_outage(exc) or is_nogroup(exc)):
                    raise
                await self._wait_or_stop(backoff.wait())

    async def _reclaim(self, cursor: str, min_idle_ms: int) -> str:
        while not self._stopping.is_set():
            free = self.settings.max_concurrent - len(self._inflight)
            if free <= 0:
                return cursor
            reply = await self._redis.xautoclaim(
                self.stream, TASKS_GROUP, self.settings.consumer, min_idle_ms, start_id=cursor, count=free
            )
            cursor, entries = reply[0], [e for e in reply[1] if e and e[1] is not None]
            if entries:
                deliveries = await self._deliveries(entries[0][0], entries[-1][0], len(entries))
                for entry_id, fields in entries:
                    if entry_id not in self._inflight:
                        log.info("reclaimed a task from a stalled consumer", extra={"entry": entry_id})
                        self._start(entry_id, fields, deliveries=deliveries.get(entry_id, 1))
            if cursor == "0-0":
                return cursor
        return cursor

    async def _deliveries(self, first: str, last: str, count: int) -> dict[str, int]:
        pending: Any = await self._redis.xpending_range(
            self.stream,
            TASKS_GROUP,
            min=first,
            max=last,
            count=count + len(self._inflight),
            consumername=self.settings.consumer,
        )
        return {p["message_id"]: int(p["times_delivered"]) for p in pending}

    async def _wait_or_stop(self, awaitable: Awaitable[Any]) -> None:
        waiter = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait([waiter, stopper], return_when=asyncio.FIRST_COMPLETED)
        for fut in (waiter, stopper):
            if not fut.done():
                fut.cancel()
        await asyncio.gather(waiter, stopper, return_exceptions=True)

    def _outage(self, exc: BaseException, backoff: Backoff) -> None:
        if backoff.failures == 0:
            log.warning("redis unreachable; retrying with backoff", extra={"error": str(exc)})
        self.connected = False

    def _recovered(self, backoff: Backoff) -> None:
        if backoff.failures:
            log.info("redis reachable again", extra={"after_failures": backoff.failures})
        backoff.reset()
        self.connected = True

    # ------------------------------------------------------------------ working

    def _start(self, entry_id: str, fields: dict[str, str], deliveries: int) -> None:
        self._inflight[entry_id] = asyncio.create_task(self._work(entry_id, fields, deliveries))

    async def _work(self, entry_id: str, fields: dict[str, str], deliveries: int) -> None:
        try:
            commit = await self._outcome(entry_id, fields, deliveries)
            self._commits.append(commit)
            self._commit_ready.set()
            await commit.done
            self.completed += 1
        finally:
            self._inflight.pop(entry_id, None)
            self._slot_freed.set()

    async def _outcome(self, entry_id: str, fields: dict[str, str], deliveries: int) -> _Commit:
        namespace = self.settings.namespace
        try:
            task = Task.from_fields(fields)
        except ProtocolError as exc:
            bad = Result(
                id=fields.get("id", entry_id),
                run=fields.get("run", ""),
                step=fields.get("step", ""),
                status="error",
                error=f"malformed task entry {entry_id}: {exc}",
                consumer=self.settings.consumer,
            )
            self._observed("malformed")
            return _Commit(
                entry_id, bad, results_stream(namespace), self._dead(fields, bad.error, deliveries)
            )
        reply_to = task.reply_to or results_stream(namespace)
        if deliveries > self.settings.max_retries:
            error = (
                f"task was delivered {deliveries} times without finishing (AGENT_MAX_RETRIES="
                f"{self.settings.max_retries}); moved to {dead_stream(namespace, self.settings.agent)}"
            )
            log.error("dead-lettering a task", extra={"task_id": task.id, "deliveries": deliveries})
            self._observed("dead_lettered")
            return _Commit(
                entry_id, self._error(task, error), reply_to, self._dead(fields, error, deliveries)
            )
        refusal = await self._budget_refusal()
        if refusal:
            self._observed("refused")
            return _Commit(entry_id, self._error(task, refusal), reply_to)
        if deliveries > 1:
            # Its deadline went with the pod that crashed: the task gets its whole timeout again.
            task = dataclasses.replace(task, deadline_ms=0)
        return _Commit(entry_id, await self._run(task, entry_id), reply_to, task=task)

    async def _budget_refusal(self) -> str:
        if self._budget is None:
            return ""
        try:
            return await self._budget.refusal()
        except Exception as exc:
            if not is_outage(exc):
                raise
            return ""  # the result cannot be written during an outage anyway; do not block on it

    async def _run(self, task: Task, entry_id: str) -> Result:
        # The task span starts when the task was added to its stream, so the wait is its first
        # child, inside its parent's interval (tracing UIs draw a child outside it wrongly).
        now_ns = time.time_ns()
        waited = queue_wait_ms(entry_id, now_ns // 1_000_000)
        added_ns = now_ns - waited * 1_000_000
        if self.observer is not None:
            self.observer.task_started(waited)
        started = time.monotonic()
        with _tracer.start_as_current_span(
            f"ark.task {task.step}",
            context=task_context(task),
            kind=trace.SpanKind.CONSUMER,
            links=producer_link(task),
            start_time=added_ns,
            attributes={
                "ark.task.id": task.id,
                "ark.task.kind": task.kind,
                "ark.run": task.run,
                "ark.queue.wait_ms": waited,
                "messaging.system": "redis",
                "messaging.message.id": entry_id,
            },
        ) as span:
            _tracer.start_span(
                "ark.queue.wait", start_time=added_ns, attributes={"ark.queue.wait_ms": waited}
            ).end(end_time=now_ns)
            try:
                result = await self.handler(task)
            except (
                Exception
            ) as exc:  # the handler should not raise; if it does, the task still gets an answer
                log.exception("task handler failed", extra={"task_id": task.id})
                result = self._error(task, f"agent runtime error: {type(exc).__name__}: {exc}")
            if result.status == "error":
                span.set_status(trace.StatusCode.ERROR, result.error[:200])
            self._observed(result.status, time.monotonic() - started)
            traceparent, _ = inject_context()
            return dataclasses.replace(result, traceparent=traceparent)

    def _observed(self, outcome: str, seconds: float | None = None) -> None:
        if self.observer is not None:
            self.observer.task_done(outcome, seconds)

    def _error(self, task: Task, error: str) -> Result:
        now = time.time_ns() // 1_000_000
        return Result(
            id=task.id,
            run=task.run,
            step=task.step,
            status="error",
            error=error,
            consumer=self.settings.consumer,
            started_ms=now,
            finished_ms=now,
            traceparent=task.traceparent,
        )

    def _dead(self, fields: dict[str, str], error: str, deliveries: int) -> dict[str, str]:
        return {**fields, "error": error, "deliveries": str(deliveries), "consumer": self.settings.consumer}

    # ------------------------------------------------------------------ committing

    async def _write_loop(self) -> None:
        backoff = Backoff()
        while True:
            await self._commit_ready.wait()
            self._commit_ready.clear()
            batch, self._commits = self._commits, []
            while batch:
                try:
                    await self._write(batch)
                except Exception as exc:
                    if not is_outage(exc):
                        for commit in batch:
                            if not commit.done.done():
                                commit.done.set_exception(exc)
                        raise
                    self._outage(exc, backoff)
                    await backoff.wait()
                    batch += self._commits
                    self._commits = []
                    continue
                self._recovered(backoff)
                for commit in batch:
                    if not commit.done.done():
                        commit.done.set_result(None)
                batch = []

    async def _write(self, batch: list[_Commit]) -> None:
        dead = dead_stream(self.settings.namespace, self.settings.agent)
        budget_tokens = 0
        hooked: set[int] = set()  # positions of the hook's commands in the transaction
        async with self._redis.pipeline(transaction=True) as pipe:
            for commit in batch:
                pipe.xadd(commit.reply_to, commit.result.to_fields())  # type: ignore[arg-type]
                if is_reply_stream(commit.reply_to):
                    pipe.expire(commit.reply_to, REPLY_TTL_SECONDS)
                if commit.dead_fields is not None:
                    pipe.xadd(dead, commit.dead_fields, maxlen=DEAD_MAXLEN)  # type: ignore[arg-type]
                pipe.xack(self.stream, TASKS_GROUP, commit.entry_id)
                # Done is done: the entry would otherwise stay in the stream for good.
                pipe.xdel(self.stream, commit.entry_id)
                if self._budget is not None and commit.result.total_tokens:
                    pipe.zadd(self._budget.key, {usage_member(commit.result): commit.result.finished_ms})
                    budget_tokens += commit.result.total_tokens
                if self.hook is not None and commit.task is not None:
                    first = len(pipe)
                    self.hook.stage(pipe, commit.task, commit.result)
                    hooked.update(range(first, len(pipe)))
            if self._budget is not None and budget_tokens:
                pipe.expire(self._budget.key, BUDGET_TTL_SECONDS)
            replies = await pipe.execute(raise_on_error=not hooked)
        if self._budget is not None:
            self._budget.spent(budget_tokens)
        if hooked:
            self._hook_outcome(replies, hooked)
        if self.hook is not None:
            for commit in batch:
                if commit.task is not None:
                    self.hook.committed(commit.task, commit.result)

    def _hook_outcome(self, replies: list[Any], hooked: set[int]) -> None:
        # Errors of our own commands are raised as before; the hook's are only its business.
        for position, reply in enumerate(replies):
            if isinstance(reply, Exception) and position not in hooked:
                raise reply
        failed = [
            reply
            for position, reply in enumerate(replies)
            if position in hooked and isinstance(reply, Exception)
        ]
        assert self.hook is not None
        if failed:
            self.hook.staged_failed(f"{type(failed[0]).__name__}: {failed[0]}")
        else:
            self.hook.staged_worked()


async def close_quietly(redis: aioredis.Redis) -> None:
    """Close a client, ignoring a connection that is already gone."""
    with contextlib.suppress(Exception):
        await redis.aclose()
