"""Driving ``ark-runtime`` processes through the session's Redis: their environment, submitting
tasks, collecting results."""

from __future__ import annotations

import time

from ark_runtime.protocol import DelegationRequest, Result, Task, results_stream, tasks_stream
from ark_runtime.queue.connection import connect
from ark_runtime.queue.submit import ResultsReader, Submitter
from tests.integration.runtime.support import ModelServer
from tests.support.wait import wait_for


def env(redis_url: str, agent: str, pod: str, **extra: str) -> dict[str, str]:
    """An agent pod's environment on the mock model, in namespace ``rt``; ``extra`` adds to it."""
    return {
        "AGENT_MODEL": "mock",
        "AGENT_SYSTEM_PROMPT": "You are a test agent.",
        "TASK_QUEUE_URL": redis_url,
        "AGENT_NAMESPACE": "rt",
        "AGENT_NAME": agent,
        "POD_NAME": pod,
        "LOG_LEVEL": "DEBUG",
        **extra,
    }


def model_env(model_server: ModelServer) -> dict[str, str]:
    """The variables pointing an agent at the loopback OpenAI-compatible model."""
    return {"AGENT_MODEL": "llama-test", "OPENAI_BASE_URL": model_server.openai_base, "OPENAI_API_KEY": "k"}


FAST_RECLAIM = {
    "AGENT_TIMEOUT_SECONDS": "2",
    "AGENT_RECLAIM_GRACE_SECONDS": "0.5",
    "AGENT_RECLAIM_INTERVAL_SECONDS": "0.3",
}


class Results:
    """Collects results from the namespace's results stream (tolerating Redis outages)."""

    def __init__(self, redis_url: str) -> None:
        self.redis = connect(redis_url)
        self.reader = ResultsReader(self.redis, results_stream("rt"), consumer=f"test-{time.monotonic_ns()}")
        self.by_id: dict[str, list[Result]] = {}
        self.requests: list[DelegationRequest] = []

    async def poll(self) -> int:
        for entry_id, message in await self.reader.read(count=1000, block_ms=100):
            if isinstance(message, DelegationRequest):
                self.requests.append(message)
            else:
                self.by_id.setdefault(message.id, []).append(message)
            await self.reader.ack(entry_id)
        return sum(len(v) for v in self.by_id.values())

    async def wait(self, ids: list[str], timeout: float = 60) -> dict[str, Result]:
        await wait_for(lambda: self._has(ids), timeout=timeout, message=f"results of {len(ids)} tasks")
        return {i: self.by_id[i][0] for i in ids}

    async def _has(self, ids: list[str]) -> bool:
        await self.poll()
        return all(i in self.by_id for i in ids)


async def submit(redis_url: str, agent: str, tasks: list[Task]) -> None:
    """Queue ``tasks`` for ``agent``."""
    redis = connect(redis_url)
    try:
        await Submitter(redis).submit_many(tasks_stream("rt", agent), tasks)
    finally:
        await redis.aclose()


def tasks(run: str, count: int, prompt: str = "work item") -> list[Task]:
    """``count`` tasks of run ``run``."""
    return [Task(id=f"{run}.s{i}.1", run=run, step=f"s{i}", prompt=f"{prompt} {i}") for i in range(count)]
