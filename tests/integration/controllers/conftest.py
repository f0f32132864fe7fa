"""The ArkAgent controller running in-process against the real API server and Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from ark.controllers.agent import AgentControllerOptions, setup_agent_controller
from ark.controllers.agent_deployment import AgentDefaults
from ark.controllers.budget import BudgetReader
from ark.kube.client import KubeClient
from ark.kube.controller import Controller
from ark.kube.manager import Manager
from ark_runtime.queue.connection import connect
from tests.conftest import Kubectl
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
