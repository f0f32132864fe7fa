"""The operator's controllers running in-process against the real API server and Redis.

``operator``: the ArkAgent controller alone. ``start_operator``: every controller, as
``ark-operator`` assembles them; the tests then play the agent pods' part of the Redis protocol
(read tasks, write results) so that each rule of it can be exercised exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis

from ark.controllers.agent.controller import AgentControllerOptions, setup_agent_controller
from ark.controllers.agent.deployment import AgentDefaults
from ark.controllers.budget import BudgetReader
from ark.kube.client import KubeClient
from ark.kube.controller import Controller
from ark.kube.manager import Manager
from ark.operator.app import add_controllers
from ark.operator.config import parse_config
from ark_runtime.queue.connection import connect
from tests.conftest import Kubectl
from tests.integration.controllers.run.support import Pods
from tests.integration.controllers.support import install_crds
from tests.support.wait import wait_for

IMAGE = "ghcr.io/arkonis-dev/ark:test"


@pytest.fixture(scope="session")
def ark_crds(kubectl: Kubectl) -> None:
    """The ArkAgent, ArkSettings and ArkMemory CRDs, installed once per session."""
    install_crds(kubectl)


@pytest.fixture
async def kube(api_client: Any) -> KubeClient:
    """A KubeClient on the session's admin ApiClient."""
    return KubeClient(api_client)


@dataclass
class Operator:
    """A running manager with the ArkAgent controller, watching one namespace."""

    manager: Manager
    controller: Controller
    redis_url: str


@pytest.fixture
async def operator(
    ark_crds: None, kube: KubeClient, namespace: str, redis_url: str
) -> AsyncIterator[Operator]:
    """The controller for ``namespace`` (no leader election), stopped gracefully afterwards."""
    redis = connect(redis_url)
    manager = Manager(kube, health_port=0, graceful_timeout=5)
    options = AgentControllerOptions(
        AgentDefaults(image=IMAGE, task_queue_url=redis_url), (namespace,), workers=4
    )
    controller = setup_agent_controller(manager, options, budget=BudgetReader(redis))
    running = asyncio.create_task(manager.run())
    await wait_for(lambda: manager.leading, timeout=30, message="manager leading")
    yield Operator(manager, controller, redis_url)
    manager.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(running, 30)
    await redis.aclose()


Start = Callable[..., Awaitable["Cluster"]]


@dataclass
class Cluster:
    """The operator for one namespace, a Redis client and the test's hands on the agents' streams."""

    manager: Manager
    kube: KubeClient
    redis: aioredis.Redis
    namespace: str
    pods: Pods
    running: asyncio.Task[None]

    async def stop(self) -> None:
        """Stop this operator gracefully (a restart is then a new ``start_operator()``)."""
        self.manager.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.running, 30)


@pytest.fixture
async def start_operator(
    ark_crds: None, kube: KubeClient, namespace: str, redis_url: str
) -> AsyncIterator[Start]:
    """``await start_operator(step_grace=1.0)``: the operator's controllers for ``namespace``."""
    redis = connect(redis_url)
    started: list[tuple[Manager, asyncio.Task[None]]] = []

    async def start(*flags: str, step_grace: float = 1.0) -> Cluster:
        config = parse_config(
            [
                f"--namespace={namespace}",
                f"--task-queue-url={redis_url}",
                f"--agent-image={IMAGE}",
                "--no-leader-elect",
                f"--step-grace-seconds={step_grace}",
                "--workers=4",
                # An ephemeral loopback port for the ArkService task server (Cluster.tasks_url).
                "--service-addr=127.0.0.1:0",
                *flags,
            ],
            env={},
        )
        manager = Manager(kube, health_port=0, graceful_timeout=5)
        add_controllers(manager, config, redis, redis_url)
        running = asyncio.create_task(manager.run())
        started.append((manager, running))
        await wait_for(lambda: manager.leading, timeout=30, message="manager leading")
        return Cluster(manager, kube, redis, namespace, Pods(redis, namespace), running)

    yield start
    for manager, running in started:
        if not running.done():
            manager.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(running, 30)
    await redis.aclose()
