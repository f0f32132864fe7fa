"""Cron ArkEvents in the local control plane with a real ``ark-operator`` process.

Figures (measured, never asserted):

* ``cron_fire_lag_p50`` / ``cron_fire_lag_max``: the scheduled minute -> a watch sees the fire's
  ArkRun, over 20 events on ``* * * * *`` that are all due at the same minute (one sample each,
  so a run takes one minute plus start-up).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import statistics
import time

from localcluster import ControlPlane

from ark.controllers.event.controller import ARK_EVENTS
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from tests.bench.stack import operator_stack
from tests.support.wait import wait_for

NAMESPACE = "bench"
EVENTS = 20


async def measure(cp: ControlPlane) -> None:
    async with await KubeClient.from_kubeconfig(cp.kubeconfig) as client:
        team = {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkTeam",
            "metadata": {"name": "sink", "namespace": NAMESPACE},
            "spec": {"entry": "read", "roles": [{"name": "read", "model": "mock", "systemPrompt": "p"}]},
        }
        await client.create(ARK_TEAMS, team)
        created = []
        for n in range(EVENTS):
            event = {
                "apiVersion": "arkonis.dev/v1alpha1",
                "kind": "ArkEvent",
                "metadata": {"name": f"tick-{n}", "namespace": NAMESPACE},
                "spec": {"source": {"type": "cron", "cron": "* * * * *"}, "targets": [{"team": "sink"}]},
            }
            created.append((await client.create(ARK_EVENTS, event))["metadata"]["creationTimestamp"])
        # The first minute after the last creation is due for every event.
        latest = max(datetime.datetime.fromisoformat(c) for c in created)
        minute = (latest.replace(second=0) + datetime.timedelta(minutes=1)).timestamp()
        seen: dict[str, float] = {}
        rv = (await client.list(ARK_RUNS, NAMESPACE, limit=1))["metadata"]["resourceVersion"]

        async def watch() -> None:
            async with contextlib.aclosing(
                client.watch(ARK_RUNS, NAMESPACE, resource_version=rv, timeout_seconds=300)
            ) as stream:
                async for change in stream:
                    if change.type == "ADDED":
                        owner = (change.object["metadata"].get("ownerReferences") or [{}])[0]
                        seen.setdefault(str(owner.get("name")), time.time())

        watcher = asyncio.create_task(watch())
        try:
            await wait_for(lambda: len(seen) >= EVENTS, timeout=150, interval=0.2, message="every fire")
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        lags = sorted((t - minute) * 1000 for t in seen.values())
        print(f"bench: cron_fire_lag_p50 {statistics.median(lags):.1f} ms", flush=True)
        print(f"bench: cron_fire_lag_max {lags[-1]:.1f} ms", flush=True)


def main() -> None:
    """A control plane, Redis and the operator, then the figures."""
    with operator_stack(NAMESPACE) as stack:
        stack.add_operator()
        asyncio.run(measure(stack.cp))
