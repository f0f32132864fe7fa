"""An ArkService in a cluster whose agent pods really run: the operator (under its ServiceAccount's
RBAC) follows the pods the pod runner makes ready, and a task POSTed with httpx is answered by a
real ``ark-runtime`` (mock provider) through an ArkRun that ``ark status`` lists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ark.controllers.service.controller import ARK_SERVICES
from ark.kube.client import KubeClient
from ark.kube.resources import SERVICES
from tests.conftest import Kubectl
from tests.e2e.cluster.conftest import Ark, StartOperator
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

MANIFEST = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: researcher}
spec: {model: mock, systemPrompt: You research things.}
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkService
metadata: {name: research}
spec:
  selector: {arkAgent: researcher}
  routing: {strategy: round-robin}
  ports: [{protocol: HTTP, port: 80}]
"""


async def _serving(kube: KubeClient, namespace: str) -> dict[str, Any] | None:
    obj = await kube.get(ARK_SERVICES, "research", namespace)
    status = obj.get("status") or {}
    return status if status.get("readyReplicas") == 1 else None


async def test_a_task_posted_to_the_service_is_answered_by_a_real_agent(
    start_operator: StartOperator, cluster_kubectl: Kubectl, kube: KubeClient, namespace: str, ark: Ark
) -> None:
    operator = start_operator("--agent-env=AGENT_PROVIDER=mock")
    cluster_kubectl("apply", "-f", "-", input=MANIFEST)
    status = await wait_for(lambda: _serving(kube, namespace), timeout=90, message="a ready agent pod")
    assert status["endpoint"] == f"http://research.{namespace}.svc:80/v1/tasks"
    svc = await kube.get(SERVICES, "research", namespace)
    assert svc["spec"]["ports"][0]["targetPort"] == operator.service_port

    async with httpx.AsyncClient(timeout=90) as client:
        answer = await client.post(
            f"http://127.0.0.1:{operator.service_port}/v1/tasks",
            json={"prompt": "Find three papers on CRDTs", "timeoutSeconds": 60},
            headers={"Host": f"research.{namespace}.svc"},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["output"] == '[mock response for step "researcher": task: Find three papers on CRDTs]'
    assert body["tokens"] > 0

    listed = ark("status")
    assert listed.returncode == 0, listed.stderr
    (line,) = [row for row in listed.stdout.splitlines() if row.startswith(body["run"])]
    assert "research" in line
    assert "Succeeded" in line
    shown = ark("status", body["run"])
    assert shown.returncode == 0, shown.stderr
    assert body["output"] in shown.stdout
