"""Redis Streams task protocol with the mock model: round-trip latency and end-to-end throughput.

- ``queue_roundtrip_p50`` / ``_p99``: one task at a time, submit (XADD + marker in one MULTI) ->
  an ``ark-runtime`` process answers with the mock -> the result is read from the results stream.
- ``tasks_per_s``: a burst of tasks through one Redis and 4 ``ark-runtime`` processes, from the
  first submit to the last result read.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from localcluster import RedisServer

from ark_runtime.protocol import Task, results_stream, tasks_stream
from ark_runtime.queue.connection import connect
from ark_runtime.queue.submit import ResultsReader, Submitter
from tests.support.wait import wait_for

RUNTIME = str(Path(sys.executable).parent / "ark-runtime")
NAMESPACE = "bench"
LATENCY_SAMPLES = 1000
LATENCY_WARMUP = 100
BURST_TASKS = 20_000
BURST_BATCH = 500
RUNTIMES = 4


def spawn(url: str, agent: str, pod: str, concurrency: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AGENT_MODEL": "mock",
        "AGENT_SYSTEM_PROMPT": "You are a benchmark agent.",
        "TASK_QUEUE_URL": url,
        "AGENT_NAMESPACE": NAMESPACE,
        "AGENT_NAME": agent,
        "POD_NAME": pod,
        "AGENT_MAX_CONCURRENT_TASKS": str(concurrency),
        "AGENT_HEALTH_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([RUNTIME], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_readers(url: str, count: int, timeout: float = 60) -> None:
    """Wait until ``count`` runtimes are blocked in XREADGROUP (their reader connections)."""
    redis = connect(url)

    async def reading() -> bool:
        return sum(c.get("cmd") == "xreadgroup" for c in await redis.client_list()) >= count

    try:
        await wait_for(reading, timeout=timeout, message=f"{count} runtimes reading")
    finally:
        await redis.aclose()


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


async def roundtrip(url: str) -> list[float]:
    agent = "latency"
    procs = [spawn(url, agent, "latency-0", 5)]
    redis = connect(url)
    try:
        await wait_readers(url, 1)
        submitter = Submitter(redis)
        reader = ResultsReader(redis, results_stream(NAMESPACE), consumer="bench-latency")
        stream = tasks_stream(NAMESPACE, agent)
        samples: list[float] = []
        for i in range(LATENCY_WARMUP + LATENCY_SAMPLES):
            task = Task(id=f"lat.s{i}.1", run="lat", step="step", prompt=f"measure me {i}")
            started = time.perf_counter()
            await submitter.submit(stream, task)
            got: list[str] = []
            while not got:
                got = [
                    entry
                    for entry, result in await reader.read(count=10, block_ms=5000)
                    if result.id == task.id
                ]
            samples.append(time.perf_counter() - started)
            await reader.ack(*got)
        return samples[LATENCY_WARMUP:]
    finally:
        await redis.aclose()
        stop(procs)


async def burst(url: str) -> float:
    agent = "throughput"
    procs = [spawn(url, agent, f"throughput-{i}", 256) for i in range(RUNTIMES)]
    redis = connect(url)
    try:
        await wait_readers(url, RUNTIMES)
        submitter = Submitter(redis)
        reader = ResultsReader(connect(url), results_stream(NAMESPACE), consumer="bench-burst")
        stream = tasks_stream(NAMESPACE, agent)
        work = [
            Task(id=f"burst.s{i}.1", run="burst", step="step", prompt=f"task {i}") for i in range(BURST_TASKS)
        ]
        expected = {t.id for t in work}

        async def produce() -> None:
            for start in range(0, len(work), BURST_BATCH):
                await submitter.submit_many(stream, work[start : start + BURST_BATCH])

        async def consume() -> None:
            while expected:
                batch = await reader.read(count=2000, block_ms=5000)
                for _, result in batch:
                    expected.discard(result.id)
                if batch:
                    await reader.ack(*(entry for entry, _ in batch))

        started = time.perf_counter()
        await asyncio.gather(produce(), consume())
        elapsed = time.perf_counter() - started
        await reader.redis.aclose()
        return BURST_TASKS / elapsed
    finally:
        await redis.aclose()
        stop(procs)


async def main() -> None:
    """Print the round-trip percentiles and the throughput."""
    server = RedisServer()
    server.start()
    try:
        samples = sorted(await roundtrip(server.url))
        p50 = statistics.median(samples) * 1000
        p99 = samples[int(len(samples) * 0.99) - 1] * 1000
        print(f"bench: queue_roundtrip_p50 {p50:.2f} ms", flush=True)
        print(f"bench: queue_roundtrip_p99 {p99:.2f} ms", flush=True)
        print(f"bench: tasks_per_s {await burst(server.url):.0f} tasks/s", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
