"""A real ``ark-runtime`` process whose model server is hostile for some tasks and fine for others.

The pod must stay up: it answers ``/healthz`` throughout, fails the hostile tasks with clear
errors, answers every other task, keeps its peak RSS flat, and never writes a result above the
result cap to Redis.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ark_runtime.health import HealthServer, Readiness
from ark_runtime.protocol import Result, Task, reply_stream, results_stream, tasks_stream
from ark_runtime.queue.connection import connect
from ark_runtime.queue.delegation import RedisDelegator, child_task_id
from ark_runtime.queue.submit import Submitter
from ark_runtime.tools.delegate import DelegationError
from tests.integration.runtime.queue_support import Results, env
from tests.integration.runtime.support import runtimes
from tests.support.hostile import HostileServer
from tests.support.wait import wait_for

pytestmark = pytest.mark.redis

RESULT_CAP = 4096
RSS_LIMIT_MB = 200
HOSTILE = {
    "endless": "sent a response body larger than 1.244 MiB",
    "huge": "sent a response body larger than 1.244 MiB",
    "gzip-bomb": "the gzip body inflates more than 200:1",
    "huge-headers": "sent response headers larger than 100 KiB",
    "drip": "before the task deadline",
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    server.start()
    yield server
    server.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for pid {pid}")


async def test_a_runtime_under_hostile_model_answers_keeps_serving(
    redis_url: str, agent_name: str, results: Results, hostile: HostileServer
) -> None:
    run = f"hostile-{agent_name}"
    bad = [Task(id=f"{run}.{b}.1", run=run, step=b, prompt=f"hostile:{b}") for b in HOSTILE]
    good = [Task(id=f"{run}.s{i}.1", run=run, step=f"s{i}", prompt=f"work item {i}") for i in range(20)]
    oversized = Task(id=f"{run}.big.1", run=run, step="big", prompt="x" * (RESULT_CAP + 10))
    pod = env(
        redis_url,
        agent_name,
        f"{agent_name}-pod",
        AGENT_MODEL="llama-test",
        OPENAI_BASE_URL=f"{hostile.url}/by-prompt/v1",
        OPENAI_API_KEY="k",
        AGENT_MAX_CONCURRENT_TASKS="4",
        AGENT_TIMEOUT_SECONDS="10",
        AGENT_MAX_RESULT_BYTES=str(RESULT_CAP),
        LOG_LEVEL="INFO",
    )
    with runtimes(pod) as (proc,):
        await wait_for(proc.started, timeout=30, message="the runtime started")
        redis = connect(redis_url)
        try:
            await Submitter(redis).submit_many(tasks_stream("rt", agent_name), [*bad, *good, oversized])
        finally:
            await redis.aclose()
        healthy = 0
        async with httpx.AsyncClient() as client:

            async def all_answered() -> bool:
                nonlocal healthy
                reply = await client.get(f"http://127.0.0.1:{proc.health_port}/healthz", timeout=2)
                assert (reply.status_code, reply.text) == (200, "ok")
                healthy += 1
                return await results._has([t.id for t in [*bad, *good, oversized]])

            await wait_for(all_answered, timeout=60, interval=0.2, message="every task answered")
        peak = peak_rss_mb(proc.pid)
        assert proc.terminate() == 0
    answered = {i: rs[0] for i, rs in results.by_id.items()}
    for task in bad:
        assert answered[task.id].status == "error"
        assert HOSTILE[task.step] in answered[task.id].error, answered[task.id].error
    assert all(answered[t.id].status == "ok" for t in good)
    assert answered[good[3].id].output == "ok: work item 3"
    assert answered[oversized.id].status == "error"
    assert answered[oversized.id].error == (
        f"the output is {len('ok: ') + RESULT_CAP + 10} bytes, more than the {RESULT_CAP}-byte result cap "
        "(AGENT_MAX_RESULT_BYTES); it was not written to the queue"
    )
    assert healthy > 10  # /healthz answered all along, the drip's 10 s included
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    redis = connect(redis_url)
    try:
        written = await redis.xrange(results_stream("rt"))
    finally:
        await redis.aclose()
    ours = [fields for _, fields in written if fields["run"] == run]
    assert len(ours) == len(bad) + len(good) + 1
    assert max(len(fields["output"].encode()) for fields in ours) <= RESULT_CAP


@pytest.mark.parametrize(
    ("output", "fields", "expected"),
    [
        (
            "y" * 5000,
            {},
            "the sub-task's result was refused: the output is 5000 bytes, more than the 4096-byte",
        ),
        (
            "fine",
            {"status": "maybe"},
            "the sub-task's result entry is malformed: result field 'status' must be",
        ),
    ],
)
async def test_a_delegating_agent_refuses_a_sub_result_over_the_cap_or_malformed(
    redis_url: str, agent_name: str, output: str, fields: dict[str, str], expected: str
) -> None:
    redis = connect(redis_url)
    delegator = RedisDelegator(
        redis, "rt", {"helper": f"{agent_name}-helper"}, 10, max_result_bytes=RESULT_CAP
    )
    parent = Task(id=f"{agent_name}.entry.1", run=agent_name, step="entry", prompt="p")
    child_id = child_task_id(parent, "helper", "do it")
    entry = {
        **Result(id=child_id, run=agent_name, step="helper", status="ok", output=output).to_fields(),
        **fields,
    }
    try:
        await redis.xadd(reply_stream("rt", parent.id), entry)  # type: ignore[arg-type]
        with pytest.raises(DelegationError, match=re.escape(expected)):
            await delegator("helper", "do it", parent)
    finally:
        await redis.aclose()


async def raw_status(port: int, head: bytes) -> bytes:
    """The status line a request head that never ends gets (httpx would not send one)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        return (await reader.readline()).strip()
    finally:
        writer.close()


async def test_the_health_server_refuses_oversized_requests_and_keeps_answering() -> None:
    server = HealthServer(Readiness(None, 30), port=0, host="127.0.0.1")
    port = await server.start()
    try:
        junk = b"q" * (64 * 1024)
        long_url = await raw_status(port, b"GET /healthz?" + junk)
        huge_header = await raw_status(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + junk)
        async with httpx.AsyncClient() as client:
            ordinary = await client.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        await server.stop()
    assert long_url == huge_header == b"HTTP/1.1 400 Bad Request"
    assert (ordinary.status_code, ordinary.text) == (200, "ok")
