"""The task server alone, against the real API server: a client that stops sending its body is cut
off with a 408 and holds nothing; another client is served meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from ark.controllers.cache import Cache
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.controllers.service.controller import ARK_SERVICES
from ark.controllers.service.server import TaskServer
from ark.kube.client import KubeClient
from ark.kube.manager import Manager
from ark.kube.resources import DEPLOYMENTS
from tests.integration.controllers.service.test_service import ark_service
from tests.support.wait import wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture
async def server(ark_crds: None, kube: KubeClient, namespace: str) -> AsyncIterator[TaskServer]:
    manager = Manager(kube, health_port=0, graceful_timeout=5, leader_election=False)
    factory = manager.informers
    task_server = TaskServer(
        Cache(factory, ARK_SERVICES, [namespace]),
        Cache(factory, ARK_RUNS, [namespace]),
        Cache(factory, DEPLOYMENTS, [namespace]),
        Cache(factory, ARK_TEAMS, [namespace]),
        kube,
        host="127.0.0.1",
        port=0,
        body_timeout=0.5,
    )
    manager.add_runnable(task_server.run, needs_leader=False)
    running = asyncio.create_task(manager.run())
    await wait_for(lambda: manager.ready, timeout=30, message="caches synced")
    yield task_server
    manager.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(running, 30)


async def test_a_body_that_stops_coming_is_a_408(
    server: TaskServer, kube: KubeClient, namespace: str
) -> None:
    await kube.create(ARK_SERVICES, ark_service("research", namespace, "researcher", ("HTTP", 80)))
    await wait_for(lambda: server.services.get(namespace, "research"), message="the ArkService cached")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        f"POST /v1/tasks HTTP/1.1\r\nHost: research.{namespace}\r\nContent-Type: application/json\r\n"
        'Content-Length: 100\r\n\r\n{"prompt": "'.encode()
    )
    await writer.drain()
    # Meanwhile another client is answered (here: refused for its body, at once).
    async with httpx.AsyncClient(timeout=10) as client:
        other = await client.post(
            f"http://127.0.0.1:{server.port}/v1/tasks",
            content=b"[]",
            headers={"Host": f"research.{namespace}"},
        )
    assert other.status_code == 400
    head = await asyncio.wait_for(reader.read(4096), 10)
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"the body did not arrive within 0.5 s" in head
    writer.close()
    runs = await kube.list(ARK_RUNS, namespace)
    assert runs["items"] == []
