"""An ArkAgent's life as a user drives it with kubectl: apply, scale, edit the prompt, delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ark.controllers.agent.deployment import PROMPT_HASH_ANNOTATION
from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient
from ark.kube.resources import EVENTS, PODS, REPLICASETS
from tests.conftest import Kubectl
from tests.integration.controllers.conftest import IMAGE, Operator
from tests.integration.controllers.support import (
    condition,
    env_of,
    get_agent,
    get_deployment,
    ready_agent,
)
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster

MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata: {{name: prompts}}
data:
  researcher: "You research things. Costs are in $USD."
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {{name: researcher}}
spec:
  replicas: 3
  model: claude-sonnet-4-6
  systemPromptRef:
    configMapKeyRef: {{name: prompts, key: researcher}}
  limits: {{maxTokensPerCall: 4000, timeoutSeconds: 60}}
  envFrom:
    - secretRef: {{name: llm-keys}}
  resources:
    requests: {{cpu: 50m, memory: 64Mi}}
  {extra}
"""


def write_manifest(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(MANIFEST.format(extra=extra))
    return path


async def pods(kube: KubeClient, namespace: str) -> list[dict[str, object]]:
    page = await kube.list(PODS, namespace, label_selector="arkonis.dev/deployment=researcher")
    return [p for p in page["items"] if not p["metadata"].get("deletionTimestamp")]


async def test_apply_scale_edit_prompt_and_delete(
    operator: Operator, kube: KubeClient, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    kubectl("apply", "-n", namespace, "-f", str(write_manifest(tmp_path)))

    agent = await wait_for(
        lambda: ready_agent(kube, namespace, "researcher", 3), timeout=60, message="3 ready replicas"
    )
    assert condition(agent, "Ready")["reason"] == "AllReplicasReady"
    assert condition(agent, "Ready")["message"] == "3/3 replicas ready"
    assert agent["status"]["replicas"] == 3
    assert agent["status"]["selector"] == "app.kubernetes.io/name=agent,arkonis.dev/deployment=researcher"

    deployment = await get_deployment(kube, namespace, "researcher")
    assert deployment is not None
    meta = deployment["metadata"]
    assert meta["labels"] == {
        "app.kubernetes.io/name": "agent",
        "app.kubernetes.io/instance": "researcher",
        "app.kubernetes.io/managed-by": "ark",
        "arkonis.dev/deployment": "researcher",
    }
    owner = meta["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "ArkAgent",
        "researcher",
        agent["metadata"]["uid"],
        True,
    )
    pod_spec = deployment["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    assert container["image"] == IMAGE
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health", "scheme": "HTTP"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health", "scheme": "HTTP"}
    assert container["readinessProbe"]["timeoutSeconds"] == 20
    assert container["ports"][0]["containerPort"] == 8080
    assert container["envFrom"] == [{"secretRef": {"name": "llm-keys"}}]
    assert container["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"}}
    assert pod_spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = env_of(deployment)
    assert env["AGENT_MODEL"]["value"] == "claude-sonnet-4-6"
    assert env["AGENT_NAME"]["value"] == "researcher"
    assert env["AGENT_NAMESPACE"]["value"] == namespace
    assert env["AGENT_MAX_TOKENS"]["value"] == "4000"
    assert env["AGENT_TIMEOUT_SECONDS"]["value"] == "60"
    assert env["AGENT_MAX_CONCURRENT_TASKS"]["value"] == "5"
    assert env["TASK_QUEUE_URL"]["value"] == operator.redis_url
    assert env["AGENT_SYSTEM_PROMPT"]["valueFrom"] == {
        "configMapKeyRef": {"name": "prompts", "key": "researcher"}
    }
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert json.loads(env["AGENT_MCP_SERVERS"]["value"]) == []
    assert len(await pods(kube, namespace)) == 3

    # `kubectl get arkagent` columns come from the status the controller writes.
    table = kubectl("get", "arkagent", "researcher", "-n", namespace).stdout.split("\n")
    assert table[0].split()[:4] == ["NAME", "MODEL", "REPLICAS", "READY"]
    assert table[1].split()[:4] == ["researcher", "claude-sonnet-4-6", "3", "3"]

    # Scale through the /scale subresource, down to 1, to 0, and back up to 2.
    for replicas in (1, 0, 2):
        kubectl("scale", "arkagent/researcher", "-n", namespace, f"--replicas={replicas}")

        async def scaled(replicas: int = replicas) -> bool:
            obj = await get_agent(kube, namespace, "researcher")
            deployment = await get_deployment(kube, namespace, "researcher")
            status = obj.get("status") or {}
            return (
                deployment is not None
                and deployment["spec"]["replicas"] == replicas
                and status.get("readyReplicas") == replicas
                and status.get("observedGeneration") == obj["metadata"]["generation"]
                and len(await pods(kube, namespace)) == replicas
            )

        await wait_for(scaled, timeout=60, message=f"scaled to {replicas}")
    agent = await get_agent(kube, namespace, "researcher")
    assert condition(agent, "Ready")["status"] == "True"

    async def reasons() -> set[str]:
        page = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=researcher")
        return {e["reason"] for e in page["items"]}

    async def scaling_recorded() -> bool:
        return {"Created", "ScaledDown", "ScaledUp"} <= await reasons()

    await wait_for(scaling_recorded, timeout=30, message="Created/ScaledDown/ScaledUp events")

    # Editing the prompt ConfigMap rolls the pods: a new pod-template hash, new pods.
    deployment = await get_deployment(kube, namespace, "researcher")
    assert deployment is not None
    old_hash = deployment["spec"]["template"]["metadata"]["annotations"][PROMPT_HASH_ANNOTATION]
    old_pods = {p["metadata"]["name"] for p in await pods(kube, namespace)}
    kubectl(
        "patch", "configmap", "prompts", "-n", namespace, "--type=merge", "-p", '{"data":{"researcher":"v2"}}'
    )

    async def rolled() -> bool:
        deployment = await get_deployment(kube, namespace, "researcher")
        assert deployment is not None
        new_hash = deployment["spec"]["template"]["metadata"]["annotations"][PROMPT_HASH_ANNOTATION]
        current = await pods(kube, namespace)
        return (
            new_hash != old_hash
            and len(current) == 2
            and not old_pods & {p["metadata"]["name"] for p in current}
            and (await ready_agent(kube, namespace, "researcher", 2)) is not None
        )

    await wait_for(rolled, timeout=90, message="pods rolled after the prompt changed")
    replicasets = await kube.list(REPLICASETS, namespace)
    assert len({rs["metadata"]["labels"]["pod-template-hash"] for rs in replicasets["items"]}) == 2

    # Deleting the agent lets the garbage collector remove the Deployment and its pods.
    kubectl("delete", "arkagent", "researcher", "-n", namespace)

    async def collected() -> bool:
        return await get_deployment(kube, namespace, "researcher") is None and not await pods(kube, namespace)

    await wait_for(collected, timeout=60, message="Deployment garbage-collected")
    assert (await kube.list(ARK_AGENTS, namespace))["items"] == []
