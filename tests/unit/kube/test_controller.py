"""Controller behaviour without a server: informer events fed through the ReflectorSink interface."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ark.kube.client import KubeClient
from ark.kube.clock import FakeClock
from ark.kube.controller import Controller, Result, generation_changed, owner_keys
from ark.kube.informer import EventHandler, SharedInformer
from ark.kube.metrics import Metrics
from ark.kube.ratelimit import ItemExponentialFailureRateLimiter
from ark.kube.resources import CONFIGMAPS, DEPLOYMENTS, Resource
from tests.support.wait import wait_for

WIDGETS = Resource.custom("example.ark.dev", "v1", "widgets", "Widget")


def obj(name: str, rv: str = "1", namespace: str = "ns", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": rv, **meta},
    }


def informer_without_server(resource: Resource = CONFIGMAPS) -> SharedInformer:
    # The reflector is never started: tests play its part through replace()/apply().
    return SharedInformer(KubeClient(api_client=None), resource)


def test_informer_dispatches_adds_updates_deletes_and_relist_differences() -> None:
    informer = informer_without_server()
    seen: list[tuple[str, str, str]] = []
    informer.add_event_handler(
        EventHandler(
            on_add=lambda o: seen.append(("add", o["metadata"]["name"], o["metadata"]["resourceVersion"])),
            on_update=lambda old, new: seen.append(
                (
                    "update",
                    new["metadata"]["name"],
                    f"{old['metadata']['resourceVersion']}->{new['metadata']['resourceVersion']}",
                )
            ),
            on_delete=lambda o: seen.append(
                ("delete", o["metadata"]["name"], o["metadata"]["resourceVersion"])
            ),
        )
    )
    assert not informer.has_synced()
    informer.replace([obj("a"), obj("b")], "10")
    assert informer.has_synced()
    informer.apply("MODIFIED", obj("a", "11"))
    informer.apply("DELETED", obj("b", "12"))
    informer.apply("ADDED", obj("c", "13"))
    assert seen == [
        ("add", "a", "1"),
        ("add", "b", "1"),
        ("update", "a", "1->11"),
        ("delete", "b", "12"),
        ("add", "c", "13"),
    ]
    seen.clear()
    # A relist after a broken watch: c is unchanged, a changed, d is new: only a and d are reported.
    informer.replace([obj("a", "14"), obj("c", "13"), obj("d", "15")], "15")
    assert sorted(seen) == [("add", "d", "15"), ("update", "a", "11->14")]
    seen.clear()
    informer.replace([obj("a", "14")], "16")
    assert sorted(seen) == [("delete", "c", "13"), ("delete", "d", "15")]


def test_failing_handler_does_not_affect_other_handlers_or_the_cache() -> None:
    informer = informer_without_server()
    received: list[str] = []

    def broken(_: dict[str, Any]) -> None:
        raise RuntimeError("handler bug")

    informer.add_event_handler(EventHandler(on_add=broken))
    informer.add_event_handler(EventHandler(on_add=lambda o: received.append(o["metadata"]["name"])))
    informer.replace([obj("a")], "1")
    informer.apply("ADDED", obj("b"))
    assert received == ["a", "b"]
    assert sorted(informer.store.keys()) == ["ns/a", "ns/b"]


def test_late_handler_gets_the_current_cache_as_adds() -> None:
    informer = informer_without_server()
    informer.replace([obj("a"), obj("b")], "1")
    names: list[str] = []
    registration = informer.add_event_handler(
        EventHandler(on_add=lambda o: names.append(o["metadata"]["name"]))
    )
    assert sorted(names) == ["a", "b"]
    registration.remove()
    informer.apply("ADDED", obj("c"))
    assert sorted(names) == ["a", "b"]


def test_owner_keys_follow_the_controller_reference_of_the_right_kind() -> None:
    child = obj(
        "child",
        ownerReferences=[
            {
                "apiVersion": "example.ark.dev/v1",
                "kind": "Widget",
                "name": "w1",
                "uid": "1",
                "controller": True,
            },
            {"apiVersion": "example.ark.dev/v1", "kind": "Widget", "name": "w2", "uid": "2"},
            {"apiVersion": "other.dev/v1", "kind": "Widget", "name": "w3", "uid": "3", "controller": True},
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": "4", "controller": True},
        ],
    )
    assert owner_keys(child, WIDGETS) == ["ns/w1"]
    assert owner_keys(child, WIDGETS, controller_only=False) == ["ns/w1", "ns/w2"]
    assert owner_keys(child, DEPLOYMENTS) == ["ns/d"]
    assert owner_keys(obj("orphan"), WIDGETS) == []


def test_generation_changed_filter() -> None:
    a = obj("a", generation=1)
    assert generation_changed(a, a)
    assert not generation_changed(a, obj("a", "2", generation=1))
    assert generation_changed(a, obj("a", "2", generation=2))


async def test_controller_maps_events_to_keys_and_reconciles_each_once() -> None:
    configmaps = informer_without_server()
    widgets = informer_without_server(WIDGETS)
    reconciled: list[str] = []

    async def reconcile(key: str) -> Result:
        reconciled.append(key)
        return Result()

    ctl = Controller("t", reconcile, workers=2)
    ctl.watch(widgets)
    ctl.watch_owned(configmaps, WIDGETS)
    runner = asyncio.create_task(ctl.run())
    widgets.replace([obj("w1")], "1")
    configmaps.replace(
        [
            obj(
                "c1",
                ownerReferences=[
                    {
                        "apiVersion": "example.ark.dev/v1",
                        "kind": "Widget",
                        "name": "w2",
                        "uid": "u",
                        "controller": True,
                    }
                ],
            )
        ],
        "1",
    )
    await wait_for(
        lambda: sorted(reconciled) == ["ns/w1", "ns/w2"], timeout=5, message="both keys reconciled"
    )
    # The owner reference is removed: the former owner still hears about it.
    configmaps.apply("MODIFIED", obj("c1", "2"))
    await wait_for(lambda: reconciled.count("ns/w2") == 2, timeout=5, message="old owner reconciled")
    ctl.stop()
    await asyncio.wait_for(runner, 5)


async def test_errors_and_requeues_go_through_the_rate_limiter_and_success_forgets() -> None:
    clock = FakeClock()
    attempts: dict[str, int] = {}

    async def reconcile(key: str) -> Result | None:
        attempts[key] = attempts.get(key, 0) + 1
        if key == "ns/flaky" and attempts[key] < 3:
            raise RuntimeError("transient")
        if key == "ns/poll" and attempts[key] == 1:
            return Result(requeue_after=30)
        if key == "ns/again" and attempts[key] == 1:
            return Result(requeue=True)
        return None

    metrics = Metrics()
    ctl = Controller(
        "t",
        reconcile,
        clock=clock,
        rate_limiter=ItemExponentialFailureRateLimiter[str](1.0, 60.0),
        metrics=metrics,
    )
    runner = asyncio.create_task(ctl.run())
    for key in ("ns/flaky", "ns/poll", "ns/again"):
        ctl.enqueue(key)
    await wait_for(
        lambda: attempts == {"ns/flaky": 1, "ns/poll": 1, "ns/again": 1}, timeout=5, message="first pass"
    )
    assert ctl.queue.num_requeues("ns/flaky") == 1
    assert ctl.queue.num_requeues("ns/poll") == 0, "requeue_after forgets the failure history"
    clock.advance(1)  # first retry of flaky and again (1 s)
    await wait_for(
        lambda: attempts["ns/flaky"] == 2 and attempts["ns/again"] == 2, timeout=5, message="retry 1"
    )
    assert ctl.queue.num_requeues("ns/again") == 0, "success forgets"
    clock.advance(1.5)
    await asyncio.sleep(0)
    assert attempts["ns/flaky"] == 2, "second retry waits 2 s"
    clock.advance(0.5)
    await wait_for(lambda: attempts["ns/flaky"] == 3, timeout=5, message="retry 2")
    assert ctl.queue.num_requeues("ns/flaky") == 0
    clock.advance(26)
    assert attempts["ns/poll"] == 1
    clock.advance(2)
    await wait_for(lambda: attempts["ns/poll"] == 2, timeout=5, message="requeue_after fired")

    def sample(name: str, **labels: str) -> float:
        return metrics.registry.get_sample_value(name, {"controller": "t", **labels}) or 0.0

    assert sample("controller_runtime_reconcile_total", result="error") == 2
    assert sample("controller_runtime_reconcile_total", result="requeue_after") == 1
    assert sample("controller_runtime_reconcile_total", result="requeue") == 1
    assert sample("controller_runtime_reconcile_total", result="success") == 3
    assert sample("controller_runtime_reconcile_errors_total") == 2
    ctl.stop()
    await asyncio.wait_for(runner, 5)


async def test_a_key_is_never_reconciled_concurrently_and_readds_coalesce() -> None:
    active: set[str] = set()
    overlaps: list[str] = []
    runs: dict[str, int] = {}
    gate = asyncio.Event()

    async def reconcile(key: str) -> None:
        if key in active:
            overlaps.append(key)
        active.add(key)
        runs[key] = runs.get(key, 0) + 1
        await gate.wait()
        active.discard(key)

    ctl = Controller("t", reconcile, workers=4)
    runner = asyncio.create_task(ctl.run())
    ctl.enqueue("ns/a")
    await wait_for(lambda: "ns/a" in active, timeout=5, message="a in flight")
    for _ in range(10):
        ctl.enqueue("ns/a")  # while processing: coalesced into one more run
    ctl.enqueue("ns/b")
    await wait_for(lambda: "ns/b" in active, timeout=5, message="b runs beside a")
    gate.set()
    await wait_for(lambda: runs.get("ns/a") == 2 and not active, timeout=5, message="a re-run once")
    assert overlaps == []
    ctl.stop()
    await asyncio.wait_for(runner, 5)


async def test_a_batch_period_coalesces_a_burst_of_events_into_one_reconcile() -> None:
    clock = FakeClock()
    configmaps = informer_without_server()
    reconciled: list[str] = []

    async def reconcile(key: str) -> None:
        reconciled.append(key)

    ctl = Controller("t", reconcile, clock=clock)
    ctl.watch_mapped(configmaps, lambda o: ["ns/owner"], batch_seconds=1.0)
    runner = asyncio.create_task(ctl.run())
    configmaps.replace([obj("c0")], "1")
    clock.advance(0.5)
    for n in range(1, 20):
        configmaps.apply("ADDED", obj(f"c{n}", str(n + 1)))
    configmaps.apply("DELETED", obj("c0", "21"))
    # Nothing is ready to hand out, so no worker can have run: the key waits for the window.
    assert (len(ctl.queue), ctl.queue.waiting_delayed()) == (0, 1), "keys wait for the batch period"
    assert reconciled == []
    clock.advance(0.5)
    await wait_for(lambda: reconciled == ["ns/owner"], timeout=5, message="one reconcile for the burst")
    # The next event opens a new window.
    configmaps.apply("MODIFIED", obj("c1", "22"))
    clock.advance(0.99)
    assert (len(ctl.queue), ctl.queue.waiting_delayed()) == (0, 1)
    assert reconciled == ["ns/owner"]
    clock.advance(0.01)
    await wait_for(lambda: len(reconciled) == 2, timeout=5, message="the next window's reconcile")
    ctl.stop()
    await asyncio.wait_for(runner, 5)


async def test_stop_lets_in_flight_reconciles_finish_and_skips_the_backlog() -> None:
    started: list[str] = []
    finished: list[str] = []
    release = asyncio.Event()

    async def reconcile(key: str) -> None:
        started.append(key)
        await release.wait()
        finished.append(key)

    ctl = Controller("t", reconcile, workers=1)
    runner = asyncio.create_task(ctl.run())
    for key in ("ns/1", "ns/2", "ns/3"):
        ctl.enqueue(key)
    await wait_for(lambda: started == ["ns/1"], timeout=5, message="first key started")
    ctl.stop()
    release.set()
    await asyncio.wait_for(runner, 5)
    assert finished == ["ns/1"]


def test_controller_needs_a_worker() -> None:
    async def reconcile(key: str) -> None:
        return None

    with pytest.raises(ValueError, match="workers"):
        Controller("t", reconcile, workers=0)
