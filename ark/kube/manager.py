"""The manager: shared informers, controllers, leader election, health/metrics HTTP, graceful stop.

Interface::

    manager = Manager(client, name="ark-operator", leader_election=True, lease_namespace="ark-system",
                      health_port=8081)
    informer = manager.informers.informer(CONFIGMAPS)
    ctl = Controller("x", reconcile, workers=4, metrics=manager.metrics); ctl.watch(informer)
    manager.add_controller(ctl)
    manager.add_runnable(consume_results)             # any coroutine function; leader-only by default
    recorder = manager.event_recorder("ark-operator") # started and flushed with the manager
    await manager.run(handle_signals=True)            # until SIGTERM/SIGINT, stop(), or a fatal error
    manager.stop()                                    # graceful: in-flight reconciles finish

Lifecycle of ``run``: serve ``/healthz`` ``/readyz`` ``/metrics`` -> start informers
-> wait for every cache to sync (``/readyz`` turns 200) -> acquire the lease (if
leader election is on) -> start controllers and leader runnables. On stop,
runnables are cancelled (their signal to wind down), controllers stop taking
keys and get ``graceful_timeout`` seconds to finish, then the lease is
released. If the lease is lost, controllers are cancelled at once and ``run``
raises :class:`LeadershipLost` (the process should exit and be restarted, as
with controller-runtime).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from ark.kube.client import KubeClient
from ark.kube.clock import Clock, RealClock
from ark.kube.controller import Controller
from ark.kube.events import EventRecorder
from ark.kube.informer import InformerFactory
from ark.kube.leaderelection import LeaderElector, LeadershipLost
from ark.kube.metrics import Metrics

log = logging.getLogger(__name__)

Runnable = Callable[[], Coroutine[Any, Any, None]]

__all__ = ["CacheSyncTimeout", "LeadershipLost", "Manager"]


class CacheSyncTimeout(Exception):
    """The informers' caches did not fill in time (RBAC or connectivity problems, usually)."""


