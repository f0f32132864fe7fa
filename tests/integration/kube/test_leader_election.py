"""Leader election between real processes on a real Lease: one leader, takeover after kill -9, handoff."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from localcluster import ControlPlane

from ark.kube.client import KubeClient
from ark.kube.leaderelection import LeadershipLost, format_micro_time
from ark.kube.manager import Manager
from ark.kube.resources import LEASES
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster

LEASE = "ark-test-leader"
SCRIPT = Path(__file__).with_name("leader_process.py")
REPO = Path(__file__).resolve().parents[3]
LEASE_DURATION, RETRY_PERIOD = 15.0, 2.0


class LeaderProcess:
    """leader_process.py running as a separate OS process, with its stdout lines collected."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode().strip())

    def said(self, text: str) -> bool:
        return text in self.lines

    async def wait(self, timeout: float = 30) -> int:
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await self._reader
        return code


StartLeader = Callable[[str], Awaitable[LeaderProcess]]


@pytest.fixture
async def start_leader(control_plane: ControlPlane, namespace: str) -> AsyncIterator[StartLeader]:
    started: list[LeaderProcess] = []

    async def start(identity: str) -> LeaderProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            str(control_plane.kubeconfig),
            namespace,
            LEASE,
            identity,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        process = LeaderProcess(proc)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.proc.kill()
            await process.wait()


class InTestCandidate:
    """A manager in this process competing for the same lease."""

    def __init__(self, kube: KubeClient, namespace: str, identity: str) -> None:
        self.manager = Manager(
            kube,
            name=LEASE,
            leader_election=True,
            lease_namespace=namespace,
            identity=identity,
            health_port=None,
            graceful_timeout=5,
        )
        self.leading_since: float | None = None
        self.cancelled = False
        self.manager.add_runnable(self._lead)
        self.task = asyncio.create_task(self.manager.run())

    async def _lead(self) -> None:
        self.leading_since = time.monotonic()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    async def stop(self) -> None:
        self.manager.stop()
        with contextlib.suppress(LeadershipLost):
            await asyncio.wait_for(self.task, 30)


async def test_one_leader_and_takeover_after_kill_9(
    kube: KubeClient, namespace: str, start_leader: StartLeader
) -> None:
    first = await start_leader("proc-a")
    await wait_for(lambda: first.said("LEADING proc-a"), timeout=60, message="the process leads")
    candidate = InTestCandidate(kube, namespace, "in-test-b")
    try:
        assert candidate.manager.elector is not None
        await wait_for(
            lambda: candidate.manager.elector.leader == "proc-a",
            timeout=30,
            message="the candidate observes the leader",
        )
        assert not candidate.manager.leading, "two leaders at once"
        lease = await kube.get(LEASES, LEASE, namespace)
        assert lease["spec"]["holderIdentity"] == "proc-a"

        first.proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        assert await first.wait() == -signal.SIGKILL
        await wait_for(
            lambda: candidate.leading_since is not None,
            timeout=LEASE_DURATION * 3,
            message="the candidate takes over",
        )
        assert candidate.leading_since is not None
        takeover = candidate.leading_since - killed
        print(
            f"\nleader takeover after kill -9: {takeover:.1f} s "
            f"(lease {LEASE_DURATION:.0f} s, retry {RETRY_PERIOD:.0f} s)"
        )
        # Expiry is judged on the candidate's own clock from when it last saw the lease change,
        # which is at most one (jittered) retry before or after the kill.
        assert takeover <= LEASE_DURATION + 2 * RETRY_PERIOD * 1.2
        lease = await kube.get(LEASES, LEASE, namespace)
        assert lease["spec"]["holderIdentity"] == "in-test-b"
        assert lease["spec"]["leaseTransitions"] >= 1
    finally:
        await candidate.stop()
    released = await kube.get(LEASES, LEASE, namespace)
    assert not released["spec"].get("holderIdentity"), "a graceful stop releases the lease"


async def test_sigterm_hands_over_without_waiting_for_expiry(
    kube: KubeClient, namespace: str, start_leader: StartLeader
) -> None:
    first = await start_leader("proc-a")
    await wait_for(lambda: first.said("LEADING proc-a"), timeout=60, message="the process leads")
    candidate = InTestCandidate(kube, namespace, "in-test-b")
    try:
        assert candidate.manager.elector is not None
        await wait_for(
            lambda: candidate.manager.elector.leader == "proc-a",
            timeout=30,
            message="the candidate observes the leader",
        )
        first.proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert await first.wait() == 0
        assert first.said("STOPPED")
        await wait_for(
            lambda: candidate.leading_since is not None,
            timeout=LEASE_DURATION,
            message="handover after release",
        )
        assert candidate.leading_since is not None
        handover = candidate.leading_since - stopped
        print(f"\nleader handover after SIGTERM: {handover:.1f} s")
        assert handover < LEASE_DURATION / 2, "a released lease is taken without waiting for expiry"
    finally:
        await candidate.stop()


async def test_losing_the_lease_cancels_leader_work_promptly(kube: KubeClient, namespace: str) -> None:
    candidate = InTestCandidate(kube, namespace, "in-test-a")
    try:
        await wait_for(lambda: candidate.leading_since is not None, timeout=30, message="leading")
        lease = await kube.get(LEASES, LEASE, namespace)
        stamp = format_micro_time(datetime.datetime.now(datetime.UTC))
        lease["spec"].update(holderIdentity="intruder", renewTime=stamp, acquireTime=stamp)
        await kube.replace(LEASES, lease)
        taken = time.monotonic()
        with pytest.raises(LeadershipLost):
            await asyncio.wait_for(candidate.task, 30)
        lost_after = time.monotonic() - taken
        print(f"\nleader work cancelled {lost_after:.1f} s after the lease was taken")
        assert candidate.cancelled
        assert lost_after <= RETRY_PERIOD + 1.0
        lease = await kube.get(LEASES, LEASE, namespace)
        assert lease["spec"]["holderIdentity"] == "intruder", (
            "a deposed leader must not release another's lease"
        )
    finally:
        candidate.manager.stop()
