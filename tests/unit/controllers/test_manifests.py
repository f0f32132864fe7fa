"""manifests/default renders with kubectl kustomize into a consistent installation."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ark.operator.config import DEFAULT_AGENT_IMAGE, parse_config
from tests.conftest import kubectl_binary

REPO = Path(__file__).resolve().parents[3]
Obj = dict[str, Any]


@pytest.fixture(scope="module")
def rendered() -> list[Obj]:
    result = subprocess.run(
        [kubectl_binary(), "kustomize", str(REPO / "manifests" / "default")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def one(docs: list[Obj], kind: str, name: str) -> Obj:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def test_everything_is_there_in_ark_system(rendered: list[Obj]) -> None:
    kinds = sorted(
        (d["kind"], d["metadata"]["name"]) for d in rendered if d["kind"] != "CustomResourceDefinition"
    )
    assert kinds == [
        ("ClusterRole", "ark-operator"),
        ("ClusterRoleBinding", "ark-operator"),
        ("Deployment", "ark-operator"),
        ("Deployment", "redis"),
        ("Namespace", "ark-system"),
        ("Role", "ark-operator-leader-election"),
        ("RoleBinding", "ark-operator-leader-election"),
        ("Service", "ark-operator-metrics"),
        ("Service", "ark-operator-tasks"),
        ("Service", "ark-trigger-webhook"),
        ("Service", "redis"),
        ("ServiceAccount", "ark-operator"),
    ]
    assert len([d for d in rendered if d["kind"] == "CustomResourceDefinition"]) == 9
    for doc in rendered:
        if doc["kind"] not in ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Namespace"):
            assert doc["metadata"]["namespace"] == "ark-system", doc["metadata"]["name"]
    for binding in ("ClusterRoleBinding", "RoleBinding"):
        subjects = next(d for d in rendered if d["kind"] == binding)["subjects"]
        assert subjects == [{"kind": "ServiceAccount", "name": "ark-operator", "namespace": "ark-system"}]


def test_rbac_grants_exactly_what_the_operator_uses(rendered: list[Obj]) -> None:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in one(rendered, "ClusterRole", "ark-operator")["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    rules = {key: sorted(verbs) for key, verbs in granted.items()}
    assert rules == {
        ("arkonis.dev", "arkagents"): ["create", "delete", "list", "patch", "watch"],
        ("arkonis.dev", "arkteams"): ["list", "watch"],
        ("arkonis.dev", "arkruns"): ["create", "delete", "get", "list", "patch", "watch"],
        ("arkonis.dev", "arkregistries"): ["list", "watch"],
        ("arkonis.dev", "arksettings"): ["list", "watch"],
        ("arkonis.dev", "arkmemories"): ["list", "watch"],
        ("arkonis.dev", "arkevents"): ["list", "watch"],
        ("arkonis.dev", "arknotifies"): ["list", "watch"],
        ("arkonis.dev", "arkservices"): ["list", "watch"],
        ("arkonis.dev", "arkservices/status"): ["patch"],
        ("arkonis.dev", "arkservices/finalizers"): ["update"],
        ("", "services"): ["create", "delete", "list", "patch", "watch"],
        ("discovery.k8s.io", "endpointslices"): ["create", "delete", "list", "patch", "watch"],
        ("arkonis.dev", "arkagents/status"): ["patch"],
        ("arkonis.dev", "arkteams/status"): ["patch"],
        ("arkonis.dev", "arkregistries/status"): ["patch"],
        ("arkonis.dev", "arkevents/status"): ["patch"],
        ("arkonis.dev", "arkmemories/status"): ["patch"],
        ("arkonis.dev", "arknotifies/status"): ["patch"],
        ("arkonis.dev", "arkruns/status"): ["update"],
        ("arkonis.dev", "arkagents/finalizers"): ["update"],
        ("arkonis.dev", "arkteams/finalizers"): ["update"],
        ("arkonis.dev", "arkruns/finalizers"): ["update"],
        ("arkonis.dev", "arkevents/finalizers"): ["update"],
        ("apps", "deployments"): ["create", "list", "patch", "watch"],
        ("", "configmaps"): ["create", "get", "list", "watch"],
        ("", "secrets"): ["create", "list", "watch"],
        ("", "events"): ["create", "patch"],
    }
    (lease_rule,) = one(rendered, "Role", "ark-operator-leader-election")["rules"]
    assert lease_rule == {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["get", "create", "update"],
    }


def test_operator_deployment(rendered: list[Obj]) -> None:
    deployment = one(rendered, "Deployment", "ark-operator")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["serviceAccountName"] == "ark-operator"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["command"] == ["ark-operator"]
    # Agents default to the operator's own image: the same build of operator and runtime.
    assert container["image"] == DEFAULT_AGENT_IMAGE
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["ports"] == [
        {"name": "metrics", "containerPort": 8081, "protocol": "TCP"},
        {"name": "tasks", "containerPort": 8093, "protocol": "TCP"},
        {"name": "webhook", "containerPort": 8092, "protocol": "TCP"},
    ]
    assert {"requests", "limits"} <= set(container["resources"])
    env = {e["name"]: e.get("value") for e in container["env"]}
    config = parse_config(
        container["args"], {k: v for k, v in env.items() if v is not None} | {"POD_NAMESPACE": "ark-system"}
    )
    assert config.metrics_port == 8081
    assert config.trigger_webhook_port == 8092
    webhook = one(rendered, "Service", "ark-trigger-webhook")
    assert webhook["spec"]["ports"] == [
        {"name": "webhook", "port": 8092, "targetPort": "webhook", "protocol": "TCP"}
    ]
    assert config.leader_elect is True
    assert config.leader_election_namespace == "ark-system"
    # ArkServices' Services get the endpoints of the operator's task Service, on the task port.
    tasks = one(rendered, "Service", "ark-operator-tasks")
    assert config.service_backend == ("ark-system", tasks["metadata"]["name"])
    assert tasks["spec"]["ports"][0]["targetPort"] == "tasks"
    assert config.service_port == 8093
    # The task queue address is the Redis Service of manifests/redis.
    redis = one(rendered, "Service", "redis")
    assert (
        config.task_queue_url
        == f"{redis['metadata']['name']}.ark-system.svc.cluster.local:{redis['spec']['ports'][0]['port']}"
    )


def test_redis_runs_non_root_with_probes(rendered: list[Obj]) -> None:
    pod = one(rendered, "Deployment", "redis")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["exec"]["command"] == ["redis-cli", "ping"]
    assert one(rendered, "Service", "redis")["spec"]["selector"] == {"app.kubernetes.io/name": "redis"}
