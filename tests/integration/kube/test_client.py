"""KubeClient against the real API server: CRUD, typed errors, every patch type, SSA, status, raw watch."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from localcluster import ControlPlane

from ark.kube.client import (
    AlreadyExists,
    Conflict,
    Gone,
    Invalid,
    KubeClient,
    NotFound,
    PatchType,
    WatchEvent,
    retry_on_conflict,
)
from ark.kube.resources import CONFIGMAPS, DEPLOYMENTS, EVENTS
from tests.integration.kube.conftest import Crd, compact_etcd

pytestmark = pytest.mark.cluster


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "main", "image": "main:1", "env": [{"name": "A", "value": "1"}]},
                        {"name": "side", "image": "side:1"},
                    ]
                },
            },
        },
    }


async def test_crud_and_typed_errors(kube: KubeClient, namespace: str) -> None:
    created = await kube.create(CONFIGMAPS, configmap("a", k="v"), namespace)
    assert created["metadata"]["namespace"] == namespace
    assert created["data"] == {"k": "v"}
    with pytest.raises(AlreadyExists):
        await kube.create(CONFIGMAPS, configmap("a"), namespace)
    fetched = await kube.get(CONFIGMAPS, "a", namespace)
    assert fetched["metadata"]["uid"] == created["metadata"]["uid"]

    fetched["data"]["k"] = "v2"
    replaced = await kube.replace(CONFIGMAPS, fetched)
    assert replaced["data"] == {"k": "v2"}
    stale = dict(fetched, data={"k": "stale"})  # still carries the old resourceVersion
    with pytest.raises(Conflict) as conflict:
        await kube.replace(CONFIGMAPS, stale)
    assert conflict.value.status == 409

    with pytest.raises(Invalid):
        await kube.create(CONFIGMAPS, configmap("Not_A_Valid_Name"), namespace)
    await kube.delete(CONFIGMAPS, "a", namespace)
    with pytest.raises(NotFound):
        await kube.get(CONFIGMAPS, "a", namespace)
    with pytest.raises(NotFound):
        await kube.delete(CONFIGMAPS, "a", namespace)


async def test_list_pages_and_fills_in_kind(kube: KubeClient, namespace: str) -> None:
    for i in range(7):
        await kube.create(CONFIGMAPS, configmap(f"cm-{i}"), namespace)
    page = await kube.list(CONFIGMAPS, namespace, limit=3)
    assert len(page["items"]) == 3
    assert page["metadata"].get("continue")
    assert all(item["kind"] == "ConfigMap" and item["apiVersion"] == "v1" for item in page["items"])
    items, version = await kube.list_all(CONFIGMAPS, namespace, page_size=3)
    names = sorted(i["metadata"]["name"] for i in items if i["metadata"]["name"].startswith("cm-"))
    assert names == [f"cm-{i}" for i in range(7)]
    assert int(version) > 0
    selected = await kube.list(CONFIGMAPS, namespace, field_selector="metadata.name=cm-3")
    assert [i["metadata"]["name"] for i in selected["items"]] == ["cm-3"]


async def test_merge_json_and_strategic_patches(kube: KubeClient, namespace: str) -> None:
    await kube.create(CONFIGMAPS, configmap("p", a="1", b="2"), namespace)
    merged = await kube.patch(CONFIGMAPS, "p", {"data": {"a": None, "c": "3"}}, namespace)
    assert merged["data"] == {"b": "2", "c": "3"}
    patched = await kube.patch(
        CONFIGMAPS,
        "p",
        [{"op": "replace", "path": "/data/b", "value": "20"}],
        namespace,
        patch_type=PatchType.JSON,
    )
    assert patched["data"]["b"] == "20"

    await kube.create(DEPLOYMENTS, deployment("web"), namespace)
    # Strategic merge merges the containers list by name; a JSON merge patch would replace the list.
    strategic = await kube.patch(
        DEPLOYMENTS,
        "web",
        {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "main:2"}]}}}},
        namespace,
        patch_type=PatchType.STRATEGIC,
    )
    containers = {c["name"]: c for c in strategic["spec"]["template"]["spec"]["containers"]}
    assert containers["main"]["image"] == "main:2"
    assert containers["main"]["env"] == [{"name": "A", "value": "1"}]
    assert containers["side"]["image"] == "side:1"


async def test_server_side_apply_owns_fields_and_force_takes_them_over(
    kube: KubeClient, namespace: str
) -> None:
    desired = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa", "namespace": namespace},
        "data": {"owned": "1"},
    }
    applied = await kube.apply(CONFIGMAPS, desired, field_manager="ark-a")
    assert applied["data"] == {"owned": "1"}
    managers = {m["manager"] for m in applied["metadata"]["managedFields"]}
    assert managers == {"ark-a"}
    contested = {**desired, "data": {"owned": "2"}}
    with pytest.raises(Conflict):
        await kube.apply(CONFIGMAPS, contested, field_manager="ark-b", force=False)
    taken = await kube.apply(CONFIGMAPS, contested, field_manager="ark-b", force=True)
    assert taken["data"] == {"owned": "2"}
    # Applying again without a field removes what this manager no longer wants.
    trimmed = await kube.apply(CONFIGMAPS, {**desired, "data": {"other": "x"}}, field_manager="ark-b")
    assert trimmed["data"] == {"other": "x"}


async def test_status_subresource_is_separate_from_the_main_resource(
    kube: KubeClient, namespace: str, widget_crd: Crd
) -> None:
    widgets = widget_crd.resource
    widget = {
        "apiVersion": widgets.api_version,
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": namespace},
        "spec": {"size": 1},
    }
    created = await kube.create(widgets, widget)
    with_status = dict(created, status={"phase": "Ready"}, spec={"size": 99})
    updated = await kube.update_status(widgets, with_status)
    assert updated["status"] == {"phase": "Ready"}
    assert updated["spec"] == {"size": 1}, "a status write must not change the spec"
    patched = await kube.patch_status(widgets, "w", {"status": {"ready": 3}}, namespace)
    assert patched["status"] == {"phase": "Ready", "ready": 3}
    main = await kube.patch(widgets, "w", {"status": {"phase": "Hacked"}, "spec": {"size": 2}}, namespace)
    assert main["status"]["phase"] == "Ready", "the main resource ignores status"
    assert main["spec"] == {"size": 2}
    with pytest.raises(Conflict):
        await kube.update_status(widgets, updated)  # stale resourceVersion
    with pytest.raises(ValueError, match="strategic"):
        await kube.patch(widgets, "w", {"spec": {}}, namespace, patch_type=PatchType.STRATEGIC)
    applied = await kube.apply(
        widgets,
        {
            "apiVersion": widgets.api_version,
            "kind": "Widget",
            "metadata": {"name": "w", "namespace": namespace},
            "status": {"phase": "Applied"},
        },
        field_manager="ark-status",
        subresource="status",
    )
    assert applied["status"]["phase"] == "Applied"


async def test_retry_on_conflict_rereads_until_the_write_lands(kube: KubeClient, namespace: str) -> None:
    await kube.create(CONFIGMAPS, configmap("counter", n="0"), namespace)
    attempts = 0

    async def increment() -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        current = await kube.get(CONFIGMAPS, "counter", namespace)
        if attempts == 1:
            # Someone else writes between our read and our write.
            await kube.patch(CONFIGMAPS, "counter", {"data": {"n": "10"}}, namespace)
        current["data"]["n"] = str(int(current["data"]["n"]) + 1)
        return await kube.replace(CONFIGMAPS, current)

    result = await retry_on_conflict(increment)
    assert attempts == 2
    assert result["data"]["n"] == "11"


async def test_raw_watch_streams_dicts_and_reports_gone(kube: KubeClient, namespace: str) -> None:
    created = await kube.create(CONFIGMAPS, configmap("w1"), namespace)
    version = created["metadata"]["resourceVersion"]
    await kube.patch(CONFIGMAPS, "w1", {"data": {"x": "1"}}, namespace)
    await kube.delete(CONFIGMAPS, "w1", namespace)
    seen: list[tuple[str, str]] = []
    # The server ends the watch after 30 s at the latest; we stop at the deletion.
    async with contextlib.aclosing(
        kube.watch(CONFIGMAPS, namespace, resource_version=version, timeout_seconds=30)
    ) as events:
        async for event in events:
            # The controller manager publishes kube-root-ca.crt into every new namespace, at
            # any moment of this test: only w1's events are ours to check.
            if event.type != "BOOKMARK" and event.object["metadata"]["name"] == "w1":
                seen.append((event.type, "w1"))
            if event.type == "DELETED" and event.object["metadata"]["name"] == "w1":
                break
    assert seen == [("MODIFIED", "w1"), ("DELETED", "w1")]


async def test_watch_from_a_compacted_version_raises_gone(
    kube: KubeClient, namespace: str, control_plane: ControlPlane
) -> None:
    # Events are not served from the apiserver's watch cache, so etcd's compaction shows through.
    event = await kube.create(
        EVENTS,
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "ConfigMap", "name": "x", "namespace": namespace},
            "reason": "Test",
            "message": "m",
        },
        namespace,
    )
    # Two more writes, so the first change after our version is itself below the compaction point.
    await kube.patch(EVENTS, "e1", {"message": "m2"}, namespace)
    await kube.patch(EVENTS, "e1", {"message": "m3"}, namespace)
    await compact_etcd(control_plane.etcd_url)
    with pytest.raises(Gone) as gone:
        await consume(
            kube.watch(
                EVENTS, namespace, resource_version=event["metadata"]["resourceVersion"], timeout_seconds=5
            )
        )
    assert gone.value.status == 410


async def consume(stream: AsyncGenerator[WatchEvent, None]) -> None:
    async with contextlib.aclosing(stream) as events:
        async for _ in events:
            pass
