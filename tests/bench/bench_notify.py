"""ArkNotify in the local control plane with a real ``ark-operator`` process and a loopback receiver.

Figures (measured, never asserted):

* ``notify_delivery_lag_p50`` / ``notify_delivery_lag_max``: a watch sees an ArkRun reach
  ``Succeeded`` -> the Slack-style receiver has the message, over 30 runs of one team (the test
  plays the agent over Redis, one run at a time).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import statistics
import time

from localcluster import ControlPlane

from ark.controllers.notify.controller import ARK_NOTIFIES
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.kube.resources import SECRETS
from ark_runtime.queue.connection import connect
from tests.bench.stack import operator_stack
from tests.integration.controllers.run.support import Pods, trigger
from tests.support.receiver import Receiver
from tests.support.wait import wait_for

NAMESPACE = "bench"
RUNS = 30


async def measure(cp: ControlPlane, redis_url: str, receiver: Receiver) -> None:
    redis = connect(redis_url)
    pods = Pods(redis, NAMESPACE)
    async with await KubeClient.from_kubeconfig(cp.kubeconfig) as client:
        url = base64.b64encode(receiver.url("/slack").encode()).decode()
        await client.create(
            SECRETS,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "slack", "namespace": NAMESPACE},
                "data": {"url": url},
            },
        )
        await client.create(
            ARK_NOTIFIES,
            {
                "apiVersion": "arkonis.dev/v1alpha1",
                "kind": "ArkNotify",
                "metadata": {"name": "ops", "namespace": NAMESPACE},
                "spec": {
                    "channel": {
                        "type": "slack",
                        "slack": {"webhookUrlSecretRef": {"name": "slack", "key": "url"}},
                    },
                    "events": [{"type": "TeamSucceeded", "template": "{{ .run.name }}"}],
                },
            },
        )
        await client.create(
            ARK_TEAMS,
            {
                "apiVersion": "arkonis.dev/v1alpha1",
                "kind": "ArkTeam",
                "metadata": {"name": "t", "namespace": NAMESPACE},
                "spec": {
                    "entry": "w",
                    "notifyRef": {"name": "ops"},
                    "roles": [{"name": "w", "model": "mock", "systemPrompt": "p"}],
                },
            },
        )
        succeeded: dict[str, float] = {}
        rv = (await client.list(ARK_RUNS, NAMESPACE, limit=1))["metadata"]["resourceVersion"]

        async def watch() -> None:
            async with contextlib.aclosing(
                client.watch(ARK_RUNS, NAMESPACE, resource_version=rv, timeout_seconds=300)
            ) as stream:
                async for change in stream:
                    if (change.object.get("status") or {}).get("phase") == "Succeeded":
                        succeeded.setdefault(change.object["metadata"]["name"], time.time())

        watcher = asyncio.create_task(watch())
        lags = []
        try:
            for n in range(RUNS):
                name = await trigger(client, NAMESPACE, "t", task="go")
                uid = (await client.get(ARK_RUNS, name, NAMESPACE))["metadata"]["uid"]
                await pods.answer(await pods.task("t-w", "w", run=uid), "ok")
                await wait_for(
                    lambda n=n: len(receiver.requests("/slack")) > n, timeout=30, interval=0.002, message=name
                )
                arrived = time.time()
                await wait_for(lambda r=name: r in succeeded, timeout=30, message=f"{name} watched")
                lags.append((arrived - succeeded[name]) * 1000)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await redis.aclose()
        lags.sort()
        print(f"bench: notify_delivery_lag_p50 {statistics.median(lags):.1f} ms", flush=True)
        print(f"bench: notify_delivery_lag_max {lags[-1]:.1f} ms", flush=True)


def main() -> None:
    """A control plane, Redis, a receiver and the operator, then the figures."""
    with operator_stack(NAMESPACE) as stack, Receiver() as receiver:
        stack.add_operator()
        asyncio.run(measure(stack.cp, stack.redis.url, receiver))
