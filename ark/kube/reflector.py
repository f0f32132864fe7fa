"""The reflector: keeps a sink in step with the server by LIST then WATCH (client-go ``tools/cache``).

Interface::

    reflector = Reflector(client, CONFIGMAPS, sink, namespace="ns", transform=strip_managed_fields)
    task = asyncio.create_task(reflector.run())        # runs until cancelled
    reflector.last_sync_resource_version                # advanced by events and bookmarks
    reflector.stats                                     # lists, expired, watches, events, bookmarks, errors

    class ReflectorSink(Protocol):
        def replace(self, objects: list[dict], resource_version: str) -> None   # after every (re)list
        def apply(self, event_type: str, obj: dict) -> None                      # ADDED / MODIFIED / DELETED

Behaviour:

* LIST with ``limit``/``continue`` paging (``transform`` applied to each object as it
  arrives), then WATCH from the list's
  resourceVersion with ``allowWatchBookmarks`` and a server timeout jittered
  in ``[min_watch_timeout, 2 * min_watch_timeout)``.
* A watch that ends or breaks is re-opened from the last resourceVersion seen
  (event or bookmark): nothing is missed and nothing is delivered twice.
* ``410 Gone`` (an HTTP status or an ERROR event, e.g. after etcd compaction)
  means that version is no longer available: relist and hand the full list to
  ``sink.replace``, which reports only the real differences.
* A broken connection waits an exponential, jittered backoff (0.8 s .. 30 s)
  and re-watches from the last version; an error answer from the server
  (other than 429) waits the backoff and relists, as client-go does.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ark.kube.client import ApiError, Gone, KubeClient, TransportError
from ark.kube.clock import Clock, RealClock
from ark.kube.ratelimit import Backoff
from ark.kube.resources import Resource

Obj = dict[str, Any]
log = logging.getLogger(__name__)

# A watch that ends this fast without delivering anything is treated as a failure, so a
# server that keeps closing watches at once does not make us spin.
_MIN_HEALTHY_WATCH_SECONDS = 1.0


class ReflectorSink(Protocol):
    """Where a reflector delivers what it reads."""

    def replace(self, objects: list[Obj], resource_version: str) -> None:
        """The complete current state, after a (re)list."""

    def apply(self, event_type: str, obj: Obj) -> None:
        """One watch event: ``ADDED``, ``MODIFIED`` or ``DELETED``."""


@dataclass
class ReflectorStats:
    """Counters describing what a reflector did (for tests, logs and metrics)."""

    lists: int = 0
    expired: int = 0
    watches: int = 0
    events: int = 0
    bookmarks: int = 0
    errors: int = 0


class Reflector:
    """LIST + WATCH loop feeding a :class:`ReflectorSink`."""

    def __init__(
        self,
        client: KubeClient,
        resource: Resource,
        sink: ReflectorSink,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
        min_watch_timeout: float = 300.0,
        transform: Callable[[Obj], Obj] | None = None,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.resource = resource
        self.sink = sink
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.page_size = page_size
        self.min_watch_timeout = min_watch_timeout
        self.transform = transform
        self._clock = clock or RealClock()
        self._rng = rng or random.Random()
        self._backoff = backoff or Backoff(clock=self._clock, rng=self._rng)
        self.last_sync_resource_version = ""
        self.stats = ReflectorStats()
        self.name = f"{resource}" + (f" in {namespace}" if namespace else "")

    async def run(self) -> None:
        """List and watch until cancelled."""
        need_list = True
        while True:
            try:
                if need_list:
                    await self._list()
                    need_list = False
                healthy = await self._watch()
                if healthy:
                    continue
                log.debug("%s: watch closed immediately; backing off", self.name)
            except Gone as exc:
                self.stats.expired += 1
                log.info(
                    "%s: resourceVersion %s expired (%s); relisting",
                    self.name,
                    self.last_sync_resource_version,
                    exc.message,
                )
                need_list = True
                continue
            except TransportError as exc:
                # The connection broke: the version we hold is still good, watch again from it.
                self.stats.errors += 1
                log.warning("%s: %s failed: %s", self.name, "list" if need_list else "watch", exc)
            except ApiError as exc:
                # The server refused (RBAC, overload, an internal error about our version):
                # like client-go, start over with a fresh list after the backoff.
                self.stats.errors += 1
                log.warning("%s: %s failed: %s", self.name, "list" if need_list else "watch", exc)
                need_list = need_list or exc.status != 429
            await self._clock.sleep(self._backoff.next())

    async def _list(self) -> None:
        items: list[Obj] = []
        token: str | None = None
        while True:
            page = await self.client.list(
                self.resource,
                self.namespace,
                label_selector=self.label_selector,
                field_selector=self.field_selector,
                limit=self.page_size,
                continue_=token,
            )
            page_items = page.get("items") or ()
            # Transform page by page: what the transform drops is freed before the next page
            # is parsed, so a large list never holds every object in its untrimmed form.
            items.extend(map(self.transform, page_items) if self.transform else page_items)
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                break
        resource_version = str(meta.get("resourceVersion", ""))
        self.stats.lists += 1
        self.sink.replace(items, resource_version)
        self.last_sync_resource_version = resource_version

    async def _watch(self) -> bool:
        """One watch request; True if it ran normally until the server ended it."""
        timeout = int(self.min_watch_timeout * (1.0 + self._rng.random()))
        started = self._clock.now()
        received = 0
        self.stats.watches += 1
        stream = self.client.watch(
            self.resource,
            self.namespace,
            resource_version=self.last_sync_resource_version,
            timeout_seconds=timeout,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            allow_bookmarks=True,
        )
        async with contextlib.aclosing(stream) as events:
            async for event in events:
                received += 1
                version = event.object.get("metadata", {}).get("resourceVersion")
                if event.type == "BOOKMARK":
                    self.stats.bookmarks += 1
                elif event.type in ("ADDED", "MODIFIED", "DELETED"):
                    self.stats.events += 1
                    self.sink.apply(
                        event.type, self.transform(event.object) if self.transform else event.object
                    )
                else:
                    log.warning("%s: ignoring watch event of type %r", self.name, event.type)
                    continue
                if version:
                    self.last_sync_resource_version = str(version)
                if received == 1:
                    self._backoff.reset()
        return received > 0 or self._clock.now() - started >= _MIN_HEALTHY_WATCH_SECONDS