class Manager:
    """Runs informers, controllers and runnables for one operator process."""

    def __init__(
        self,
        client: KubeClient,
        *,
        name: str = "ark-operator",
        leader_election: bool = False,
        lease_name: str | None = None,
        lease_namespace: str = "default",
        identity: str | None = None,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        health_host: str = "127.0.0.1",
        health_port: int | None = 8081,
        graceful_timeout: float = 30.0,
        cache_sync_timeout: float = 120.0,
        min_watch_timeout: float = 300.0,
        metrics: Metrics | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self._clock = clock or RealClock()
        self.metrics = metrics or Metrics()
        self.informers = InformerFactory(client, clock=self._clock, min_watch_timeout=min_watch_timeout)
        self.identity = identity or f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
        self.elector = (
            LeaderElector(
                client,
                lease_name or name,
                namespace=lease_namespace,
                identity=self.identity,
                lease_duration=lease_duration,
                renew_deadline=renew_deadline,
                retry_period=retry_period,
                clock=self._clock,
                metrics=self.metrics,
            )
            if leader_election
            else None
        )
        self.health_host = health_host
        self.health_port = health_port
        self.graceful_timeout = graceful_timeout
        self.cache_sync_timeout = cache_sync_timeout
        self._controllers: list[Controller] = []
        self._runnables: list[tuple[Runnable, bool]] = []
        self._recorders: list[EventRecorder] = []
        self._stop = asyncio.Event()
        self._ready = False
        self._leading = False
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ assembly

    def add_controller(self, controller: Controller) -> None:
        """Run ``controller`` while this manager leads (always, without leader election)."""
        self._controllers.append(controller)

    def add_runnable(self, runnable: Runnable, *, needs_leader: bool = True) -> None:
        """Run ``runnable()`` while leading (or, with ``needs_leader=False``, as soon as caches sync)."""
        self._runnables.append((runnable, needs_leader))

    def event_recorder(self, component: str | None = None) -> EventRecorder:
        """An Event recorder flushed and stopped with the manager."""
        recorder = EventRecorder(self.client, component or self.name, host=self.identity, clock=self._clock)
        self._recorders.append(recorder)
        return recorder

    @property
    def ready(self) -> bool:
        """True once caches have synced, until shutdown begins."""
        return self._ready

    @property
    def leading(self) -> bool:
        """True while controllers are running (this process is the leader)."""
        return self._leading

    def stop(self) -> None:
        """Ask ``run`` to shut down gracefully."""
        self._stop.set()

    # ------------------------------------------------------------------ running

    async def run(self, *, handle_signals: bool = False) -> None:
        """Run until :meth:`stop`, a signal (with ``handle_signals``), or a fatal error."""
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        side_tasks: list[asyncio.Task[None]] = []
        try:
            await self._start_http()
            for recorder in self._recorders:
                recorder.start()
            self.informers.start()
            if not await self._until_stopped(self.informers.wait_for_cache_sync(self.cache_sync_timeout)):
                return
            if not self.informers.has_synced():
                raise CacheSyncTimeout(f"caches not synced after {self.cache_sync_timeout:.0f}s")
            self._ready = True
            log.info("%s: caches synced", self.name)
            side_tasks = [asyncio.create_task(r()) for r, needs_leader in self._runnables if not needs_leader]
            if self.elector is None:
                await self._lead()
            else:
                await self._until_stopped(self.elector.run(self._lead))
        finally:
            self._ready = False
            await self._cancel(side_tasks)
            for recorder in self._recorders:
                await recorder.stop()
            await self.informers.stop()
            await self._stop_http()
            if handle_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)

    async def _until_stopped(self, coro: Coroutine[Any, Any, Any]) -> bool:
        """Run ``coro`` unless stop() comes first; returns False if it was abandoned because of stop()."""
        work = asyncio.create_task(coro)
        stopper = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if work.done():
                work.result()
                return True
            if not self._leading:
                await self._cancel([work])
                return False
            # Leading: _lead() has seen the stop too and is shutting controllers down gracefully.
            await work
            return True
        finally:
            await self._cancel([stopper])
            if not work.done():
                await self._cancel([work])

    async def _lead(self) -> None:
        self._leading = True
        log.info(
            "%s: %s is leading; starting %d controllers", self.name, self.identity, len(self._controllers)
        )
        controllers = [asyncio.create_task(c.run(), name=f"controller {c.name}") for c in self._controllers]
        runnables = [asyncio.create_task(r()) for r, needs_leader in self._runnables if needs_leader]
        tasks = controllers + runnables
        stopper = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait({*tasks, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task is stopper or task.cancelled() else task.exception()
                if error is not None:
                    raise error
            # Graceful stop: runnables are told at once (cancelled, as a context would be);
            # controllers stop taking keys and finish what they are doing.
            for controller in self._controllers:
                controller.stop()
            await self._cancel(runnables)
            if controllers:
                _, pending = await asyncio.wait(controllers, timeout=self.graceful_timeout)
                if pending:
                    log.warning(
                        "%s: %d controllers still busy after %.0fs; cancelling",
                        self.name,
                        len(pending),
                        self.graceful_timeout,
                    )
        except asyncio.CancelledError:
            # Leadership lost: another process may already be reconciling, so stop at once.
            await self._cancel(tasks)
            raise
        finally:
            await self._cancel([stopper, *tasks])
            self._leading = False

    @staticmethod
    async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ HTTP

    async def _start_http(self) -> None:
        if self.health_port is None:
            return
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.health_host, self.health_port)
        await site.start()
        address = self._runner.addresses[0]
        self.health_port = int(address[1])
        log.info(
            "%s: serving /healthz /readyz /metrics on %s:%d", self.name, self.health_host, self.health_port
        )

    async def _stop_http(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        dead = [i.reflector.name for i in self.informers.informers if i.crashed]
        if dead:
            return web.Response(status=500, text=f"reflectors stopped: {', '.join(dead)}\n")
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        if not self._ready:
            return web.Response(status=503, text="caches not synced\n")
        return web.Response(text="ok\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
