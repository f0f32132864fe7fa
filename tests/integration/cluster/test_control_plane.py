"""The local control plane is a real Kubernetes: controllers, scheduler, kwok, watch, RBAC, CRDs."""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.api_client import ApiClient
from localcluster import K8S_VERSION, ControlPlane

from tests.conftest import Kubectl
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


async def test_server_reports_the_pinned_version(api_client: ApiClient, kubectl: Kubectl) -> None:
    info = await client.VersionApi(api_client).get_code()
    assert info.git_version == K8S_VERSION
    assert (info.major, info.minor) == ("1", K8S_VERSION.split(".")[1])
    versions = json.loads(kubectl("version", "-o", "json").stdout)
    assert versions["clientVersion"]["gitVersion"] == K8S_VERSION
    assert versions["serverVersion"]["gitVersion"] == K8S_VERSION


async def test_deployment_gets_three_ready_pods(api_client: ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api_client)
    labels = {"app": "web"}
    await apps.create_namespaced_deployment(
        namespace,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
    )

    async def ready() -> bool:
        deployment = await apps.read_namespaced_deployment("web", namespace)
        return deployment.status.ready_replicas == 3

    await wait_for(ready, timeout=60, message="deployment web to have 3 ready replicas")
    pods = await client.CoreV1Api(api_client).list_namespaced_pod(namespace, label_selector="app=web")
    assert len(pods.items) == 3
    assert {p.status.phase for p in pods.items} == {"Running"}
    assert {p.spec.node_name for p in pods.items} == {"kwok-node-0"}


async def test_watch_sees_added_modified_deleted(api_client: ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    listing = await core.list_namespaced_config_map(namespace)
    events: list[tuple[str, str, str]] = []
    seen_delete = asyncio.Event()

    async def consume() -> None:
        async with watch.Watch() as w:
            async for event in w.stream(
                core.list_namespaced_config_map,
                namespace,
                resource_version=listing.metadata.resource_version,
                timeout_seconds=60,
            ):
                obj = event["object"]
                if obj.metadata.name != "watched":
                    continue
                events.append((event["type"], obj.metadata.name, (obj.data or {}).get("k", "")))
                if event["type"] == "DELETED":
                    seen_delete.set()
                    return

    task = asyncio.create_task(consume())
    await core.create_namespaced_config_map(namespace, {"metadata": {"name": "watched"}, "data": {"k": "1"}})
    await core.patch_namespaced_config_map("watched", namespace, {"data": {"k": "2"}})
    await core.delete_namespaced_config_map("watched", namespace)
    await asyncio.wait_for(seen_delete.wait(), timeout=30)
    await task
    assert events == [("ADDED", "watched", "1"), ("MODIFIED", "watched", "2"), ("DELETED", "watched", "2")]


def _as(control_plane: ControlPlane, token: str) -> httpx.AsyncClient:
    ca = yaml.safe_load(control_plane.kubeconfig.read_text())["clusters"][0]["cluster"]
    context = ssl.create_default_context()
    import base64

    context.load_verify_locations(cadata=base64.b64decode(ca["certificate-authority-data"]).decode())
    return httpx.AsyncClient(
        base_url=control_plane.server, verify=context, headers={"Authorization": f"Bearer {token}"}
    )


async def test_rbac_refuses_an_unbound_service_account_until_bound(
    api_client: ApiClient, control_plane: ControlPlane, namespace: str
) -> None:
    core = client.CoreV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    await core.create_namespaced_service_account(namespace, {"metadata": {"name": "reader"}})
    token_request = await core.create_namespaced_service_account_token(
        "reader", namespace, {"spec": {"expirationSeconds": 600}}
    )
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    async with _as(control_plane, token_request.status.token) as http:
        refused = await http.get(path)
        assert refused.status_code == 403
        assert f"system:serviceaccount:{namespace}:reader" in refused.json()["message"]

        await rbac.create_namespaced_role(
            namespace,
            {
                "metadata": {"name": "configmap-reader"},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
            },
        )
        await rbac.create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": "reader-reads-configmaps"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "configmap-reader",
                },
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
            },
        )

        async def allowed() -> bool:
            return (await http.get(path)).status_code == 200

        await wait_for(allowed, timeout=30, message="the RoleBinding to grant list configmaps")
        # Only what was granted: writing is still refused.
        created = await http.post(path, json={"metadata": {"name": "x"}})
        assert created.status_code == 403


CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.ark.test"},
    "spec": {
        "group": "example.ark.test",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer", "minimum": 1}},
                                "required": ["size"],
                            }
                        },
                    }
                },
                "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
            }
        ],
    },
}


async def test_crd_and_custom_object_are_served_through_kubectl(
    api_client: ApiClient, namespace: str, kubectl: Kubectl, tmp_path: Path
) -> None:
    ext = client.ApiextensionsV1Api(api_client)
    await ext.create_custom_resource_definition(CRD)

    async def established() -> bool:
        crd = await ext.read_custom_resource_definition(CRD["metadata"]["name"])
        return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])

    await wait_for(established, timeout=30, message="the Widget CRD to be established")
    manifest = tmp_path / "widget.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "example.ark.test/v1",
                "kind": "Widget",
                "metadata": {"name": "w1"},
                "spec": {"size": 7},
            }
        )
    )
    kubectl("apply", "-n", namespace, "-f", str(manifest))
    table = kubectl("get", "widgets", "-n", namespace).stdout.split()
    assert table[:4] == ["NAME", "SIZE", "w1", "7"]

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "example.ark.test/v1",
                "kind": "Widget",
                "metadata": {"name": "w2"},
                "spec": {"size": 0},
            }
        )
    )
    refused = kubectl("apply", "-n", namespace, "-f", str(bad), check=False)
    assert refused.returncode != 0
    assert "spec.size" in refused.stderr
