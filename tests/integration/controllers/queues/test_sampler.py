"""The queue gauges read from a real Redis for the ArkAgents in a real API server, as /metrics
serves them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from ark.controllers.queues.sampler import setup_queue_metrics
from ark.kube.client import KubeClient
from ark.kube.manager import Manager
from ark_runtime.protocol import TASKS_GROUP, dead_stream, results_stream, tasks_stream
from ark_runtime.queue.budget import budget_key
from ark_runtime.queue.connection import connect
from tests.integration.controllers.support import agent, create_all
from tests.support.wait import wait_for


def gauges(manager: Manager) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = manager.metrics.render().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


async def test_pending_lag_dead_letters_and_budget_of_each_agent(
    ark_crds: None, kube: KubeClient, namespace: str, redis_url: str
) -> None:
    redis = connect(redis_url)
    manager = Manager(kube, health_port=0, graceful_timeout=5)
    setup_queue_metrics(manager, (namespace,), redis)
    running = asyncio.create_task(manager.run())
    try:
        await create_all(
            kube,
            agent(
                "writer",
                namespace,
                model="mock",
                replicas=1,
                systemPrompt="W.",
                limits={"maxDailyTokens": 100},
            ),
            agent("idle", namespace, model="mock", replicas=1, systemPrompt="I."),
        )
        stream = tasks_stream(namespace, "writer")
        await redis.xgroup_create(stream, TASKS_GROUP, id="0", mkstream=True)
        for i in range(4):
            await redis.xadd(stream, {"n": str(i)})
        # Two delivered; one of them finished (acknowledged and deleted, as the agents do).
        delivered = await redis.xreadgroup(TASKS_GROUP, "pod-1", {stream: ">"}, count=2)
        first = delivered[0][1][0][0]
        await redis.xack(stream, TASKS_GROUP, first)
        await redis.xdel(stream, first)
        await redis.xadd(dead_stream(namespace, "writer"), {"id": "t-dead"})
        await redis.zadd(budget_key(namespace, "writer"), {"t-1:30": time.time_ns() // 1_000_000})

        writer = (("namespace", namespace), ("stream", stream))
        want: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {
            ("ark_stream_pending", writer): 1,
            ("ark_stream_lag", writer): 2,
            ("ark_dead_letters", (("agent", "writer"), ("namespace", namespace))): 1,
            ("ark_dead_letters", (("agent", "idle"), ("namespace", namespace))): 0,
            (
                "ark_budget_remaining_tokens",
                (("kind", "agent"), ("name", "writer"), ("namespace", namespace)),
            ): 70,
            (
                "ark_budget_limit_tokens",
                (("kind", "agent"), ("name", "writer"), ("namespace", namespace)),
            ): 100,
            ("ark_stream_lag", (("namespace", namespace), ("stream", tasks_stream(namespace, "idle")))): 0,
            ("ark_stream_pending", (("namespace", namespace), ("stream", results_stream(namespace)))): 0,
        }

        def sampled() -> dict[Any, float] | None:
            got = gauges(manager)
            return got if all(got.get(key) == value for key, value in want.items()) else None

        got = await wait_for(sampled, timeout=30, message="the queue gauges of both agents")
        assert not any(
            name == "ark_budget_remaining_tokens" and ("name", "idle") in labels for name, labels in got
        )
    finally:
        manager.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 30)
        await redis.aclose()
