"""What the ArkService controller creates: its Service, EndpointSlice and the ArkRun of a task."""

from __future__ import annotations

from typing import Any

from ark.api import ArkServiceSpec
from ark.api.run import ArkRun
from ark.controllers.service.objects import (
    endpoint_slice,
    endpoint_url,
    kube_service,
    ready_replicas,
    role_name,
    task_run,
)

Obj = dict[str, Any]
SERVICE: Obj = {
    "apiVersion": "arkonis.dev/v1alpha1",
    "kind": "ArkService",
    "metadata": {"name": "research", "namespace": "team-a", "uid": "u-1"},
    "spec": {
        "selector": {"arkAgent": "researcher"},
        "routing": {"strategy": "least-busy"},
        "ports": [
            {"protocol": "A2A", "port": 9000},
            {"protocol": "HTTP", "port": 80},
            {"protocol": "HTTP", "port": 8080},
        ],
    },
}


def spec(obj: Obj = SERVICE) -> ArkServiceSpec:
    return ArkServiceSpec.model_validate(obj["spec"], by_alias=True, by_name=False)


def test_the_service_has_one_port_per_http_port_all_to_the_task_server() -> None:
    svc = kube_service(SERVICE, spec(), 8093)
    assert svc is not None
    assert svc["metadata"]["name"] == "research"
    assert svc["metadata"]["namespace"] == "team-a"
    assert svc["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert "selector" not in svc["spec"]  # its endpoints are the operator's, in another namespace
    assert svc["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 8093, "protocol": "TCP"},
        {"name": "http-2", "port": 8080, "targetPort": 8093, "protocol": "TCP"},
    ]
    assert endpoint_url(SERVICE, spec()) == "http://research.team-a.svc:80/v1/tasks"


def test_no_http_port_no_service() -> None:
    a2a = {
        **SERVICE,
        "spec": {"selector": {"arkAgent": "researcher"}, "ports": [{"protocol": "A2A", "port": 9}]},
    }
    assert kube_service(a2a, spec(a2a), 8093) is None
    assert endpoint_url(a2a, spec(a2a)) is None


def test_the_slice_lists_the_operator_replicas_once_each() -> None:
    backend = [
        {
            "addressType": "IPv4",
            "endpoints": [
                {"addresses": ["10.0.0.2"], "conditions": {"ready": True}},
                {"addresses": ["10.0.0.1"], "conditions": {"ready": False}},
            ],
        },
        {"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.2"]}]},
        {"addressType": "IPv6", "endpoints": [{"addresses": ["fd00::1"]}]},
    ]
    slice_ = endpoint_slice(SERVICE, spec(), 8093, backend)
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "research"
    assert (
        slice_["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
        != "endpointslice-controller.k8s.io"
    )
    assert slice_["endpoints"] == [
        {"addresses": ["10.0.0.1"], "conditions": {"ready": False}},
        {"addresses": ["10.0.0.2"], "conditions": {"ready": True}},
    ]
    assert [p["name"] for p in slice_["ports"]] == ["http", "http-2"]
    assert {p["port"] for p in slice_["ports"]} == {8093}


def test_a_task_is_a_run_of_the_agent_alone_owned_by_the_service() -> None:
    body = task_run(SERVICE, spec(), "Find three papers on CRDTs")
    run = ArkRun.model_validate(body, by_alias=True, by_name=False)  # what the CRD accepts
    assert run.spec.team_ref.name == "research"
    assert run.spec.input == {"task": "Find three papers on CRDTs"}
    assert run.spec.trigger is not None
    assert (run.spec.trigger.type, run.spec.trigger.source) == ("service", "research")
    team = run.spec.team_spec
    assert team is not None
    assert team.mode == "Dynamic"
    assert team.entry == "researcher"
    assert [(r.name, r.ark_agent) for r in team.roles or ()] == [("researcher", "researcher")]
    assert body["metadata"]["generateName"] == "research-"
    assert body["metadata"]["labels"]["arkonis.dev/service"] == "research"
    assert body["metadata"]["labels"]["arkonis.dev/trigger"] == "service"
    assert body["metadata"]["ownerReferences"][0]["kind"] == "ArkService"
    assert role_name("a" * 64) == "agent"


def test_ready_replicas_from_the_deployment() -> None:
    assert ready_replicas(None) == 0
    assert ready_replicas({"status": {}}) == 0
    assert ready_replicas({"status": {"readyReplicas": 2}}) == 2
