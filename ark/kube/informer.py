"""Shared informers: one reflector and one indexed cache per resource, many event handlers.

Interface::

    factory = InformerFactory(client)
    informer = factory.informer(CONFIGMAPS, namespace="ns")     # the same object for the same arguments
    registration = informer.add_event_handler(
        EventHandler(on_add=..., on_update=..., on_delete=...), resync_period=600)
    await factory.start()
    assert await factory.wait_for_cache_sync(timeout=30)
    informer.store.get("ns/name"); informer.store.by_label("app", "web")
    registration.remove(); await factory.stop()

Handlers are plain synchronous callables run on the event loop in event order;
they must be quick (typically: put a key on a work queue). An exception in a
handler is logged and does not affect other handlers or the cache.

Objects pass through ``transform`` before they are cached; the default drops
``metadata.managedFields``, which controllers never read and which is often the
largest part of an object (controller-runtime's ``TransformStripManagedFields``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ark.kube.client import KubeClient
from ark.kube.clock import Clock, RealClock
from ark.kube.reflector import Reflector
from ark.kube.resources import Resource
from ark.kube.store import DEFAULT_INDEXERS, DeltaType, Indexer, IndexFunc

Obj = dict[str, Any]
Transform = Callable[[Obj], Obj]
log = logging.getLogger(__name__)


def strip_managed_fields(obj: Obj) -> Obj:
    """Drop ``metadata.managedFields`` (the default informer transform)."""
    obj.get("metadata", {}).pop("managedFields", None)
    return obj


@dataclass(frozen=True)
class EventHandler:
    """Callbacks for cache changes; any of them may be omitted.

    ``on_update`` also receives periodic resyncs, with ``old is new``.
    """

    on_add: Callable[[Obj], None] | None = None
    on_update: Callable[[Obj, Obj], None] | None = None
    on_delete: Callable[[Obj], None] | None = None


class HandlerRegistration:
    """Returned by :meth:`SharedInformer.add_event_handler`; ``remove()`` unsubscribes."""

    def __init__(self, informer: SharedInformer, handler: EventHandler, resync_period: float | None) -> None:
        self.informer = informer
        self.handler = handler
        self.resync_period = resync_period
        self._resync_task: asyncio.Task[None] | None = None

    def remove(self) -> None:
        """Stop delivering events to this handler."""
        self.informer._remove(self)
        if self._resync_task is not None:
            self._resync_task.cancel()
            self._resync_task = None


class SharedInformer:
    """A reflector, the cache it fills, and the handlers notified of every change."""

    def __init__(
        self,
        client: KubeClient,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        indexers: dict[str, IndexFunc] | None = None,
        transform: Transform | None = strip_managed_fields,
        clock: Clock | None = None,
        min_watch_timeout: float = 300.0,
        page_size: int = 500,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self._clock = clock or RealClock()
        self.store = Indexer(DEFAULT_INDEXERS if indexers is None else indexers)
        self._registrations: list[HandlerRegistration] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.reflector = Reflector(
            client,
            resource,
            self,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            page_size=page_size,
            min_watch_timeout=min_watch_timeout,
            transform=transform,
            clock=self._clock,
        )

    # ------------------------------------------------------------------ lifecycle

    def add_event_handler(
        self, handler: EventHandler, resync_period: float | None = None
    ) -> HandlerRegistration:
        """Subscribe ``handler``; if the cache is already filled it first gets an add per object."""
        registration = HandlerRegistration(self, handler, resync_period)
        self._registrations.append(registration)
        if self.has_synced() and handler.on_add is not None:
            for obj in self.store.list():
                self._call(handler.on_add, obj)
        if self._task is not None:
            self._start_resync(registration)
        return registration

    def _remove(self, registration: HandlerRegistration) -> None:
        with contextlib.suppress(ValueError):
            self._registrations.remove(registration)

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._task is not None

    @property
    def crashed(self) -> bool:
        """True if the reflector stopped on its own (a bug: it retries every API failure)."""
        return self._task is not None and self._task.done()

    def start(self) -> None:
        """Start the reflector (and resync timers) in the background; idempotent."""
        if self._task is not None:
            return
        self._task = asyncio.create_task(self.reflector.run(), name=f"reflector {self.reflector.name}")
        for registration in self._registrations:
            self._start_resync(registration)

    async def stop(self) -> None:
        """Stop the reflector and resync timers; the cache keeps its contents."""
        tasks = [r._resync_task for r in self._registrations if r._resync_task is not None]
        for registration in self._registrations:
            registration._resync_task = None
        if self._task is not None:
            tasks.append(self._task)
            self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def has_synced(self) -> bool:
        """True once the first LIST has been put in the cache."""
        return self._synced.is_set()

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Wait for the first LIST; False on timeout."""
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def last_sync_resource_version(self) -> str:
        """The newest resourceVersion the reflector has seen."""
        return self.reflector.last_sync_resource_version

    def _start_resync(self, registration: HandlerRegistration) -> None:
        if registration.resync_period and registration._resync_task is None:
            registration._resync_task = asyncio.create_task(self._resync_loop(registration))

    async def _resync_loop(self, registration: HandlerRegistration) -> None:
        assert registration.resync_period is not None
        while True:
            await self._clock.sleep(registration.resync_period)
            on_update = registration.handler.on_update
            if on_update is None or not self.has_synced():
                continue
            for obj in self.store.list():
                self._call(on_update, obj, obj)

    # ------------------------------------------------------------------ ReflectorSink

    def replace(self, objects: list[Obj], resource_version: str) -> None:
        """Reflector callback after a (re)list: cache the new state and report only real changes."""
        for delta in self.store.replace(objects):
            if delta.type is DeltaType.ADDED:
                self._notify_add(delta.object)
            elif delta.type is DeltaType.UPDATED:
                assert delta.old is not None
                self._notify_update(delta.old, delta.object)
            else:
                self._notify_delete(delta.object)
        self._synced.set()

    def apply(self, event_type: str, obj: Obj) -> None:
        """Reflector callback for one watch event."""
        if event_type == "DELETED":
            self.store.delete(obj)
            self._notify_delete(obj)
            return
        old = self.store.upsert(obj)
        if old is None:
            self._notify_add(obj)
        else:
            self._notify_update(old, obj)

    def _notify_add(self, obj: Obj) -> None:
        for registration in list(self._registrations):
            if registration.handler.on_add is not None:
                self._call(registration.handler.on_add, obj)

    def _notify_update(self, old: Obj, new: Obj) -> None:
        for registration in list(self._registrations):
            if registration.handler.on_update is not None:
                self._call(registration.handler.on_update, old, new)

    def _notify_delete(self, obj: Obj) -> None:
        for registration in list(self._registrations):
            if registration.handler.on_delete is not None:
                self._call(registration.handler.on_delete, obj)

    def _call(self, fn: Callable[..., None], *args: Obj) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("%s: event handler %r failed", self.reflector.name, fn)


