"""Controllers: informer events -> work queue keys -> N workers calling ``reconcile(key)``.

Interface::

    async def reconcile(key: str) -> Result | None: ...     # key is "namespace/name" (or "name")

    ctl = Controller("configmap-annotator", reconcile, workers=4, metrics=metrics)
    ctl.watch(configmap_informer)                             # the primary resource: its own key
    ctl.watch_owned(deployment_informer, owner=ARK_AGENTS)    # children -> the controlling owner's key
    ctl.watch_mapped(secret_informer, lambda obj: [...keys])  # anything else -> keys
    ctl.watch_mapped(pod_informer, mapper, batch_seconds=1)   # a burst of events -> one reconcile
    await ctl.run()   # until stop() or cancellation
    ctl.stop()        # finish in-flight reconciles, then run() returns

Semantics (controller-runtime's):

* ``Result()`` or ``None``: done, the key's failure history is forgotten.
* ``Result(requeue_after=s)``: forget, then re-add after ``s`` seconds.
* ``Result(requeue=True)``: re-add rate-limited (the failure history grows).
* An exception: logged, counted as an error, re-added rate-limited.
* The work queue guarantees one key is never reconciled by two workers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ark.kube.clock import Clock, RealClock
from ark.kube.informer import EventHandler, HandlerRegistration, SharedInformer
from ark.kube.metrics import Metrics
from ark.kube.ratelimit import RateLimiter, default_controller_rate_limiter
from ark.kube.resources import Resource
from ark.kube.store import object_key
from ark.kube.workqueue import ShutDown, WorkQueue

Obj = dict[str, Any]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """What a reconcile asks for: nothing, a rate-limited retry, or a re-run after a delay."""

    requeue: bool = False
    requeue_after: float | None = None


Reconciler = Callable[[str], Awaitable[Result | None]]
UpdateFilter = Callable[[Obj, Obj], bool]


def owner_keys(obj: Obj, owner: Resource, *, controller_only: bool = True) -> list[str]:
    """Keys of ``obj``'s owners of type ``owner`` (only its controller, by default)."""
    keys: list[str] = []
    namespace = obj.get("metadata", {}).get("namespace")
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if controller_only and not ref.get("controller"):
            continue
        if ref.get("kind") != owner.kind:
            continue
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        if group != owner.group:
            continue
        name = ref.get("name")
        if name:
            keys.append(f"{namespace}/{name}" if owner.namespaced and namespace else str(name))
    return keys


def generation_changed(old: Obj, new: Obj) -> bool:
    """Update filter: pass only spec changes (``metadata.generation`` moved), and resyncs."""
    if old is new:
        return True
    return bool(old.get("metadata", {}).get("generation") != new.get("metadata", {}).get("generation"))


class Controller:
    """Runs ``reconcile`` for keys from a rate-limited work queue with ``workers`` concurrent workers."""

    def __init__(
        self,
        name: str,
        reconcile: Reconciler,
        *,
        workers: int = 1,
        clock: Clock | None = None,
        rate_limiter: RateLimiter[str] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.name = name
        self.workers = workers
        self._reconcile = reconcile
        self._clock = clock or RealClock()
        self._metrics = metrics
        self.queue = WorkQueue[str](
            name=name,
            clock=self._clock,
            rate_limiter=rate_limiter or default_controller_rate_limiter(self._clock),
            metrics=metrics.queue(name) if metrics is not None else None,
        )
        self._registrations: list[HandlerRegistration] = []
        self._stopping = False
        self._active = 0
        if metrics is not None:
            metrics.max_concurrent_reconciles.labels(controller=name).set(workers)

    # ------------------------------------------------------------------ event sources

    def enqueue(self, key: str) -> None:
        """Ask for ``key`` to be reconciled."""
        self.queue.add(key)

    def watch(self, informer: SharedInformer, *, update_filter: UpdateFilter | None = None) -> None:
        """Reconcile the key of every object the informer reports."""
        self.watch_mapped(informer, lambda obj: (object_key(obj),), update_filter=update_filter)

    def watch_owned(
        self,
        informer: SharedInformer,
        owner: Resource,
        *,
        controller_only: bool = True,
        update_filter: UpdateFilter | None = None,
    ) -> None:
        """Reconcile the owner (of type ``owner``) of every child object the informer reports."""
        self.watch_mapped(
            informer,
            lambda obj: owner_keys(obj, owner, controller_only=controller_only),
            update_filter=update_filter,
            map_old_on_update=True,
        )

    def watch_mapped(
        self,
        informer: SharedInformer,
        mapper: Callable[[Obj], Iterable[str]],
        *,
        update_filter: UpdateFilter | None = None,
        map_old_on_update: bool = False,
        batch_seconds: float = 0.0,
    ) -> None:
        """Reconcile the keys ``mapper`` returns for every object the informer reports.

        With ``map_old_on_update`` the keys of the previous state are enqueued
        too (an owner that was removed from a child still hears about it).
        With ``batch_seconds`` a key waits that long before it is queued, and the
        events of that window coalesce into one reconcile (as the Job controller's
        ``syncJobBatchPeriod`` does with pod events).
        """

        def enqueue(key: str) -> None:
            self.queue.add_after(key, batch_seconds)

        def on_add(obj: Obj) -> None:
            for key in mapper(obj):
                enqueue(key)

        def on_update(old: Obj, new: Obj) -> None:
            if update_filter is not None and not update_filter(old, new):
                return
            for key in mapper(new):
                enqueue(key)
            if map_old_on_update and old is not new:
                for key in mapper(old):
                    enqueue(key)

        self._registrations.append(
            informer.add_event_handler(EventHandler(on_add=on_add, on_update=on_update, on_delete=on_add))
        )

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Run the workers until :meth:`stop` completes or the task is cancelled."""
        workers = [
            asyncio.create_task(self._worker(), name=f"{self.name} worker {i}") for i in range(self.workers)
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            self.queue.shutdown()

    def stop(self) -> None:
        """Stop taking new keys; in-flight reconciles finish, then ``run()`` returns."""
        self._stopping = True
        self.queue.shutdown()
        for registration in self._registrations:
            registration.remove()
        self._registrations.clear()

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                if self._stopping:
                    return
                await self._process(key)
            finally:
                self.queue.done(key)

    async def _process(self, key: str) -> None:
        metrics = self._metrics
        started = self._clock.now()
        self._active += 1
        if metrics is not None:
            metrics.active_workers.labels(controller=self.name).set(self._active)
        try:
            result = await self._reconcile(key)
        except Exception as exc:
            outcome = "error"
            log.error("%s: reconcile %s failed: %s", self.name, key, exc, exc_info=exc)
            self.queue.add_rate_limited(key)
            if metrics is not None:
                metrics.reconcile_errors.labels(controller=self.name).inc()
        else:
            if result is not None and result.requeue_after:
                outcome = "requeue_after"
                self.queue.forget(key)
                self.queue.add_after(key, result.requeue_after)
            elif result is not None and result.requeue:
                outcome = "requeue"
                self.queue.add_rate_limited(key)
            else:
                outcome = "success"
                self.queue.forget(key)
        finally:
            self._active -= 1
            if metrics is not None:
                metrics.active_workers.labels(controller=self.name).set(self._active)
        if metrics is not None:
            metrics.reconcile_total.labels(controller=self.name, result=outcome).inc()
            metrics.reconcile_time.labels(controller=self.name).observe(self._clock.now() - started)
