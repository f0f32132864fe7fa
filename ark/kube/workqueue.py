"""An asyncio port of client-go's rate-limited, delaying work queue.

Interface::

    q = WorkQueue[str](name="configmaps", clock=clock, rate_limiter=limiter, metrics=hooks)
    q.add(key)                  # no-op if key is already waiting; deferred if key is being processed
    key = await q.get()         # raises ShutDown once shut down *and* empty
    q.done(key)                 # must follow every get(); re-queues key if it was added meanwhile
    q.add_after(key, seconds)   # delayed add (an earlier deadline replaces a later one)
    q.add_rate_limited(key)     # add_after(key, rate_limiter.when(key))
    q.forget(key); q.num_requeues(key)
    q.shutdown()                # stop accepting adds; getters drain what is queued, then get ShutDown
    await q.shutdown_with_drain()  # shutdown() and wait until every handed-out item is done()

Guarantees (the same as client-go's):

* An item is never handed to two getters at once: between ``get()`` returning
  it and the matching ``done()``, a re-add only marks it dirty and it is queued
  again by ``done()``.
* No lost adds: an item added before shutdown is handed out at least once
  after that add (items still waiting in ``add_after`` at shutdown are dropped).
* An item waits in the queue at most once (adds coalesce), in FIFO order.

Single event loop, no locks: every method except ``get``/``shutdown_with_drain``
is synchronous and never yields, so callbacks such as informer handlers can
enqueue directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections import deque
from collections.abc import Hashable
from typing import Any, Generic, Protocol, TypeVar, cast

from ark.kube.clock import Clock, RealClock, Timer
from ark.kube.ratelimit import RateLimiter, default_controller_rate_limiter

T = TypeVar("T", bound=Hashable)
T_contra = TypeVar("T_contra", bound=Hashable, contravariant=True)


class ShutDown(Exception):
    """The queue was shut down and holds nothing more to hand out."""


class QueueMetrics(Protocol[T_contra]):
    """Hooks a queue calls so that metrics can be kept (see ``ark.kube.metrics``)."""

    def add(self, item: T_contra) -> None:
        """``item`` became dirty (newly waiting to be processed)."""

    def get(self, item: T_contra) -> None:
        """``item`` was handed to a worker."""

    def done(self, item: T_contra) -> None:
        """A worker finished ``item``."""

    def retry(self) -> None:
        """An item was re-added through the rate limiter."""


class WorkQueue(Generic[T]):
    """Dirty/processing-set work queue with delayed and rate-limited adds."""

    def __init__(
        self,
        *,
        name: str = "",
        clock: Clock | None = None,
        rate_limiter: RateLimiter[T] | None = None,
        metrics: QueueMetrics[T] | None = None,
    ) -> None:
        self.name = name
        self._clock = clock or RealClock()
        self._rate_limiter = rate_limiter or cast(
            RateLimiter[T], default_controller_rate_limiter(self._clock)
        )
        self._metrics = metrics
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False
        self._drain = False
        self._drained: asyncio.Event | None = None
        # Delayed adds: a heap of [ready_at, seq, item, live] with the live entry per item in _waiting.
        self._heap: list[list[Any]] = []
        self._waiting: dict[T, list[Any]] = {}
        self._seq = itertools.count()
        self._timer: Timer | None = None
        self._timer_deadline = 0.0

    # ------------------------------------------------------------------ basic queue

    def add(self, item: T) -> None:
        """Mark ``item`` as needing processing."""
        if self._shutting_down or item in self._dirty:
            return
        if self._metrics is not None:
            self._metrics.add(item)
        self._dirty.add(item)
        if item in self._processing:
            return
        self._queue.append(item)
        self._wake_one()

    async def get(self) -> T:
        """Wait for the next item and mark it as being processed.

        Raises :class:`ShutDown` when the queue has been shut down and is empty;
        items queued before shutdown are still handed out first.
        """
        while not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._getters.remove(waiter)
                # A wake-up meant for us must not be lost with us.
                if self._queue or self._shutting_down:
                    self._wake_one()
                raise
        item = self._queue.popleft()
        self._processing.add(item)
        self._dirty.discard(item)
        if self._metrics is not None:
            self._metrics.get(item)
        return item

    def done(self, item: T) -> None:
        """Finish processing ``item``; it is queued again if it was re-added meanwhile."""
        if self._metrics is not None:
            self._metrics.done(item)
        self._processing.discard(item)
        if item in self._dirty:
            self._queue.append(item)
            self._wake_one()
        if not self._processing and self._drained is not None:
            self._drained.set()

    def __len__(self) -> int:
        """Number of items waiting to be handed out (not counting delayed ones)."""
        return len(self._queue)

    @property
    def shutting_down(self) -> bool:
        """True once :meth:`shutdown` or :meth:`shutdown_with_drain` was called."""
        return self._shutting_down

    def is_processing(self, item: T) -> bool:
        """True between ``get()`` returning ``item`` and the matching ``done()``."""
        return item in self._processing

    def waiting_delayed(self) -> int:
        """Number of items waiting for an ``add_after`` deadline."""
        return len(self._waiting)

    def shutdown(self) -> None:
        """Refuse new adds, drop delayed ones, and let getters drain the queue then raise ShutDown."""
        # A plain shutdown also ends a drain in progress, as in client-go.
        self._drain = False
        self._shut()

    async def shutdown_with_drain(self) -> None:
        """Shut down, then wait until every item handed out by ``get()`` has been ``done()``.

        Workers keep receiving items that were already queued; a concurrent
        :meth:`shutdown` ends the wait early.
        """
        self._drain = True
        self._shut()
        if self._drained is None:
            self._drained = asyncio.Event()
        while self._processing and self._drain:
            self._drained.clear()
            await self._drained.wait()

    def _shut(self) -> None:
        self._shutting_down = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._heap.clear()
        self._waiting.clear()
        if self._drained is not None:
            self._drained.set()
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # ------------------------------------------------------------------ delaying queue

    def add_after(self, item: T, delay: float) -> None:
        """Add ``item`` once ``delay`` seconds have passed; an earlier pending deadline wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        ready_at = self._clock.now() + delay
        entry = self._waiting.get(item)
        if entry is not None:
            if entry[0] <= ready_at:
                return
            entry[3] = False
        entry = [ready_at, next(self._seq), item, True]
        self._waiting[item] = entry
        heapq.heappush(self._heap, entry)
        self._schedule()

    def _schedule(self) -> None:
        while self._heap and not self._heap[0][3]:
            heapq.heappop(self._heap)
        if not self._heap:
            return
        ready_at: float = self._heap[0][0]
        if self._timer is not None:
            if self._timer_deadline <= ready_at:
                return
            self._timer.cancel()
        self._timer_deadline = ready_at
        self._timer = self._clock.call_later(ready_at - self._clock.now(), self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self._clock.now()
        while self._heap and self._heap[0][0] <= now:
            _, _, item, live = heapq.heappop(self._heap)
            if live:
                del self._waiting[item]
                self.add(item)
        self._schedule()

    # ------------------------------------------------------------------ rate limiting

    def add_rate_limited(self, item: T) -> None:
        """Add ``item`` after the delay its rate limiter prescribes (a retry)."""
        if self._shutting_down:
            return
        if self._metrics is not None:
            self._metrics.retry()
        self.add_after(item, self._rate_limiter.when(item))

    def forget(self, item: T) -> None:
        """Clear the rate limiter's failure history for ``item``."""
        self._rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        """How many rate-limited re-adds ``item`` has had since it was last forgotten."""
        return self._rate_limiter.num_requeues(item)
