"""Shared by the controller integration tests and the operator e2e tests: CRDs, objects, reads."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from ark.controllers.agent.deployment import deployment_name
from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient, NotFound
from ark.kube.conditions import get_condition
from ark.kube.resources import CONFIGMAPS, DEPLOYMENTS, SECRETS
from tests.conftest import Kubectl

Obj = dict[str, Any]
REPO = Path(__file__).resolve().parents[3]
CRD_DIR = REPO / "manifests" / "crd"
CRD_NAMES = (
    "arkagents",
    "arksettings",
    "arkmemories",
    "arkteams",
    "arkruns",
    "arkregistries",
    "arkevents",
    "arknotifies",
    "arkservices",
)


def install_crds(kubectl: Kubectl) -> None:
    """Apply manifests/crd and wait until the kinds the operator reads are served."""
    kubectl("apply", "--server-side", "--force-conflicts", "-k", str(CRD_DIR))
    kubectl(
        "wait", "--for=condition=Established", "--timeout=60s", *(f"crd/{n}.arkonis.dev" for n in CRD_NAMES)
    )


def agent(name: str, namespace: str, **spec: Any) -> Obj:
    """An ArkAgent object (``spec`` in wire form, camelCase)."""
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkAgent",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def configmap(name: str, namespace: str, data: dict[str, str]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def secret(name: str, namespace: str, data: dict[str, str]) -> Obj:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": encoded,
    }


async def create_all(kube: KubeClient, *objs: Obj) -> None:
    """Create ConfigMaps, Secrets and ArkAgents."""
    kinds = {"ConfigMap": CONFIGMAPS, "Secret": SECRETS, "ArkAgent": ARK_AGENTS}
    for obj in objs:
        await kube.create(kinds[obj["kind"]], obj)


async def get_deployment(kube: KubeClient, namespace: str, agent_name: str) -> Obj | None:
    try:
        return await kube.get(DEPLOYMENTS, deployment_name(agent_name), namespace)
    except NotFound:
        return None


async def get_agent(kube: KubeClient, namespace: str, name: str) -> Obj:
    return await kube.get(ARK_AGENTS, name, namespace)


def condition(obj: Obj, condition_type: str) -> Obj:
    """The condition (or an empty dict)."""
    return get_condition((obj.get("status") or {}).get("conditions"), condition_type) or {}


def env_of(deployment: Obj) -> dict[str, Obj]:
    """The agent container's env entries by name."""
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {var["name"]: var for var in container.get("env") or ()}


async def ready_agent(kube: KubeClient, namespace: str, name: str, replicas: int) -> Obj | None:
    """The agent once its status says ``replicas`` ready and Ready=True for its generation."""
    obj = await get_agent(kube, namespace, name)
    status = obj.get("status") or {}
    ready = condition(obj, "Ready")
    if (
        status.get("observedGeneration") == obj["metadata"]["generation"]
        and status.get("readyReplicas") == replicas
        and ready.get("status") == "True"
    ):
        return obj
    return None
