"""Agent memory on a real Redis: what a recall costs, and what memory adds to a task.

- ``memory_recall_p50`` / ``_p99``: one recall (the guarded call an agent makes before a task:
  a Lua ``XREVRANGE`` of the 5 newest live entries and their parsing) with 1,000 entries stored.
- ``memory_overhead_per_task_p50``: the p50 of a task run with the mock model (the runtime's
  tool-use loop, ``run_task``) with memory — recall, the enveloped prompt, and the write awaited
  (an upper bound: agents write in the result's commit or in the background) — minus the p50 of
  the same task without memory; ``task_without_memory_p50`` is printed alongside.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time

from localcluster import RedisServer

from ark_runtime.loop import run_task
from ark_runtime.memory.base import MemoryEntry, Scope
from ark_runtime.memory.guard import Memory
from ark_runtime.memory.redis_memory import RedisMemory
from ark_runtime.protocol import Result, Task
from ark_runtime.providers.mock import MockProvider
from ark_runtime.tools.base import ToolSet

STORED = 1000
SAMPLES = 2000
WARMUP = 200


def ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def recall_times(memory: Memory, task: Task) -> list[float]:
    times = []
    for i in range(WARMUP + SAMPLES):
        started = time.perf_counter()
        entries = await memory.recall(task)
        elapsed = time.perf_counter() - started
        assert len(entries) == 5, "the recall failed"
        if i >= WARMUP:
            times.append(elapsed)
    return times


async def task_times(memory: Memory | None, provider: MockProvider, tools: ToolSet) -> list[float]:
    times = []
    for i in range(WARMUP + SAMPLES):
        task = Task(id=f"bench.s.{i}", run="bench", step="s", prompt=f"summarise item {i} of the catalogue")
        started = time.perf_counter()
        asked = dataclasses.replace(task, prompt=await memory.prompt(task)) if memory is not None else task
        result: Result = await run_task(
            asked,
            provider=provider,
            tools=tools,
            system_prompt="You summarise.",
            max_tokens=800,
            deadline=None,
            consumer="bench",
        )
        if memory is not None:
            await memory.remember(task, result)
        elapsed = time.perf_counter() - started
        assert result.status == "ok"
        if i >= WARMUP:
            times.append(elapsed)
    return times


async def main() -> None:
    server = RedisServer()
    server.start()
    try:
        backend = RedisMemory(
            server.url, Scope("bench", "writer"), ttl_seconds=3600, max_entries=0, timeout=2.0
        )
        memory = Memory(backend)
        for i in range(STORED):
            await backend.remember(MemoryEntry(f"task {i}", f"answer {i} " * 20, 0, f"t{i}"))
        recall = await recall_times(memory, Task(id="q", run="r", step="s", prompt="what did we do?"))
        print(f"bench: memory_recall_p50 {ms(recall, 0.5):.3f} ms", flush=True)
        print(f"bench: memory_recall_p99 {ms(recall, 0.99):.3f} ms", flush=True)
        provider, tools = MockProvider(), ToolSet()
        without = await task_times(None, provider, tools)
        task_memory = Memory(RedisMemory(server.url, Scope("bench", "tasks"), 3600, 1000, 2.0))
        with_memory = await task_times(task_memory, provider, tools)
        print(f"bench: task_without_memory_p50 {ms(without, 0.5):.3f} ms", flush=True)
        overhead = statistics.median(with_memory) - statistics.median(without)
        print(f"bench: memory_overhead_per_task_p50 {overhead * 1000:.3f} ms", flush=True)
        await memory.aclose()
        await task_memory.aclose()
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
