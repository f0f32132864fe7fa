"""The trigger webhook server of a real ``ark-operator`` process, driven by httpx on loopback.

Figures (measured, never asserted):

* ``webhook_fire_p50`` / ``webhook_fire_p99``: the 202 latency of one fire (an ArkRun created),
  over 200 fires one after another on a kept-alive connection.
* ``webhook_fires_per_s``: 600 fires from 32 concurrent callers, divided by the wall time until
  the last answer; every fire's run is then counted in the API server.
* ``webhook_fires_per_s_non_leader``: the same against a second replica that does not lead (its
  process only serves fires; the leader's runs them).
* ``webhook_apiserver_create_p50``: the same ArkRun POSTed by this process straight to the API
  server (50 times): the floor under a fire's latency on this machine, for reading the others.
* ``webhook_sync_overhead_p50``: the ``?mode=sync`` answer's latency minus the run's own
  ``durationSeconds``, over 20 runs whose agent (played here on the Redis streams) answers at
  once: the time to start the run and to learn of its end, with no polling.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import statistics
import time

import httpx
import redis.asyncio as aioredis
from localcluster import ControlPlane

from ark.controllers.event.controller import ARK_EVENTS, token_secret_name
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient, NotFound
from ark.kube.resources import SECRETS
from ark_runtime.protocol import Task, tasks_stream
from tests.bench.stack import operator_stack
from tests.integration.controllers.run.support import Pods
from tests.support.wait import wait_for, wait_for_sync

NAMESPACE = "bench"
SEQUENTIAL = 200
CONCURRENT = 600
CALLERS = 32
SYNC_RUNS = 20


async def _setup(client: KubeClient) -> str:
    team = {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkTeam",
        "metadata": {"name": "note", "namespace": NAMESPACE},
        "spec": {"entry": "write", "roles": [{"name": "write", "model": "mock", "systemPrompt": "p"}]},
    }
    await client.create(ARK_TEAMS, team)
    event = {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkEvent",
        "metadata": {"name": "hook", "namespace": NAMESPACE},
        "spec": {
            "source": {"type": "webhook"},
            "targets": [{"team": "note", "input": {"task": "{{ .trigger.body.n }}"}}],
        },
    }
    await client.create(ARK_EVENTS, event)

    async def token() -> str | None:
        try:
            secret = await client.get(SECRETS, token_secret_name("hook"), NAMESPACE)
        except NotFound:
            return None
        return base64.b64decode(secret["data"]["token"]).decode()

    return await wait_for(token, timeout=60, message="the token Secret")


async def _agent(redis: aioredis.Redis) -> None:
    """Answer every new task of ``note-write`` as soon as it is on the stream (not the backlog
    of the runs fired above, which no agent answers)."""
    pods = Pods(redis, NAMESPACE)
    last = "$"
    stream = tasks_stream(NAMESPACE, "note-write")
    while True:
        entries = await redis.xread({stream: last}, block=1000)
        for _, items in entries:
            for entry_id, fields in items:
                last = entry_id
                await pods.answer(Task.from_fields(fields), "done")


async def _concurrent(http: httpx.AsyncClient, path: str, auth: dict[str, str], tag: str) -> float:
    """Fires a second: CONCURRENT fires from CALLERS callers, each answered 202."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(CONCURRENT):
        queue.put_nowait(n)
    codes: list[int] = []

    async def caller() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            codes.append((await http.post(path, json={"n": f"{tag}{n}"}, headers=auth)).status_code)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    elapsed = time.perf_counter() - started
    assert codes.count(202) == CONCURRENT, codes
    return CONCURRENT / elapsed


async def measure(cp: ControlPlane, redis_url: str, port: int, follower: int) -> None:
    async with await KubeClient.from_kubeconfig(cp.kubeconfig) as client:
        token = await _setup(client)
        auth = {"Authorization": f"Bearer {token}"}
        path = f"/triggers/{NAMESPACE}/hook/fire"
        limits = httpx.Limits(max_connections=CALLERS, max_keepalive_connections=CALLERS)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as http:

            async def seen() -> bool:
                return (await http.post(path, headers={"Authorization": "Bearer probe"})).status_code == 401

            await wait_for(seen, timeout=60, message="the server seeing the event")
            latencies = []
            for n in range(SEQUENTIAL):
                started = time.perf_counter()
                answer = await http.post(path, json={"n": str(n)}, headers=auth)
                latencies.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 202, answer.text
            latencies.sort()
            template = await client.get(ARK_RUNS, answer.json()["runs"][0], NAMESPACE)
            creates = []
            for n in range(50):
                body = {
                    "apiVersion": template["apiVersion"],
                    "kind": "ArkRun",
                    "metadata": {
                        "name": f"direct-{n}",
                        "namespace": NAMESPACE,
                        "labels": {"bench": "direct"},
                    },
                    "spec": template["spec"],
                }
                started = time.perf_counter()
                await client.create(ARK_RUNS, body)
                creates.append((time.perf_counter() - started) * 1000)
            print(f"bench: webhook_apiserver_create_p50 {statistics.median(creates):.2f} ms", flush=True)
            print(f"bench: webhook_fire_p50 {statistics.median(latencies):.2f} ms", flush=True)
            print(f"bench: webhook_fire_p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms", flush=True)

        # A new client for each phase: a connection idle past the server's keep-alive (5 s)
        # may be closed just as it is reused, which is the client's race, not a fire's failure.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as http:
            rate = await _concurrent(http, path, auth, "c")
            runs = (await client.list(ARK_RUNS, NAMESPACE))["items"]
            assert len(runs) == SEQUENTIAL + 50 + CONCURRENT, len(runs)
            print(f"bench: webhook_fires_per_s {rate:.0f} /s", flush=True)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{follower}", timeout=60, limits=limits
        ) as http:
            rate = await _concurrent(http, path, auth, "f")
            runs = (await client.list(ARK_RUNS, NAMESPACE))["items"]
            assert len(runs) == SEQUENTIAL + 50 + 2 * CONCURRENT, len(runs)
            print(f"bench: webhook_fires_per_s_non_leader {rate:.0f} /s", flush=True)

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=150) as http:
            # Sync mode: the agent played here answers every task at once.
            redis = aioredis.from_url(redis_url, decode_responses=True)
            agent = asyncio.create_task(_agent(redis))
            overheads = []
            try:
                for n in range(SYNC_RUNS):
                    started = time.perf_counter()
                    answer = await http.post(
                        path, params={"mode": "sync", "timeout": "120s"}, json={"n": f"s{n}"}, headers=auth
                    )
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    assert answer.status_code == 200, answer.text
                    run = await client.get(ARK_RUNS, answer.json()["run"], NAMESPACE)
                    overheads.append(elapsed_ms - float(run["status"]["durationSeconds"]) * 1000)
            finally:
                agent.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await agent
                await redis.aclose()
            print(f"bench: webhook_sync_overhead_p50 {statistics.median(overheads):.1f} ms", flush=True)


def main() -> None:
    """A control plane, Redis and two operator replicas, then the figures."""
    with operator_stack(NAMESPACE) as stack:
        flags = ("--trigger-webhook-rate=100000", "--trigger-webhook-burst=100000")
        operator = stack.add_operator(*flags)
        wait_for_sync(operator.leading, timeout=60, message="operator leading")
        second = stack.add_operator(*flags)
        asyncio.run(measure(stack.cp, stack.redis.url, operator.webhook_port, second.webhook_port))
