"""ark-operator against a local control plane: apply-to-Deployment latency, 1,000 agents, memory.

Figures (measured, never asserted):

* ``agent_apply_to_deployment_p50``: one ArkAgent created -> its Deployment seen by a watch,
  median over 20 sequential agents;
* ``agents_1000_reconciled``: 1,000 ArkAgents created at once (50 requests in flight) -> every
  one has a status written for its generation;
* ``operator_rss_idle`` / ``operator_rss_1000_agents``: resident memory of the operator process
  once its caches synced and it leads, and once the 1,000 are reconciled and its queue is empty.

The operator runs as users run it: its own process (``python -m ark.operator``), all
namespaces, leader election on, 8 workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from typing import Any

from localcluster import ControlPlane, RedisServer

from ark.controllers.agent.deployment import deployment_name
from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient
from ark.kube.resources import DEPLOYMENTS, NAMESPACES
from tests.bench.crds import install_crds
from tests.e2e.operator.support import OperatorProcess
from tests.support.wait import wait_for

LATENCY_SAMPLES = 20
BULK = 1000
IN_FLIGHT = 50


def agent(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkAgent",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"model": "mock", "replicas": 1, "systemPrompt": "You are a benchmark agent."},
    }


async def start_watch(
    client: KubeClient,
    resource: Any,
    namespace: str,
    seen: dict[str, float],
    changed: asyncio.Event,
    want: Any,
) -> asyncio.Task[None]:
    """Record (name -> perf_counter time) of objects that satisfy ``want``, from now until cancelled."""
    rv = (await client.list(resource, namespace, limit=1))["metadata"]["resourceVersion"]
    return asyncio.create_task(watch_from(client, resource, namespace, rv, seen, changed, want))


async def watch_from(
    client: KubeClient,
    resource: Any,
    namespace: str,
    rv: str,
    seen: dict[str, float],
    done: asyncio.Event,
    want: Any,
) -> None:
    while True:
        async with contextlib.aclosing(
            client.watch(resource, namespace, resource_version=rv, timeout_seconds=300)
        ) as events:
            async for event in events:
                rv = event.object.get("metadata", {}).get("resourceVersion", rv)
                if event.type in ("ADDED", "MODIFIED") and want(event.object):
                    seen.setdefault(event.object["metadata"]["name"], time.perf_counter())
                    done.set()


def queue_depth(operator: OperatorProcess) -> float:
    for line in operator.metrics().splitlines():
        if line.startswith('workqueue_depth{name="arkagent"}'):
            return float(line.rsplit(" ", 1)[1])
    return -1.0


async def apply_latency(client: KubeClient, namespace: str) -> float:
    seen: dict[str, float] = {}
    changed = asyncio.Event()
    watcher = await start_watch(client, DEPLOYMENTS, namespace, seen, changed, lambda _: True)
    latencies = []
    try:
        for i in range(LATENCY_SAMPLES):
            name = f"latency-{i:02d}"
            started = time.perf_counter()
            await client.create(ARK_AGENTS, agent(name, namespace))
            while deployment_name(name) not in seen:
                changed.clear()
                await asyncio.wait_for(changed.wait(), 30)
            latencies.append(seen[deployment_name(name)] - started)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    return statistics.median(latencies) * 1000


async def bulk_reconcile(client: KubeClient, namespace: str) -> float:
    seen: dict[str, float] = {}
    changed = asyncio.Event()

    def reconciled(obj: dict[str, Any]) -> bool:
        status = obj.get("status") or {}
        return (
            bool(status.get("conditions"))
            and status.get("observedGeneration") == obj["metadata"]["generation"]
        )

    watcher = await start_watch(client, ARK_AGENTS, namespace, seen, changed, reconciled)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def create(i: int) -> None:
        async with gate:
            await client.create(ARK_AGENTS, agent(f"bulk-{i:04d}", namespace))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(create(i) for i in range(BULK)))
        while len(seen) < BULK:
            changed.clear()
            await asyncio.wait_for(changed.wait(), 120)
        return max(seen.values()) - started
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def measure(control_plane: ControlPlane, redis: RedisServer) -> None:
    async with await KubeClient.from_kubeconfig(control_plane.kubeconfig) as client:
        for namespace in ("latency", "bulk", "ark-system"):
            await client.create(
                NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            )
        operator = OperatorProcess(
            control_plane.kubeconfig,
            None,
            redis.url,
            "--leader-election-namespace=ark-system",
            "--log-level=warning",
        )
        try:
            await wait_for(operator.ready, timeout=60, message="operator ready")
            await wait_for(operator.leading, timeout=60, message="operator leading")
            print(f"bench: operator_rss_idle {operator.rss_mb():.1f} MB", flush=True)

            p50 = await apply_latency(client, "latency")
            print(f"bench: agent_apply_to_deployment_p50 {p50:.1f} ms", flush=True)

            seconds = await bulk_reconcile(client, "bulk")
            print(f"bench: agents_1000_reconciled {seconds:.2f} s", flush=True)
            await wait_for(lambda: queue_depth(operator) == 0, timeout=120, message="operator queue drained")
            print(f"bench: operator_rss_1000_agents {operator.rss_mb():.1f} MB", flush=True)
        finally:
            operator.close()


def main() -> None:
    """Start a control plane and Redis, install the CRDs, and print the operator's figures."""
    control_plane = ControlPlane()
    control_plane.start()
    redis = RedisServer()
    redis.start()
    try:
        install_crds(control_plane.kubeconfig)
        asyncio.run(measure(control_plane, redis))
    finally:
        redis.stop()
        control_plane.stop()
