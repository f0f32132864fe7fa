"""The reflector and informer against the real API server: cut watches, etcd compaction, bookmarks."""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from typing import Any

import pytest
from localcluster import ControlPlane

from ark.kube.client import KubeClient
from ark.kube.informer import EventHandler, SharedInformer
from ark.kube.resources import CONFIGMAPS, EVENTS, NAMESPACES, Resource
from ark.kube.store import object_key
from tests.integration.kube.conftest import TcpProxy, compact_etcd
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


class Recorder:
    """Every notification an informer delivered, as (type, key, resourceVersion)."""

    def __init__(self, informer: SharedInformer) -> None:
        self.log: list[tuple[str, str, str]] = []
        informer.add_event_handler(
            EventHandler(
                on_add=lambda o: self.log.append(("add", object_key(o), o["metadata"]["resourceVersion"])),
                on_update=lambda _, n: self.log.append(
                    ("update", object_key(n), n["metadata"]["resourceVersion"])
                ),
                on_delete=lambda o: self.log.append(
                    ("delete", object_key(o), o["metadata"]["resourceVersion"])
                ),
            )
        )

    def versions(self, key: str) -> list[str]:
        return [rv for kind, k, rv in self.log if k == key and kind != "delete"]


async def store_equals_server(
    kube: KubeClient, informer: SharedInformer, resource: Resource, namespace: str
) -> bool:
    items, _ = await kube.list_all(resource, namespace)
    server = {object_key(o): o["metadata"]["resourceVersion"] for o in items}
    cached = {object_key(o): o["metadata"]["resourceVersion"] for o in informer.store.list()}
    return server == cached


