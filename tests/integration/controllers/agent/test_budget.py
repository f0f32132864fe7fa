"""maxDailyTokens against real Redis: scaled to 0 when used up, back exactly when the window frees up."""

from __future__ import annotations

import asyncio
import time

import pytest
from localcluster import free_port

from ark.controllers.agent.controller import AgentControllerOptions, setup_agent_controller
from ark.controllers.agent.deployment import AgentDefaults
from ark.controllers.budget import BudgetReader
from ark.kube.client import KubeClient
from ark.kube.manager import Manager
from ark.kube.resources import EVENTS
from ark_runtime.queue.budget import WINDOW_MS, budget_key
from ark_runtime.queue.connection import connect
from tests.integration.controllers.conftest import Operator
from tests.integration.controllers.support import agent, condition, create_all, get_agent, get_deployment
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

FREES_UP_IN_MS = 6000


async def test_used_up_budget_scales_to_zero_and_back_when_the_oldest_usage_leaves(
    operator: Operator, kube: KubeClient, namespace: str
) -> None:
    redis = connect(operator.redis_url)
    now_ms = time.time_ns() // 1_000_000
    # What the runtime would have recorded: 80 tokens almost 24 h ago, 30 tokens a second ago.
    old_entry_at = now_ms - WINDOW_MS + FREES_UP_IN_MS
    await redis.zadd(
        budget_key(namespace, "thrifty"), {"run.a.1:80": old_entry_at, "run.b.1:30": now_ms - 1000}
    )
    frees_up_at = (old_entry_at + WINDOW_MS) / 1000
    try:
        limits = {"maxDailyTokens": 100}
        await create_all(
            kube, agent("thrifty", namespace, model="mock", replicas=2, systemPrompt="x", limits=limits)
        )

        async def exceeded() -> dict[str, object] | None:
            obj = await get_agent(kube, namespace, "thrifty")
            return obj if condition(obj, "BudgetExceeded").get("status") == "True" else None

        obj = await wait_for(exceeded, timeout=30, message="BudgetExceeded=True")
        assert time.time() < frees_up_at, "the test setup was too slow to observe the exhausted budget"
        budget = condition(obj, "BudgetExceeded")
        assert budget["reason"] == "DailyLimitReached"
        assert budget["message"].startswith("110 of 100 tokens used in the last 24 h; replicas scaled to 0")
        assert condition(obj, "Ready")["reason"] == "BudgetExceeded"
        status = obj["status"]
        assert status["dailyTokensUsed"] == 110
        assert status["dailyTokenUsage"]["totalTokens"] == 110
        assert status["budgetResetsInMinutes"] == 1
        deployment = await get_deployment(kube, namespace, "thrifty")
        assert deployment is not None
        assert deployment["spec"]["replicas"] == 0
        env = {
            e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["AGENT_DAILY_TOKEN_LIMIT"] == "100"

        async def scaled_back() -> float | None:
            deployment = await get_deployment(kube, namespace, "thrifty")
            return time.time() if deployment is not None and deployment["spec"]["replicas"] == 2 else None

        back_at = await wait_for(scaled_back, timeout=30, interval=0.02, message="scaled back to 2")
        # Requeued for the moment the 80 tokens left the window: not before, and not a poll later.
        assert frees_up_at <= back_at < frees_up_at + 3

        async def restored() -> dict[str, object] | None:
            obj = await get_agent(kube, namespace, "thrifty")
            return (
                obj
                if not condition(obj, "BudgetExceeded") and obj["status"].get("readyReplicas") == 2
                else None
            )

        obj = await wait_for(restored, timeout=60, message="BudgetExceeded removed, 2 ready")
        assert obj["status"]["dailyTokensUsed"] == 30
        assert condition(obj, "Ready")["status"] == "True"

        async def reasons() -> set[str]:
            page = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=thrifty")
            return {e["reason"] for e in page["items"]}

        async def recorded() -> bool:
            return {"BudgetExceeded", "BudgetRestored", "ScaledUp"} <= await reasons()

        await wait_for(recorded, timeout=30, message="budget events")
    finally:
        await redis.delete(budget_key(namespace, "thrifty"))
        await redis.aclose()


async def test_an_unreachable_task_queue_is_reported_and_nothing_is_changed(
    ark_crds: None, kube: KubeClient, namespace: str
) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    redis = connect(unreachable)
    manager = Manager(kube, health_port=0, graceful_timeout=5)
    options = AgentControllerOptions(
        AgentDefaults(image="img", task_queue_url=unreachable), (namespace,), workers=2
    )
    setup_agent_controller(manager, options, budget=BudgetReader(redis))
    running = asyncio.create_task(manager.run())
    try:
        limits = {"maxDailyTokens": 100}
        await create_all(
            kube, agent("blind", namespace, model="mock", replicas=1, systemPrompt="x", limits=limits)
        )

        async def reported() -> dict[str, object] | None:
            obj = await get_agent(kube, namespace, "blind")
            return obj if condition(obj, "Ready").get("reason") == "ReconcileError" else None

        obj = await wait_for(reported, timeout=30, message="ReconcileError")
        assert condition(obj, "Ready")["message"].startswith("cannot read token usage from the task queue: ")
        assert await get_deployment(kube, namespace, "blind") is None
    finally:
        manager.stop()
        await asyncio.wait_for(running, 30)
        await redis.aclose()
