"""The whole stack (manager, informer, controller, events, metrics) running the example controller."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from ark.kube.client import KubeClient
from ark.kube.controller import Controller, Result
from ark.kube.manager import Manager
from ark.kube.resources import CONFIGMAPS, EVENTS
from ark.kube.store import object_key
from tests.integration.kube.example_controller import ANNOTATION, LABEL, LabelCopier, label_copier_controller
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


def labelled(name: str, namespace: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {LABEL: value}},
    }


async def annotation(kube: KubeClient, namespace: str, name: str) -> str | None:
    configmap = await kube.get(CONFIGMAPS, name, namespace)
    value: str | None = (configmap["metadata"].get("annotations") or {}).get(ANNOTATION)
    return value


async def test_example_controller_copies_labels_records_events_and_serves_health(
    kube: KubeClient, namespace: str
) -> None:
    manager = Manager(kube, health_port=0, graceful_timeout=5)
    informer = manager.informers.informer(CONFIGMAPS, namespace=namespace)
    recorder = manager.event_recorder("label-copier")
    controller, _ = label_copier_controller(kube, informer, metrics=manager.metrics, recorder=recorder)
    manager.add_controller(controller)
    await kube.create(CONFIGMAPS, labelled("before-start", namespace, "one"))
    running = asyncio.create_task(manager.run())
    try:
        await wait_for(lambda: manager.ready, timeout=30, message="manager ready")
        await kube.create(CONFIGMAPS, labelled("after-start", namespace, "two"))
        await wait_for(lambda: annotation(kube, namespace, "before-start"), timeout=30, message="first copy")
        await wait_for(lambda: annotation(kube, namespace, "after-start"), timeout=30, message="second copy")
        assert await annotation(kube, namespace, "before-start") == "one"
        await kube.patch(CONFIGMAPS, "after-start", {"metadata": {"labels": {LABEL: "three"}}}, namespace)

        async def relabelled() -> bool:
            return await annotation(kube, namespace, "after-start") == "three"

        await wait_for(relabelled, timeout=30, message="annotation follows the label")

        async def copied_events() -> list[dict[str, Any]]:
            await recorder.flush()
            events = (await kube.list(EVENTS, namespace))["items"]
            return [e for e in events if e["reason"] == "Copied"]

        events = await wait_for(lambda: copied_events(), timeout=30, message="Copied events")
        assert {e["involvedObject"]["name"] for e in events} >= {"before-start", "after-start"}
        assert all(e["source"]["component"] == "label-copier" and e["type"] == "Normal" for e in events)

        base = f"http://127.0.0.1:{manager.health_port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{base}/readyz") as response:
                assert response.status == 200
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 200
                text = await response.text()
        assert 'workqueue_adds_total{name="label-copier"}' in text
        assert 'controller_runtime_reconcile_total{controller="label-copier",result="success"}' in text
        assert "controller_runtime_reconcile_time_seconds_bucket" in text
    finally:
        manager.stop()
        await asyncio.wait_for(running, 30)
    assert not manager.ready
    assert not manager.leading


async def test_thousand_objects_all_reconciled_never_concurrently(kube: KubeClient, namespace: str) -> None:
    manager = Manager(kube, health_port=None, graceful_timeout=5)
    informer = manager.informers.informer(CONFIGMAPS, namespace=namespace)
    copier = LabelCopier(kube, informer)
    in_flight: set[str] = set()
    overlaps: list[str] = []
    reconciled: set[str] = set()
    most_concurrent = 0

    async def guarded(key: str) -> Result | None:
        nonlocal most_concurrent
        if key in in_flight:
            overlaps.append(key)
        in_flight.add(key)
        most_concurrent = max(most_concurrent, len(in_flight))
        try:
            await asyncio.sleep(0)  # give other workers the chance to collide
            return await copier.reconcile(key)
        finally:
            in_flight.discard(key)
            reconciled.add(key)

    controller = Controller("label-copier", guarded, workers=8, metrics=manager.metrics)
    controller.watch(informer)
    manager.add_controller(controller)
    running = asyncio.create_task(manager.run())
    try:
        await wait_for(lambda: manager.leading, timeout=30, message="controllers running")
        started = time.monotonic()
        limit = asyncio.Semaphore(32)

        async def create(i: int) -> str:
            async with limit:
                created = await kube.create(CONFIGMAPS, labelled(f"cm-{i:04d}", namespace, f"v{i}"))
                return object_key(created)

        keys = set(await asyncio.gather(*(create(i) for i in range(1000))))
        created_in = time.monotonic() - started

        async def all_copied() -> bool:
            items, _ = await kube.list_all(CONFIGMAPS, namespace)
            done = [i for i in items if (i["metadata"].get("annotations") or {}).get(ANNOTATION)]
            return len(done) == 1000

        await wait_for(all_copied, timeout=120, interval=0.5, message="every ConfigMap annotated")
        print(
            f"\n1000 ConfigMaps created in {created_in:.1f}s, all reconciled after "
            f"{time.monotonic() - started:.1f}s (max {most_concurrent} concurrent reconciles)"
        )

        async def store_equals_server() -> bool:
            items, _ = await kube.list_all(CONFIGMAPS, namespace)
            server = {object_key(o): o["metadata"]["resourceVersion"] for o in items}
            return server == {object_key(o): o["metadata"]["resourceVersion"] for o in informer.store.list()}

        await wait_for(store_equals_server, timeout=30, message="store equal to the server")
        assert keys <= reconciled
        assert overlaps == [], f"keys reconciled concurrently: {overlaps[:5]}"
        assert most_concurrent > 1, "the test should exercise concurrent workers"
    finally:
        manager.stop()
        await asyncio.wait_for(running, 30)