def configmap(name: str, namespace: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


async def test_watch_cut_mid_stream_resumes_without_loss_or_duplicates(
    kube: KubeClient, proxied_kube: KubeClient, proxy: TcpProxy, namespace: str
) -> None:
    informer = SharedInformer(proxied_kube, CONFIGMAPS, namespace=namespace)
    recorder = Recorder(informer)
    written: dict[str, list[str]] = defaultdict(list)
    deleted: set[str] = set()
    informer.start()
    try:
        assert await informer.wait_for_sync(30)
        for round_ in range(4):
            # Writes race the cut: some land before it, some while the watch is down.
            for i in range(10):
                name = f"cm-{round_}-{i}"
                created = await kube.create(CONFIGMAPS, configmap(name, namespace, v="0"))
                written[f"{namespace}/{name}"].append(created["metadata"]["resourceVersion"])
                if i == 5:
                    assert proxy.cut() >= 1, "the watch connection should have been open"
            for i in range(0, 10, 2):
                key = f"{namespace}/cm-{round_}-{i}"
                patched = await kube.patch(CONFIGMAPS, f"cm-{round_}-{i}", {"data": {"v": "1"}}, namespace)
                written[key].append(patched["metadata"]["resourceVersion"])
            await kube.delete(CONFIGMAPS, f"cm-{round_}-9", namespace)
            deleted.add(f"{namespace}/cm-{round_}-9")
            await wait_for(
                lambda: store_equals_server(kube, informer, CONFIGMAPS, namespace),
                timeout=30,
                message=f"cache caught up after cut {round_}",
            )
        cached = informer.store.list()
        assert cached
        assert not any("managedFields" in o["metadata"] for o in cached), "the default transform ran"
        stats = informer.reflector.stats
        assert stats.lists == 1, "a cut watch must resume from its version, not relist"
        assert stats.watches >= 5
        assert stats.errors >= 1
        for key, versions in written.items():
            assert recorder.versions(key) == versions, (
                f"{key}: delivered {recorder.versions(key)} != {versions}"
            )
        deletes = Counter(k for kind, k, _ in recorder.log if kind == "delete")
        assert deletes == Counter(deleted)
        duplicates = [entry for entry, n in Counter(recorder.log).items() if n > 1]
        assert duplicates == []
    finally:
        await informer.stop()


async def test_relist_after_etcd_compaction_reports_only_real_differences(
    kube: KubeClient,
    proxied_kube: KubeClient,
    proxy: TcpProxy,
    namespace: str,
    control_plane: ControlPlane,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def event(name: str, message: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {"kind": "ConfigMap", "name": "x", "namespace": namespace},
            "reason": "Test",
            "message": message,
            "type": "Normal",
        }

    # core/v1 Events are not served from the apiserver's watch cache, so a watch from a
    # compacted version really gets 410 Gone (cached resources replay from memory).
    for i in range(10):
        await kube.create(EVENTS, event(f"e{i}", "first"))
    informer = SharedInformer(proxied_kube, EVENTS, namespace=namespace)
    recorder = Recorder(informer)
    informer.start()
    try:
        assert await informer.wait_for_sync(30)
        assert len(informer.store) == 10
        recorder.log.clear()
        proxy.pause()
        for i in range(3):
            await kube.delete(EVENTS, f"e{i}", namespace)
        changed = {}
        for i in range(3, 6):
            patched = await kube.patch(EVENTS, f"e{i}", {"message": "second"}, namespace)
            changed[f"{namespace}/e{i}"] = patched["metadata"]["resourceVersion"]
        added = {}
        for i in range(10, 13):
            created = await kube.create(EVENTS, event(f"e{i}", "new"))
            added[f"{namespace}/e{i}"] = created["metadata"]["resourceVersion"]
        await compact_etcd(control_plane.etcd_url)
        with caplog.at_level(logging.INFO, logger="ark.kube.reflector"):
            proxy.resume()
            await wait_for(lambda: informer.reflector.stats.expired >= 1, timeout=60, message="410 Gone seen")
            await wait_for(
                lambda: store_equals_server(kube, informer, EVENTS, namespace),
                timeout=30,
                message="store equal to a fresh LIST",
            )
        assert informer.reflector.stats.lists == 2
        assert any("relisting" in r.getMessage() for r in caplog.records)
        assert sorted(k for kind, k, _ in recorder.log if kind == "delete") == [
            f"{namespace}/e{i}" for i in range(3)
        ]
        assert {k: rv for kind, k, rv in recorder.log if kind == "update"} == changed
        assert {k: rv for kind, k, rv in recorder.log if kind == "add"} == added
        assert len(recorder.log) == 9, f"unchanged objects must not be reported again: {recorder.log}"
    finally:
        await informer.stop()


async def test_bookmarks_advance_the_resource_version(kube: KubeClient, namespace: str) -> None:
    other = f"bookmark-other-{uuid.uuid4().hex[:6]}"
    await kube.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}})
    # kube-controller-manager puts a ConfigMap in every new namespace: let it land before listing,
    # so that it is not an event of the watch.
    await wait_for(
        lambda: kube.get(CONFIGMAPS, "kube-root-ca.crt", namespace), timeout=30, message="kube-root-ca.crt"
    )
    # A short server timeout: the apiserver sends a bookmark two seconds before it.
    informer = SharedInformer(kube, CONFIGMAPS, namespace=namespace, min_watch_timeout=4)
    informer.start()
    try:
        assert await informer.wait_for_sync(30)
        listed = int(informer.last_sync_resource_version)
        # Changes elsewhere move the resource's version without any event for our namespace.
        created = await kube.create(CONFIGMAPS, configmap("elsewhere", other))
        target = int(created["metadata"]["resourceVersion"])
        assert target > listed
        await wait_for(
            lambda: int(informer.last_sync_resource_version) >= target,
            timeout=30,
            message="bookmark carried the newer version",
        )
        stats = informer.reflector.stats
        assert stats.bookmarks >= 1
        assert stats.events == 0
        assert stats.lists == 1
        assert len(informer.store) == len((await kube.list(CONFIGMAPS, namespace))["items"])
    finally:
        await informer.stop()
        await kube.delete(NAMESPACES, other)


async def test_reflector_survives_the_server_being_unreachable(
    kube: KubeClient, proxied_kube: KubeClient, proxy: TcpProxy, namespace: str
) -> None:
    informer = SharedInformer(proxied_kube, CONFIGMAPS, namespace=namespace)
    informer.start()
    try:
        assert await informer.wait_for_sync(30)
        proxy.pause()
        await wait_for(lambda: informer.reflector.stats.errors >= 2, timeout=30, message="retries while down")
        await kube.create(CONFIGMAPS, configmap("while-down", namespace))
        proxy.resume()
        await wait_for(
            lambda: informer.store.get(f"{namespace}/while-down"),
            timeout=60,
            message="object created during the outage arrives",
        )
        assert informer.reflector.stats.lists == 1
        assert not informer.crashed
    finally:
        await informer.stop()
