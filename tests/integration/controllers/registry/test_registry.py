"""An ArkRegistry indexes its namespace's agent capabilities and follows their changes."""

from __future__ import annotations

from typing import Any

import pytest

from ark.controllers.resources import ARK_AGENTS, ARK_REGISTRIES
from ark.kube.client import KubeClient
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import apply_team
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]


def _agent(namespace: str, name: str, *caps: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkAgent",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"model": "mock", "systemPrompt": "p", "capabilities": list(caps)},
    }


async def _index(kube: KubeClient, namespace: str, name: str, count: int) -> dict[str, Any] | None:
    registry = await kube.get(ARK_REGISTRIES, name, namespace)
    status = registry.get("status") or {}
    return status if status.get("capabilityCount") == count else None


async def test_the_index_follows_the_agents(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await kube.create(
        ARK_AGENTS, _agent(namespace, "sql", {"id": "sql", "description": "SQL", "tags": ["data"]})
    )
    for name, cross in (("reg", False), ("wide", True)):
        body = {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkRegistry",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"policy": {"allowCrossTeam": cross}},
        }
        await kube.create(ARK_REGISTRIES, body)
    status = await wait_for(lambda: _index(kube, namespace, "reg", 1), timeout=30, message="indexed")
    assert status["capabilities"] == [{"agent": "sql", "id": "sql", "description": "SQL", "tags": ["data"]}]
    assert status["agentCount"] == 1
    await kube.create(ARK_AGENTS, _agent(namespace, "k8s", {"id": "kubernetes"}))
    await apply_team(
        kube,
        namespace,
        "metadata: {name: t}\nspec:\n  entry: r\n"
        "  roles: [{name: r, model: m, systemPrompt: p, capabilities: [{id: x}]}]",
    )
    status = await wait_for(lambda: _index(kube, namespace, "reg", 2), timeout=30, message="second agent")
    assert [(c["agent"], c["id"]) for c in status["capabilities"]] == [("k8s", "kubernetes"), ("sql", "sql")]
    wide = await wait_for(lambda: _index(kube, namespace, "wide", 3), timeout=30, message="cross-team index")
    assert ("t-r", "x") in [(c["agent"], c["id"]) for c in wide["capabilities"]]
    await kube.delete(ARK_AGENTS, "sql", namespace)
    await wait_for(lambda: _index(kube, namespace, "reg", 1), timeout=30, message="deleted agent dropped")
