"""The memory a task uses never raises, is bounded in time, and warns once per outage."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from ark_runtime.memory.base import (
    BackendUnreachableError,
    DimensionMismatchError,
    MemoryBackendError,
    MemoryEntry,
)
from ark_runtime.memory.guard import Memory
from ark_runtime.memory.writer import Writer
from ark_runtime.protocol import Result, Task


class Backend:
    """A backend whose behaviour the test sets: entries, an error, or a hang."""

    description = "test backend"

    def __init__(self) -> None:
        self.entries: list[MemoryEntry] = []
        self.error: Exception | None = None
        self.hang = False
        self.written: list[MemoryEntry] = []
        self.maintained = 0
        self.closed = False
        self.release = asyncio.Event()

    async def _act(self) -> None:
        if self.hang:
            await self.release.wait()
        if self.error is not None:
            raise self.error

    async def recall(self, task: Task, limit: int) -> list[MemoryEntry]:
        await self._act()
        return self.entries[:limit]

    async def remember(self, entry: MemoryEntry) -> None:
        await self._act()
        self.written.append(entry)

    async def maintain(self) -> None:
        await self._act()
        self.maintained += 1

    async def aclose(self) -> None:
        self.closed = True


def task(kind: str = "step", prompt: str = "the task") -> Task:
    return Task(id=f"t-{kind}", run="r", step="s", prompt=prompt, kind=kind)  # type: ignore[arg-type]


def ok(output: str = "the answer") -> Result:
    return Result(id="t", run="r", step="s", status="ok", output=output)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_in_context_memory_recalls_and_stores_nothing() -> None:
    memory = Memory(None)
    assert not memory.enabled
    assert await memory.recall(task()) == []
    assert await memory.prompt(task()) == "the task"
    await memory.remember(task(), ok())
    await memory.maintain()
    await memory.aclose()


async def test_recalled_entries_go_into_the_prompt() -> None:
    backend = Backend()
    backend.entries = [MemoryEntry("earlier task", "earlier answer", 1_000)]
    memory = Memory(backend, max_tokens=500)
    prompt = await memory.prompt(task())
    assert prompt.startswith("<ark:memory>")
    assert "Task: earlier task\nResult: earlier answer" in prompt
    assert prompt.endswith("the task")


async def test_recall_asks_for_at_most_the_configured_entries() -> None:
    backend = Backend()
    backend.entries = [MemoryEntry(f"t{i}", "a", i) for i in range(9)]
    assert len(await Memory(backend, recall_entries=3).recall(task())) == 3


async def test_only_steps_and_delegated_tasks_take_part() -> None:
    backend = Backend()
    backend.entries = [MemoryEntry("earlier", "answer", 1)]
    memory = Memory(backend, clock=lambda: 42)
    for kind in ("judge", "route", "probe"):
        assert await memory.recall(task(kind)) == []
        await memory.remember(task(kind), ok())
    assert backend.written == []
    await memory.remember(task("delegate"), ok())
    await memory.remember(task("step"), Result(id="t", run="r", step="s", status="error", error="x"))
    await memory.remember(task("step"), ok("   "))
    assert [(e.task_id, e.at_ms, e.result) for e in backend.written] == [("t-delegate", 42, "the answer")]


async def test_a_failing_backend_warns_once_per_outage_and_says_when_it_works_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ark_runtime.memory")
    backend = Backend()
    memory = Memory(backend)
    backend.error = MemoryBackendError("redis at redis://127.0.0.1:1/0 refused the connection")
    for _ in range(5):
        assert await memory.prompt(task()) == "the task"
        await memory.remember(task(), ok())
    assert warnings(caplog) == [
        "memory recall failed; tasks go on without it until it works again",
        "memory write failed; tasks go on without it until it works again",
    ]
    assert (
        caplog.records[0].error == "MemoryBackendError: redis at redis://127.0.0.1:1/0 refused the connection"
    )  # type: ignore[attr-defined]
    backend.error = None
    await memory.recall(task())
    assert caplog.records[-1].getMessage() == "memory recall works again"
    assert caplog.records[-1].after_failures == 5  # type: ignore[attr-defined]
    backend.error = ConnectionError("gone again")
    await memory.recall(task())
    assert len(warnings(caplog)) == 3


async def test_a_hanging_backend_costs_at_most_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    backend = Backend()
    backend.hang = True
    memory = Memory(backend, timeout=0.05)
    assert await asyncio.wait_for(memory.prompt(task()), timeout=5) == "the task"
    assert warnings(caplog) == ["memory recall failed; tasks go on without it until it works again"]
    assert caplog.records[0].error == "no answer within 0.05s (AGENT_MEMORY_TIMEOUT_SECONDS)"  # type: ignore[attr-defined]


async def test_upkeep_failures_are_contained_too() -> None:
    backend = Backend()
    memory = Memory(backend)
    await memory.maintain()
    backend.error = RuntimeError("boom")
    await memory.maintain()
    assert backend.maintained == 1
    await memory.aclose()
    assert backend.closed


async def test_the_writer_writes_in_the_background_and_drains_on_close() -> None:
    backend = Backend()
    writer = Writer(Memory(backend))
    writer.submit(task(), ok("one"))
    writer.submit(task(), ok("two"))
    assert writer.pending == 2
    await writer.aclose(grace=5)
    assert sorted(e.result for e in backend.written) == ["one", "two"]


async def test_the_writer_drops_beyond_its_capacity_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    backend = Backend()
    backend.hang = True
    writer = Writer(Memory(backend, timeout=30), capacity=2)
    for i in range(5):
        writer.submit(task(), ok(f"answer {i}"))
    assert (writer.pending, writer.dropped) == (2, 3)
    assert warnings(caplog) == ["memory writes are backing up; dropping new ones until they catch up"]
    backend.release.set()
    await writer.aclose(grace=5)
    assert sorted(e.result for e in backend.written) == ["answer 0", "answer 1"]


async def test_closing_the_writer_cancels_writes_past_the_grace() -> None:
    backend = Backend()
    backend.hang = True
    writer = Writer(Memory(backend, timeout=30))
    writer.submit(task(), ok())
    await writer.aclose(grace=0.01)
    assert writer.pending == 0
    assert backend.written == []


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (DimensionMismatchError("holds 4-dimensional vectors"), "DimensionMismatch"),
        (BackendUnreachableError("cannot reach qdrant"), "Unreachable"),
        (ConnectionRefusedError("refused"), "Unreachable"),
        (RedisConnectionError("gone"), "Unreachable"),
        (MemoryBackendError("answered HTTP 500"), "BackendError"),
        (ValueError("garbage"), "BackendError"),
    ],
)
async def test_each_failure_is_logged_with_the_reason_the_status_will_show(
    caplog: pytest.LogCaptureFixture, error: Exception, reason: str
) -> None:
    backend = Backend()
    backend.error = error
    await Memory(backend).recall(task())
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.reason == reason  # type: ignore[attr-defined]
