"""What the ArkService controller and the task server create, as pure functions (no I/O).

Interface::

    svc = kube_service(ark_service, target_port=8093)     # the Service, or None without an HTTP port
    slice_ = endpoint_slice(ark_service, 8093, backend)   # its endpoints: the operator's own
    url = endpoint_url(ark_service)                       # http://<name>.<ns>.svc:<port>/v1/tasks
    body = task_run(ark_service, "Summarise ...")          # the ArkRun of one submitted task
    ready = ready_replicas(deployment)                     # the agent's ready pods (0 when absent)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ark.api import API_VERSION, ArkServiceSpec
from ark.runs.create import MANAGED_BY, MANAGED_BY_LABEL, TEAM_LABEL, TRIGGER_LABEL, label_value

Obj = dict[str, Any]

SERVICE_LABEL = "arkonis.dev/service"
"""On the Service, EndpointSlice and ArkRuns an ArkService owns: the ArkService's name."""
SLICE_SERVICE_LABEL = "kubernetes.io/service-name"
SLICE_MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_MANAGED_BY = "ark-operator.arkonis.dev"
"""Not ``endpointslice-controller.k8s.io``, so Kubernetes' own controller leaves the slice alone."""
TASKS_PATH = "/v1/tasks"
TASK_INPUT = "task"
"""The run input holding the prompt, as ``ark submit`` (the entry task's prompt is ``task: <text>``)."""
MAX_ROLE_NAME = 63


def owner_reference(service: Obj) -> Obj:
    """An owner reference to the ArkService: its Service, slice and runs go when it goes."""
    meta = service["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkService",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def http_ports(spec: ArkServiceSpec) -> list[int]:
    """The ``HTTP`` ports, in spec order (``A2A`` ports have no server: agents delegate over Redis)."""
    return [p.port for p in spec.ports or () if p.protocol == "HTTP"]


def _port_name(index: int) -> str:
    return "http" if index == 0 else f"http-{index + 1}"


def _meta(service: Obj, name: str) -> Obj:
    meta = service["metadata"]
    return {
        "name": name,
        "namespace": meta["namespace"],
        "labels": {MANAGED_BY_LABEL: MANAGED_BY, SERVICE_LABEL: label_value(meta["name"])},
        "ownerReferences": [owner_reference(service)],
    }


def kube_service(service: Obj, spec: ArkServiceSpec, target_port: int) -> Obj | None:
    """The selectorless Service named after the ArkService, one port per HTTP port, all to the
    operator's task server (``target_port``); None when the ArkService has no HTTP port."""
    ports = http_ports(spec)
    if not ports:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(service, service["metadata"]["name"]),
        "spec": {
            "type": "ClusterIP",
            "ports": [
                {"name": _port_name(i), "port": port, "targetPort": target_port, "protocol": "TCP"}
                for i, port in enumerate(ports)
            ],
        },
    }


def _endpoints(backend: Iterable[Obj]) -> list[Obj]:
    """The operator replicas' addresses from the backend Service's slices, ready ones marked so."""
    seen: dict[str, Obj] = {}
    for slice_ in backend:
        if slice_.get("addressType") != "IPv4":
            continue
        for endpoint in slice_.get("endpoints") or ():
            addresses = [a for a in endpoint.get("addresses") or () if isinstance(a, str)]
            if not addresses or addresses[0] in seen:
                continue
            ready = (endpoint.get("conditions") or {}).get("ready")
            seen[addresses[0]] = {
                "addresses": addresses[:1],
                "conditions": {"ready": ready is not False},
            }
    return [seen[address] for address in sorted(seen)]


def endpoint_slice(service: Obj, spec: ArkServiceSpec, target_port: int, backend: Iterable[Obj]) -> Obj:
    """The EndpointSlice of the ArkService's Service: the operator's replicas (``backend``: the
    slices of the operator's own Service) on the task server's port."""
    meta = _meta(service, f"{service['metadata']['name']}-ark")
    meta["labels"][SLICE_SERVICE_LABEL] = service["metadata"]["name"]
    meta["labels"][SLICE_MANAGED_BY_LABEL] = SLICE_MANAGED_BY
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta,
        "addressType": "IPv4",
        "endpoints": _endpoints(backend),
        "ports": [
            {"name": _port_name(i), "port": target_port, "protocol": "TCP"}
            for i in range(len(http_ports(spec)))
        ],
    }


def endpoint_url(service: Obj, spec: ArkServiceSpec) -> str | None:
    """``http://<name>.<namespace>.svc:<first HTTP port>/v1/tasks``; None without an HTTP port."""
    ports = http_ports(spec)
    if not ports:
        return None
    meta = service["metadata"]
    return f"http://{meta['name']}.{meta['namespace']}.svc:{ports[0]}{TASKS_PATH}"


def role_name(agent: str) -> str:
    """The single role of a service run: the agent's name (``agent`` if too long for a role)."""
    return agent if len(agent) <= MAX_ROLE_NAME else "agent"


def task_run(service: Obj, spec: ArkServiceSpec, prompt: str) -> Obj:
    """The ArkRun of one task: a one-role dynamic team whose entry is the selected ArkAgent.

    ``teamRef.name`` is the ArkService's name (no ArkTeam of that name is needed: the snapshot is
    in ``teamSpec``); trigger ``service``; owned by the ArkService.
    """
    meta = service["metadata"]
    agent = spec.selector.ark_agent
    role = role_name(agent)
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkRun",
        "metadata": {
            "generateName": f"{meta['name']}-",
            "namespace": meta["namespace"],
            "labels": {
                TEAM_LABEL: label_value(meta["name"]),
                TRIGGER_LABEL: "service",
                MANAGED_BY_LABEL: MANAGED_BY,
                SERVICE_LABEL: label_value(meta["name"]),
            },
            "ownerReferences": [owner_reference(service)],
        },
        "spec": {
            "teamRef": {"name": meta["name"]},
            "input": {TASK_INPUT: prompt},
            "teamSpec": {"roles": [{"name": role, "arkAgent": agent}], "entry": role},
            "trigger": {"type": "service", "source": meta["name"]},
        },
    }


def ready_replicas(deployment: Obj | None) -> int:
    """Ready pods of the agent's Deployment (those passing ``/readyz``); 0 when there is none."""
    if deployment is None:
        return 0
    value = (deployment.get("status") or {}).get("readyReplicas")
    return value if isinstance(value, int) and value > 0 else 0
