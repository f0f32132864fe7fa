"""Leader election on a ``coordination.k8s.io/v1`` Lease (client-go ``tools/leaderelection``).

Interface::

    elector = LeaderElector(client, "ark-operator", namespace="ark-system", identity="pod-abc")
    await elector.run(leading)      # acquire, run `await leading()` while renewing
    elector.is_leader; elector.leader   # our state, and the holder we last observed

``run`` returns ``leading()``'s result when it finishes (the lease is then
released so a successor need not wait for it to expire). If the lease is lost,
``leading()`` is cancelled at once and ``run`` raises :class:`LeadershipLost`.
Cancelling ``run`` cancels ``leading()`` and releases the lease.

Timing (15 s lease / 10 s renew deadline / 2 s retry by default):

* Candidates poll every ``retry_period`` (plus up to 20 % jitter).
* A lease held by someone else counts as expired ``lease_duration`` seconds
  after we *observed* its last change on our own clock, so clock skew between
  machines does not matter.
* The leader renews every ``retry_period``; if it cannot renew within
  ``renew_deadline`` it gives up, before the lease can expire for the others.
  If it sees another holder in the Lease it gives up immediately.

So after a leader dies, another candidate takes over after roughly
``lease_duration + retry_period`` (at most ``lease_duration + 2 * retry_period * 1.2``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ark.kube.client import AlreadyExists, ApiError, Conflict, KubeClient, NotFound, TransportError
from ark.kube.clock import Clock, RealClock
from ark.kube.metrics import Metrics
from ark.kube.resources import LEASES

Obj = dict[str, Any]
R = TypeVar("R")
log = logging.getLogger(__name__)

_JITTER = 0.2


class LeadershipLost(Exception):
    """The lease was lost (not renewed in time, or taken by another holder)."""


def format_micro_time(moment: datetime.datetime) -> str:
    """``metav1.MicroTime`` serialisation."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Acquires and keeps a Lease; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        name: str,
        *,
        namespace: str,
        identity: str,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period * (1 + _JITTER):
            raise ValueError("need lease_duration > renew_deadline > retry_period * 1.2")
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._clock = clock or RealClock()
        self._metrics = metrics
        self._rng = rng or random.Random()
        self.is_leader = False
        self.leader: str | None = None
        self._observed: Obj | None = None
        self._observed_time = 0.0
        self._taken_by_other = False

    async def run(self, leading: Callable[[], Coroutine[Any, Any, R]]) -> R:
        """Become leader, then run ``leading()`` for as long as the lease is held."""
        await self._acquire()
        work = asyncio.create_task(leading(), name=f"leading {self.name}")
        renew = asyncio.create_task(self._renew_loop(), name=f"renew {self.name}")
        try:
            await asyncio.wait({work, renew}, return_when=asyncio.FIRST_COMPLETED)
            if work.done():
                return work.result()
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            raise LeadershipLost(f"lost lease {self.namespace}/{self.name} (holder now {self.leader!r})")
        finally:
            for task in (work, renew):
                task.cancel()
            for task in (work, renew):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if self.is_leader:
                await self._release()
            self._set_leader(False)

    def _set_leader(self, leading: bool) -> None:
        self.is_leader = leading
        if self._metrics is not None:
            self._metrics.leader.labels(name=self.name).set(1 if leading else 0)

    async def _acquire(self) -> None:
        log.info("%s: waiting to acquire lease %s/%s", self.identity, self.namespace, self.name)
        self._taken_by_other = False
        while True:
            if await self._try_safely(self.retry_period * 4):
                log.info("%s: acquired lease %s/%s", self.identity, self.namespace, self.name)
                self._set_leader(True)
                return
            await self._clock.sleep(self.retry_period * (1 + _JITTER * self._rng.random()))

    async def _renew_loop(self) -> None:
        """Returns when leadership is lost."""
        while True:
            await self._clock.sleep(self.retry_period)
            deadline = self._clock.now() + self.renew_deadline
            while True:
                remaining = deadline - self._clock.now()
                if remaining > 0 and await self._try_safely(remaining):
                    break
                if self._taken_by_other or self._clock.now() >= deadline:
                    log.warning("%s: lost lease %s/%s", self.identity, self.namespace, self.name)
                    self._set_leader(False)
                    return
                await self._clock.sleep(min(self.retry_period, max(0.0, deadline - self._clock.now())))

    async def _try_safely(self, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                return await self._try_acquire_or_renew()
        except (ApiError, TransportError, TimeoutError) as exc:
            log.info("%s: lease %s/%s: %s", self.identity, self.namespace, self.name, exc)
            return False

    async def _try_acquire_or_renew(self) -> bool:
        now = self._clock.now()
        stamp = format_micro_time(self._clock.wall())
        try:
            lease = await self.client.get(LEASES, self.name, self.namespace)
        except NotFound:
            lease = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(stamp, stamp, 0),
            }
            try:
                created = await self.client.create(LEASES, lease)
            except AlreadyExists:
                return False
            self._observe(created["spec"], now)
            return True

        spec: Obj = lease.get("spec") or {}
        if spec != self._observed:
            self._observe(spec, now)
        holder = spec.get("holderIdentity")
        duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
        held_by_other = bool(holder) and holder != self.identity
        if held_by_other and self._observed_time + duration > now:
            self._taken_by_other = self.is_leader
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        if holder == self.identity:
            acquire_time = spec.get("acquireTime") or stamp
        else:
            acquire_time, transitions = stamp, transitions + 1
        lease["spec"] = self._spec(acquire_time, stamp, transitions)
        try:
            updated = await self.client.replace(LEASES, lease)
        except Conflict:
            return False
        self._observe(updated["spec"], now)
        return True

    def _spec(self, acquire_time: str, renew_time: str, transitions: int) -> Obj:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": round(self.lease_duration),
            "acquireTime": acquire_time,
            "renewTime": renew_time,
            "leaseTransitions": transitions,
        }

    def _observe(self, spec: Obj, now: float) -> None:
        self._observed = spec
        self._observed_time = now
        self.leader = spec.get("holderIdentity") or None

    async def _release(self) -> None:
        """Give the lease up so that a successor can take it without waiting for expiry."""
        try:
            async with asyncio.timeout(self.retry_period * 2):
                lease = await self.client.get(LEASES, self.name, self.namespace)
                spec = lease.get("spec") or {}
                if spec.get("holderIdentity") != self.identity:
                    return
                stamp = format_micro_time(self._clock.wall())
                lease["spec"] = {
                    "leaseDurationSeconds": 1,
                    "acquireTime": stamp,
                    "renewTime": stamp,
                    "leaseTransitions": int(spec.get("leaseTransitions") or 0),
                }
                await self.client.replace(LEASES, lease)
                log.info("%s: released lease %s/%s", self.identity, self.namespace, self.name)
        except (ApiError, TransportError, TimeoutError) as exc:
            log.warning(
                "%s: could not release lease %s/%s: %s", self.identity, self.namespace, self.name, exc
            )
