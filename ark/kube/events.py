"""Recording core/v1 Events about objects, with client-go's deduplication and aggregation.

Interface::

    recorder = EventRecorder(client, component="ark-operator")
    recorder.start()                                   # background writer task
    recorder.event(obj, "Normal", "Created", "created deployment web")
    recorder.warning(obj, "Failed", "model unreachable")
    await recorder.flush()                             # wait until everything queued is written
    await recorder.stop()

``event()`` never blocks and never raises: Events are best-effort, written in
order by one background task.

Correlation (``EventCorrelator`` in client-go):

* A repeat of the same (object, type, reason, message) does not create a new
  Event: the existing one is patched with ``count + 1`` and a new ``lastTimestamp``.
* More than ``similar_threshold`` distinct messages for the same (object, type,
  reason) within ``similar_window`` seconds are folded into one Event whose
  message starts with ``(combined from similar events):``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import logging
import os
import socket
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ark.kube.client import AlreadyExists, ApiError, KubeClient, NotFound, TransportError
from ark.kube.clock import Clock, RealClock
from ark.kube.resources import EVENTS

Obj = dict[str, Any]
log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
MAX_MESSAGE_LENGTH = 1024
AGGREGATED_PREFIX = "(combined from similar events): "


def format_time(moment: datetime.datetime) -> str:
    """RFC 3339 with second precision in UTC, as ``metav1.Time`` serialises."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: Obj) -> Obj:
    """An ``ObjectReference`` to ``obj`` (for ``involvedObject``)."""
    meta = obj.get("metadata", {})
    ref: Obj = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": meta.get("name", ""),
    }
    for source, target in (
        ("namespace", "namespace"),
        ("uid", "uid"),
        ("resourceVersion", "resourceVersion"),
    ):
        if meta.get(source):
            ref[target] = meta[source]
    return ref


@dataclass
class _Seen:
    name: str
    namespace: str
    count: int


@dataclass
class _Similar:
    window_start: float
    messages: set[str]


class EventCorrelator:
    """Decides, per event, whether to create a new Event or bump an existing one (pure logic)."""

    def __init__(
        self,
        *,
        clock: Clock,
        similar_threshold: int = 10,
        similar_window: float = 600.0,
        cache_size: int = 4096,
    ) -> None:
        self._clock = clock
        self.similar_threshold = similar_threshold
        self.similar_window = similar_window
        self.cache_size = cache_size
        self._similar: OrderedDict[tuple[str, ...], _Similar] = OrderedDict()
        self._seen: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()

    def correlate(self, ref: Obj, event_type: str, reason: str, message: str) -> tuple[tuple[str, ...], str]:
        """The dedupe key for this event and the message to record (aggregated when too many variants)."""
        base = (
            ref.get("kind", ""),
            ref.get("namespace", ""),
            ref.get("name", ""),
            ref.get("uid", ""),
            event_type,
            reason,
        )
        now = self._clock.now()
        similar = self._similar.get(base)
        if similar is None or now - similar.window_start > self.similar_window:
            similar = _Similar(now, set())
        similar.messages.add(message)
        self._remember(self._similar, base, similar)
        if len(similar.messages) >= self.similar_threshold:
            return (*base, ""), AGGREGATED_PREFIX + message
        return (*base, message), message

    def seen(self, key: tuple[str, ...]) -> _Seen | None:
        """The Event already written for ``key``, if it is still remembered."""
        return self._seen.get(key)

    def record(self, key: tuple[str, ...], name: str, namespace: str, count: int) -> None:
        """Remember that ``key`` is now the Event ``namespace/name`` with ``count``."""
        self._remember(self._seen, key, _Seen(name, namespace, count))

    def _remember(
        self, cache: OrderedDict[tuple[str, ...], Any], key: tuple[str, ...], value: object
    ) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self.cache_size:
            cache.popitem(last=False)


class EventRecorder:
    """Writes Events for objects from one component (see the module docstring)."""

    def __init__(
        self,
        client: KubeClient,
        component: str,
        *,
        host: str | None = None,
        clock: Clock | None = None,
        similar_threshold: int = 10,
        similar_window: float = 600.0,
    ) -> None:
        self.client = client
        self.component = component
        self.host = host or os.environ.get("POD_NAME") or socket.gethostname()
        self._clock = clock or RealClock()
        self.correlator = EventCorrelator(
            clock=self._clock, similar_threshold=similar_threshold, similar_window=similar_window
        )
        self._queue: asyncio.Queue[tuple[Obj, str, str, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._names = itertools.count()

    def start(self) -> None:
        """Start the background writer; idempotent."""
        if self._task is None:
            self._task = asyncio.create_task(self._writer(), name=f"event recorder {self.component}")

    async def stop(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._task is None:
            return
        await self.flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def flush(self) -> None:
        """Wait until every event recorded so far has been written (or given up on)."""
        await self._queue.join()

    def event(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        """Record an event about ``obj`` (``event_type`` is ``Normal`` or ``Warning``)."""
        if event_type not in (NORMAL, WARNING):
            raise ValueError(f"event type must be {NORMAL!r} or {WARNING!r}, not {event_type!r}")
        self._queue.put_nowait((obj, event_type, reason, message[:MAX_MESSAGE_LENGTH]))

    def normal(self, obj: Obj, reason: str, message: str) -> None:
        """Record a ``Normal`` event."""
        self.event(obj, NORMAL, reason, message)

    def warning(self, obj: Obj, reason: str, message: str) -> None:
        """Record a ``Warning`` event."""
        self.event(obj, WARNING, reason, message)

    async def _writer(self) -> None:
        while True:
            obj, event_type, reason, message = await self._queue.get()
            try:
                await self._write(obj, event_type, reason, message)
            except (ApiError, TransportError) as exc:
                log.warning("%s: could not write event %s/%s: %s", self.component, reason, message, exc)
            finally:
                self._queue.task_done()

    async def _write(self, obj: Obj, event_type: str, reason: str, message: str) -> None:
        ref = object_reference(obj)
        key, message = self.correlator.correlate(ref, event_type, reason, message)
        now = format_time(self._clock.wall())
        seen = self.correlator.seen(key)
        if seen is not None:
            patch = {"count": seen.count + 1, "lastTimestamp": now, "message": message}
            try:
                await self.client.patch(EVENTS, seen.name, patch, seen.namespace)
                self.correlator.record(key, seen.name, seen.namespace, seen.count + 1)
                return
            except NotFound:
                pass  # The Event expired (TTL); start a new one below.
        namespace = ref.get("namespace") or "default"
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": self.component, "host": self.host},
            "reportingComponent": self.component,
            "reportingInstance": self.host,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        for _ in range(3):
            body["metadata"]["name"] = self._event_name(ref["name"])
            try:
                await self.client.create(EVENTS, body, namespace)
            except AlreadyExists:
                continue
            self.correlator.record(key, body["metadata"]["name"], namespace, 1)
            return

    def _event_name(self, object_name: str) -> str:
        # client-go uses "<name>.<unix nanos in hex>"; a per-recorder counter keeps names unique
        # when the wall clock has not moved between two events.
        nanos = int(self._clock.wall().timestamp() * 1e9) + next(self._names)
        return f"{object_name}.{nanos:x}"
