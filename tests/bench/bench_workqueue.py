"""Work queue throughput: one op = add + get + done of a key, in one process on one event loop.

Prints ``bench: workqueue_ops_per_s <n> ops/s`` (target >= 200k/s), measured as
the best of a few rounds of batches of distinct keys, plus a figure for
several worker tasks competing for the queue (blocking gets and wake-ups).
"""

from __future__ import annotations

import asyncio
import time

from ark.kube.workqueue import ShutDown, WorkQueue

KEYS = [f"namespace-{i % 50}/object-{i}" for i in range(1000)]


async def batched(rounds: int = 200) -> float:
    """ops/s adding a batch of distinct keys, then getting and finishing each."""
    queue = WorkQueue[str]()
    started = time.perf_counter()
    for _ in range(rounds):
        for key in KEYS:
            queue.add(key)
        for _ in range(len(KEYS)):
            key = await queue.get()
            queue.done(key)
    return rounds * len(KEYS) / (time.perf_counter() - started)


async def with_workers(total: int = 100_000, workers: int = 8) -> float:
    """ops/s with a producer and ``workers`` tasks blocking in get()."""
    queue = WorkQueue[str]()
    processed = 0

    async def worker() -> None:
        nonlocal processed
        while True:
            try:
                key = await queue.get()
            except ShutDown:
                return
            processed += 1
            queue.done(key)

    keys = [f"namespace-{i % 50}/object-{i}" for i in range(total)]  # distinct: no coalescing
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    started = time.perf_counter()
    for i, key in enumerate(keys):
        queue.add(key)
        if i % 100 == 0:
            await asyncio.sleep(0)
    await queue.shutdown_with_drain()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    assert processed == total
    return processed / elapsed


async def main() -> None:
    """Print the benchmark lines."""
    best = max([await batched() for _ in range(3)])
    print(f"bench: workqueue_ops_per_s {best:.0f} ops/s")
    print(f"bench: workqueue_ops_per_s_8_workers {await with_workers():.0f} ops/s")


if __name__ == "__main__":
    asyncio.run(main())
