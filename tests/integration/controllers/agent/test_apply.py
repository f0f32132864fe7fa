"""Server-side apply: drift in owned fields is repaired, others' fields survive, no redundant writes."""

from __future__ import annotations

import pytest

from ark.controllers.agent.deployment import deployment_name
from ark.kube.client import KubeClient, PatchType
from ark.kube.resources import DEPLOYMENTS
from tests.conftest import Kubectl
from tests.integration.controllers.conftest import IMAGE, Operator
from tests.integration.controllers.support import agent, create_all, env_of, get_deployment, ready_agent
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


async def test_owned_fields_are_repaired_and_foreign_fields_are_kept(
    operator: Operator, kube: KubeClient, namespace: str
) -> None:
    await create_all(kube, agent("steady", namespace, model="mock", replicas=2, systemPrompt="Be steady."))
    await wait_for(lambda: ready_agent(kube, namespace, "steady", 2), timeout=60, message="ready")
    name = deployment_name("steady")

    # Another manager (a user with kubectl apply --server-side, a mesh injector, ...) adds an
    # annotation and an env var: fields the operator does not own.
    foreign = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "annotations": {"team.example/owner": "ml"}},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "agent", "env": [{"name": "EXTRA", "value": "1"}]}]}
            }
        },
    }
    await kube.apply(DEPLOYMENTS, foreign, field_manager="someone-else", force=False)
    # A user edits an owned field by hand.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "evil:latest"}]}}}}
    await kube.patch(DEPLOYMENTS, name, patch, namespace, patch_type=PatchType.STRATEGIC)

    async def repaired() -> bool:
        deployment = await get_deployment(kube, namespace, "steady")
        assert deployment is not None
        return deployment["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE

    await wait_for(repaired, timeout=30, message="the image put back")
    deployment = await get_deployment(kube, namespace, "steady")
    assert deployment is not None
    assert deployment["metadata"]["annotations"]["team.example/owner"] == "ml"
    assert env_of(deployment)["EXTRA"] == {"name": "EXTRA", "value": "1"}
    assert env_of(deployment)["AGENT_SYSTEM_PROMPT"]["value"] == "Be steady."


def apply_requests(kubectl: Kubectl) -> dict[str, float]:
    """Server-side apply requests the API server has served, by resource (its own metrics)."""
    counts: dict[str, float] = {}
    for line in kubectl("get", "--raw", "/metrics").stdout.splitlines():
        if line.startswith("apiserver_request_total{") and 'verb="APPLY"' in line:
            labels = dict(
                part.split("=", 1) for part in line[line.index("{") + 1 : line.index("}")].split(",")
            )
            key = f"{labels['resource'].strip(chr(34))}/{labels.get('subresource', '').strip(chr(34))}"
            counts[key] = counts.get(key, 0) + float(line.rsplit(" ", 1)[1])
    return counts


async def test_a_reconcile_with_nothing_to_do_writes_nothing(
    operator: Operator, kube: KubeClient, kubectl: Kubectl, namespace: str
) -> None:
    await create_all(kube, agent("quiet", namespace, model="mock", replicas=1, systemPrompt="Shh."))
    await wait_for(lambda: ready_agent(kube, namespace, "quiet", 1), timeout=60, message="ready")
    registry = operator.manager.metrics.registry

    def reconciles() -> float:
        labels = {"controller": "arkagent", "result": "success"}
        return registry.get_sample_value("controller_runtime_reconcile_total", labels) or 0.0

    before = apply_requests(kubectl)
    assert before["deployments/"] >= 1  # the controller's own apply was counted
    assert before["arkagents/status"] >= 1
    for _ in range(5):
        done = reconciles()
        operator.controller.enqueue(f"{namespace}/quiet")
        await wait_for(lambda done=done: reconciles() > done, timeout=10, message="a reconcile")
    after = apply_requests(kubectl)
    assert after.get("deployments/", 0) == before.get("deployments/", 0)
    assert after.get("arkagents/status", 0) == before.get("arkagents/status", 0)
