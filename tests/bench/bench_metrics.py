"""The operator's /metrics with 1,000 ArkAgents, and its start-up with them.

Figures (measured, never asserted):

* ``operator_start_to_ready``: 1,000 ArkAgents in the API server -> ``python -m ark.operator``
  started -> ``/readyz`` answers 200 (its caches synced), polled every 10 ms;
* ``metrics_scrape_ms``: one ``GET /metrics`` once those agents are reconciled (the work queue
  empty) and the queue gauges sampled (a stream, dead-letter and budget series per agent),
  median of 50;
* ``metrics_series_1000_agents``: the samples in that exposition, for scale.

The operator runs as users run it: its own process, all namespaces, leader election on.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from localcluster import ControlPlane, RedisServer

from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient
from ark.kube.resources import NAMESPACES
from tests.bench.bench_operator import queue_depth
from tests.bench.crds import install_crds
from tests.e2e.operator.support import OperatorProcess
from tests.support.wait import wait_for

AGENTS = 1000
IN_FLIGHT = 50
SCRAPES = 50
NAMESPACE = "metrics-bench"


def agent(i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"model": "mock", "replicas": 1, "systemPrompt": "You are a benchmark agent."}
    if i % 10 == 0:
        spec["limits"] = {"maxDailyTokens": 100000}  # a tenth of them with a budget to read
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkAgent",
        "metadata": {"name": f"agent-{i:04d}", "namespace": NAMESPACE},
        "spec": spec,
    }


def scrape(url: str) -> str:
    """The exposition, if the queue gauges of every agent are in it (else '')."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return text if text.count("ark_dead_letters{") >= AGENTS else ""


async def measure(control_plane: ControlPlane, redis: RedisServer) -> None:
    async with await KubeClient.from_kubeconfig(control_plane.kubeconfig) as client:
        for namespace in (NAMESPACE, "ark-system"):
            await client.create(
                NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            )
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def create(i: int) -> None:
            async with gate:
                await client.create(ARK_AGENTS, agent(i))

        await asyncio.gather(*(create(i) for i in range(AGENTS)))

    started = time.perf_counter()
    operator = OperatorProcess(
        control_plane.kubeconfig,
        None,
        redis.url,
        "--leader-election-namespace=ark-system",
        "--log-level=warning",
    )
    try:
        await wait_for(operator.ready, timeout=120, interval=0.01, message="operator ready")
        print(f"bench: operator_start_to_ready {time.perf_counter() - started:.2f} s", flush=True)
        exposition = await wait_for(
            lambda: scrape(operator.url), timeout=180, message="queue gauges of every agent"
        )
        # Measured once the agents are reconciled: a scrape, not a scrape during a reconcile storm.
        await wait_for(lambda: queue_depth(operator) == 0, timeout=180, message="operator queue drained")
        timings = []
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(SCRAPES):
                begun = time.perf_counter()
                (await http.get(f"{operator.url}/metrics")).raise_for_status()
                timings.append(time.perf_counter() - begun)
        print(f"bench: metrics_scrape_ms {statistics.median(timings) * 1000:.1f} ms", flush=True)
        series = sum(1 for line in exposition.splitlines() if line and not line.startswith("#"))
        print(f"bench: metrics_series_1000_agents {series} samples", flush=True)
    finally:
        operator.close()


def main() -> None:
    """Start a control plane and Redis, install the CRDs, and print the figures."""
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