async def wait_for_cache_sync(*informers: SharedInformer, timeout: float | None = None) -> bool:
    """Wait until every informer has synced; False if ``timeout`` passes first."""
    try:
        async with asyncio.timeout(timeout):
            for informer in informers:
                await informer.wait_for_sync()
    except TimeoutError:
        return False
    return True


class InformerFactory:
    """Hands out one shared informer per (resource, namespace, selectors)."""

    def __init__(
        self, client: KubeClient, *, clock: Clock | None = None, min_watch_timeout: float = 300.0
    ) -> None:
        self.client = client
        self._clock = clock or RealClock()
        self._min_watch_timeout = min_watch_timeout
        self._informers: dict[tuple[Resource, str | None, str | None, str | None], SharedInformer] = {}
        self._started = False

    def informer(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> SharedInformer:
        """The shared informer for these arguments (created on first use, started if the factory runs)."""
        key = (resource, namespace, label_selector, field_selector)
        informer = self._informers.get(key)
        if informer is None:
            informer = SharedInformer(
                self.client,
                resource,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                clock=self._clock,
                min_watch_timeout=self._min_watch_timeout,
            )
            self._informers[key] = informer
            if self._started:
                informer.start()
        return informer

    @property
    def informers(self) -> list[SharedInformer]:
        """Every informer handed out so far."""
        return list(self._informers.values())

    def start(self) -> None:
        """Start every informer (and any created later)."""
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def stop(self) -> None:
        """Stop every informer."""
        self._started = False
        for informer in self._informers.values():
            await informer.stop()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        """Wait until every informer has synced."""
        return await wait_for_cache_sync(*self._informers.values(), timeout=timeout)

    def has_synced(self) -> bool:
        """True when every informer has synced."""
        return all(informer.has_synced() for informer in self._informers.values())
