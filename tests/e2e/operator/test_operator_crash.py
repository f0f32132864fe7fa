"""kill -9 in the middle of reconciling: the restarted operator converges without duplicates."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient
from ark.kube.resources import DEPLOYMENTS
from tests.e2e.operator.support import OperatorProcess
from tests.integration.controllers.support import agent, condition
from tests.support.wait import wait_for, wait_for_sync

pytestmark = pytest.mark.cluster

AGENTS = 60


async def test_kill_9_mid_reconcile_then_restart_converges(
    start_operator: Callable[..., OperatorProcess], kube: KubeClient, namespace: str
) -> None:
    first = start_operator()
    wait_for_sync(first.ready, timeout=60, message="operator /readyz")
    await wait_for(first.leading, timeout=60, message="first operator leading")

    async def create(i: int) -> None:
        await kube.create(
            ARK_AGENTS, agent(f"a{i:03d}", namespace, model="mock", replicas=1, systemPrompt="x")
        )

    creating = asyncio.gather(*(create(i) for i in range(AGENTS)))

    async def deployments() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await kube.list(DEPLOYMENTS, namespace))["items"]
        return items

    async def some_reconciled() -> bool:
        return len(await deployments()) >= 5

    await wait_for(some_reconciled, timeout=60, interval=0.01, message="the first Deployments")
    first.kill()
    await creating
    at_kill = len(await deployments())

    second = start_operator()
    # The dead leader never released its lease: the successor waits for it to expire.
    await wait_for(second.leading, timeout=60, message="second operator leading")

    async def converged() -> bool:
        agents = (await kube.list(ARK_AGENTS, namespace))["items"]
        return len(agents) == AGENTS and all(
            (a.get("status") or {}).get("observedGeneration") == a["metadata"]["generation"]
            and condition(a, "Ready").get("status") == "True"
            and a["status"].get("readyReplicas") == 1
            for a in agents
        )

    await wait_for(converged, timeout=180, interval=0.5, message=f"{AGENTS} agents ready after the restart")
    # Names are unique by construction; what matters is that each agent owns exactly one Deployment.
    final = await deployments()
    assert len(final) == AGENTS
    owners = Counter(d["metadata"]["ownerReferences"][0]["name"] for d in final)
    assert owners == Counter({f"a{i:03d}": 1 for i in range(AGENTS)})
    print(f"Deployments when the first operator was killed: {at_kill}/{AGENTS}")
