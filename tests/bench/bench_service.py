"""ArkService task submission in the local control plane with a real ``ark-operator`` process.

Figures (measured, never asserted):

* ``service_task_overhead_p50`` / ``_p95``: ``POST /v1/tasks`` -> its 200, less nothing: the
  agent's part is played by a reader blocked on the agent's task stream that answers each task
  the moment it arrives, so the figure is what the service adds (ArkRun created, task
  dispatched, result recorded in the status, the watch waking the waiting request); 30 tasks one
  after another.
* ``service_task_dispatch_p50``: ``POST`` -> the task on the agent's stream (run created, loaded
  and submitted); ``service_task_finish_p50``: the result written -> the 200 (result read, status
  written, the watch waking the request).
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from localcluster import ControlPlane

from ark.controllers.resources import ARK_AGENTS
from ark.controllers.service.controller import ARK_SERVICES
from ark.kube.client import KubeClient
from ark_runtime.protocol import Task, tasks_stream
from ark_runtime.queue.connection import connect
from tests.bench.stack import operator_stack
from tests.e2e.operator.support import OperatorProcess
from tests.integration.controllers.run.support import Pods
from tests.support.wait import wait_for

NAMESPACE = "bench-service"
TASKS = 30


async def answer_tasks(redis_url: str, stop: asyncio.Event, seen: dict[str, tuple[float, float]]) -> None:
    """Answer every task on the agent's stream as soon as it is there (blocking reads); ``seen``
    gets (arrived, answered) per prompt."""
    redis = connect(redis_url)
    pods = Pods(redis, NAMESPACE)
    stream = tasks_stream(NAMESPACE, "researcher")
    last = "0-0"
    try:
        while not stop.is_set():
            read = await redis.xread({stream: last}, block=1000)
            for _, entries in read or ():
                for entry_id, fields in entries:
                    last = entry_id
                    arrived = time.perf_counter()
                    task = Task.from_fields(fields)
                    await pods.answer(task, "an answer")
                    seen[task.prompt] = (arrived, time.perf_counter())
    finally:
        await redis.aclose()


async def measure(cp: ControlPlane, operator: OperatorProcess, redis_url: str) -> None:
    async with await KubeClient.from_kubeconfig(cp.kubeconfig) as kube:
        agent = {"model": "mock", "systemPrompt": "p", "replicas": 1}
        await kube.create(
            ARK_AGENTS,
            {
                "apiVersion": "arkonis.dev/v1alpha1",
                "kind": "ArkAgent",
                "metadata": {"name": "researcher", "namespace": NAMESPACE},
                "spec": agent,
            },
        )
        await kube.create(
            ARK_SERVICES,
            {
                "apiVersion": "arkonis.dev/v1alpha1",
                "kind": "ArkService",
                "metadata": {"name": "research", "namespace": NAMESPACE},
                "spec": {"selector": {"arkAgent": "researcher"}, "ports": [{"protocol": "HTTP", "port": 80}]},
            },
        )

        async def ready() -> bool:
            obj = await kube.get(ARK_SERVICES, "research", NAMESPACE)
            return bool((obj.get("status") or {}).get("readyReplicas"))

        await wait_for(ready, timeout=120, interval=0.2, message="a ready agent pod")
    stop = asyncio.Event()
    seen: dict[str, tuple[float, float]] = {}
    answering = asyncio.create_task(answer_tasks(redis_url, stop, seen))
    took: list[float] = []
    dispatch: list[float] = []
    finish: list[float] = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{operator.service_port}", timeout=60
        ) as client:
            for n in range(TASKS):
                started = time.perf_counter()
                answer = await client.post(
                    "/v1/tasks", json={"prompt": f"task {n}"}, headers={"Host": f"research.{NAMESPACE}"}
                )
                ended = time.perf_counter()
                took.append((ended - started) * 1000)
                answer.raise_for_status()
                arrived, answered = seen[f"task: task {n}\n"]
                dispatch.append((arrived - started) * 1000)
                finish.append((ended - answered) * 1000)
    finally:
        stop.set()
        await answering
    took.sort()
    print(f"bench: service_task_overhead_p50 {statistics.median(took):.1f} ms", flush=True)
    print(f"bench: service_task_overhead_p95 {took[int(len(took) * 0.95) - 1]:.1f} ms", flush=True)
    print(f"bench: service_task_dispatch_p50 {statistics.median(dispatch):.1f} ms", flush=True)
    print(f"bench: service_task_finish_p50 {statistics.median(finish):.1f} ms", flush=True)


def main() -> None:
    """A control plane, Redis and the operator, then the figures."""
    with operator_stack(NAMESPACE) as stack:
        operator = stack.add_operator()
        asyncio.run(measure(stack.cp, operator, stack.redis.url))
