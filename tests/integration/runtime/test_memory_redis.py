"""Agent memory on a real Redis, through real ``ark-runtime`` processes and a loopback model server
that records every prompt: recall into the next task's prompt, exact TTL and maxEntries, writes in
the result's commit, and a memory Redis that goes away and comes back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from localcluster import RedisServer
from redis.asyncio import Redis

from ark_runtime.memory.base import Scope
from ark_runtime.memory.prompt import MEMORY_DEFENCE
from ark_runtime.memory.redis_memory import memory_key
from ark_runtime.protocol import Task
from ark_runtime.queue.connection import connect
from tests.integration.runtime.queue_support import Results, env, model_env, submit
from tests.integration.runtime.support import (
    ModelServer,
    RuntimeProcess,
    last_user_text,
    openai_text,
    runtimes,
)
from tests.support.wait import wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def memory_redis() -> Iterator[RedisServer]:
    """A Redis of its own for memory (the ArkMemory's Secret points at it), not the task queue's."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def answer_each_prompt(model_server: ModelServer) -> None:
    # The answer names the task's own line (the last of the prompt), so entries are recognisable.
    model_server.responder = lambda req: openai_text(
        f"answer to {last_user_text(req['body']).splitlines()[-1]}"
    )


def memory_env(
    redis_url: str, agent: str, memory_url: str, model_server: ModelServer, **extra: str
) -> dict[str, str]:
    return env(
        redis_url,
        agent,
        f"{agent}-pod",
        **model_env(model_server),
        AGENT_MEMORY_BACKEND="redis",
        AGENT_MEMORY_REDIS_URL=memory_url,
        **extra,
    )


def task(agent: str, n: int, prompt: str) -> Task:
    return Task(id=f"{agent}.s{n}.1", run=agent, step=f"s{n}", prompt=prompt)


async def run(redis_url: str, agent: str, results: Results, item: Task) -> None:
    """Submit ``item`` and wait for its result, which must be ok."""
    await submit(redis_url, agent, [item])
    answered = await results.wait([item.id], timeout=30)
    assert answered[item.id].status == "ok", answered[item.id].error


def prompts(model_server: ModelServer) -> list[str]:
    return [last_user_text(r["body"]) for r in model_server.requests]


async def entries(url: str, agent: str) -> int:
    redis = connect(url)
    try:
        return int(await redis.xlen(memory_key(Scope("rt", agent))))
    finally:
        await redis.aclose()


async def test_task_two_is_given_what_task_one_answered(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer, memory_redis: RedisServer
) -> None:
    answer_each_prompt(model_server)
    with runtimes(memory_env(redis_url, agent_name, memory_redis.url, model_server)) as (proc,):
        await run(redis_url, agent_name, results, task(agent_name, 1, "What is the capital of France?"))
        # The memory Redis is not the queue's: the write follows the commit.
        await wait_for(lambda: entries(memory_redis.url, agent_name), timeout=10, message="task 1 remembered")
        await run(redis_url, agent_name, results, task(agent_name, 2, "And of Italy?"))
        assert proc.terminate() == 0
        logs = proc.logs()
    first, second = prompts(model_server)
    assert first == "What is the capital of France?"
    assert second.startswith("<ark:memory>\n<ark:memory-entry at=")
    assert "Task: What is the capital of France?\nResult: answer to What is the capital of France?" in second
    assert second.endswith("</ark:memory>\n\nAnd of Italy?")
    system = model_server.requests[1]["body"]["messages"][0]
    assert system["role"] == "system"
    assert MEMORY_DEFENCE in system["content"]
    started = next(e for e in logs if e.get("msg") == "agent started")
    assert started["memory"] == f"redis at {memory_redis.url}"


async def test_memory_in_the_task_queues_redis_is_written_with_the_result(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    answer_each_prompt(model_server)
    with runtimes(memory_env(redis_url, agent_name, redis_url, model_server)) as (proc,):
        for n in range(3):
            await run(redis_url, agent_name, results, task(agent_name, n, f"question {n}"))
            # Same MULTI/EXEC as the result: once the result is readable, so is the entry.
            assert await entries(redis_url, agent_name) == n + 1
        assert proc.terminate() == 0
    last = prompts(model_server)[-1]
    assert "Task: question 0\nResult: answer to question 0" in last
    assert "Task: question 1\nResult: answer to question 1" in last


async def test_max_entries_keeps_exactly_the_newest(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    answer_each_prompt(model_server)
    with runtimes(
        memory_env(redis_url, agent_name, redis_url, model_server, AGENT_MEMORY_REDIS_MAX_ENTRIES="2")
    ):
        for n in range(4):
            await run(redis_url, agent_name, results, task(agent_name, n, f"fact {n}"))
        assert await entries(redis_url, agent_name) == 2
        await run(redis_url, agent_name, results, task(agent_name, 9, "recall"))
    last = prompts(model_server)[-1]
    assert "Task: fact 2" in last
    assert "Task: fact 3" in last
    assert "Task: fact 0" not in last
    assert "Task: fact 1" not in last


async def test_entries_expire_after_ttl_seconds(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    answer_each_prompt(model_server)
    with runtimes(memory_env(redis_url, agent_name, redis_url, model_server, AGENT_MEMORY_REDIS_TTL="1")):
        await run(redis_url, agent_name, results, task(agent_name, 1, "short-lived fact"))
        await run(redis_url, agent_name, results, task(agent_name, 2, "within the second"))
        redis = connect(redis_url)
        key = memory_key(Scope("rt", agent_name))
        ttl_ms = await redis.pttl(key)
        assert 0 < ttl_ms <= 1000
        await wait_for(lambda: _gone(redis, key), timeout=5, message="the memory key to expire")
        await redis.aclose()
        await run(redis_url, agent_name, results, task(agent_name, 3, "after the second"))
    within, after = prompts(model_server)[1:]
    assert "Task: short-lived fact" in within
    assert after == "after the second"


async def _gone(redis: Redis, key: str) -> bool:
    return int(await redis.exists(key)) == 0


async def test_a_memory_redis_outage_costs_memory_not_tasks_and_is_logged_once(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer, memory_redis: RedisServer
) -> None:
    answer_each_prompt(model_server)
    with runtimes(memory_env(redis_url, agent_name, memory_redis.url, model_server)) as (proc,):
        await run(redis_url, agent_name, results, task(agent_name, 0, "before the outage"))
        await wait_for(lambda: entries(memory_redis.url, agent_name), timeout=10, message="remembered")
        memory_redis.stop(keep_data=True)
        for n in range(1, 6):
            await run(redis_url, agent_name, results, task(agent_name, n, f"during the outage {n}"))
        assert all(p == f"during the outage {n}" for n, p in enumerate(prompts(model_server)[1:6], start=1))
        await wait_for(lambda: _warned(proc, "write"), timeout=10, message="the write failure logged")
        memory_redis.start()
        await run(redis_url, agent_name, results, task(agent_name, 6, "after the outage"))
        assert "Task: before the outage" in prompts(model_server)[6]
        assert proc.terminate() == 0
        logs = proc.logs()
    warnings = [e for e in logs if e.get("level") == "warning" and e["msg"].startswith("memory")]
    assert [e["msg"] for e in warnings] == [
        "memory recall failed; tasks go on without it until it works again",
        "memory write failed; tasks go on without it until it works again",
    ]
    assert warnings[0]["backend"] == f"redis at {memory_redis.url}"
    assert warnings[0]["error"].startswith("ConnectionError")
    back = next(e for e in logs if e.get("msg") == "memory recall works again")
    assert back["after_failures"] == 5


def _warned(proc: RuntimeProcess, kind: str) -> bool:
    return any(
        e.get("msg") == f"memory {kind} failed; tasks go on without it until it works again"
        for e in proc.logs()
    )
