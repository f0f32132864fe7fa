"""The operator with its trigger webhook server on loopback, and an httpx client for it.

``await serve(*flags)`` starts every controller and the webhook server (port 0) for the test's
namespace, as ``ark-operator`` assembles them, and returns the pieces a test drives: the
cluster (the tests play the agent pods' part of the Redis protocol), the server and a client.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml

from ark.controllers.event.controller import ARK_EVENTS, token_secret_name
from ark.kube.client import KubeClient, NotFound
from ark.kube.manager import Manager
from ark.kube.resources import SECRETS
from ark.operator.app import add_controllers, add_webhook_server
from ark.operator.config import parse_config
from ark.webhook.server import WebhookServer
from ark_runtime.queue.connection import connect
from tests.integration.controllers.conftest import IMAGE, Cluster, ark_crds, kube
from tests.integration.controllers.run.support import Pods
from tests.support.wait import wait_for

__all__ = ["ark_crds", "kube"]

Obj = dict[str, Any]


@dataclass
class Webhook:
    """A running operator, its webhook server, and a client whose base URL is that server."""

    cluster: Cluster
    server: WebhookServer
    http: httpx.AsyncClient

    async def event(self, text: str) -> str:
        """Create the ArkEvent written as YAML; wait for its token Secret; return the token."""
        event = yaml.safe_load(text)
        event.update(apiVersion="arkonis.dev/v1alpha1", kind="ArkEvent")
        event["metadata"]["namespace"] = self.cluster.namespace
        await self.cluster.kube.create(ARK_EVENTS, event)
        name = event["metadata"]["name"]
        if (event["spec"].get("source") or {}).get("type") != "webhook":
            await wait_for(lambda: self._answers(name, 400), timeout=30, message=f"the server seeing {name}")
            return ""
        token = await token_of(self.cluster.kube, self.cluster.namespace, name)
        # The server reads its informer caches, a moment behind the API server: a wrong token is
        # a 401 (not a 404 or 503) once it has both the event and its token.
        await wait_for(lambda: self._answers(name, 401), timeout=30, message=f"the server seeing {name}")
        return token

    async def _answers(self, event: str, status: int) -> bool:
        answer = await self.http.post(self.path(event), headers={"Authorization": "Bearer probe"})
        return answer.status_code == status

    def path(self, event: str) -> str:
        """The fire path of ``event`` in the test's namespace."""
        return f"/triggers/{self.cluster.namespace}/{event}/fire"


async def token_of(kube: KubeClient, namespace: str, event: str) -> str:
    """The token the operator made for ``event`` (once its Secret exists)."""

    async def secret() -> Obj | None:
        try:
            return await kube.get(SECRETS, token_secret_name(event), namespace)
        except NotFound:
            return None

    found = await wait_for(secret, timeout=30, message="the token Secret")
    return base64.b64decode(found["data"]["token"]).decode()


Serve = Callable[..., Awaitable[Webhook]]


@pytest.fixture
async def serve(ark_crds: None, kube: KubeClient, namespace: str, redis_url: str) -> AsyncIterator[Serve]:
    """``await serve("--trigger-webhook-burst=5", tracing=True)``: the operator and its webhook server."""
    redis = connect(redis_url)
    started: list[tuple[Manager, asyncio.Task[None], httpx.AsyncClient]] = []

    async def start(*flags: str, leader_elect: bool = False, tracing: bool = False) -> Webhook:
        election = (
            ["--leader-elect", f"--leader-election-namespace={namespace}", "--leader-election-id=webhook"]
            if leader_elect
            else ["--no-leader-elect"]
        )
        config = parse_config(
            [
                f"--namespace={namespace}",
                f"--task-queue-url={redis_url}",
                f"--agent-image={IMAGE}",
                "--step-grace-seconds=1",
                "--workers=4",
                "--trigger-webhook-addr=127.0.0.1:0",
                "--service-addr=127.0.0.1:0",  # the ArkService task server (two replicas here)
                *election,
                *flags,
            ],
            env={},
        )
        manager = Manager(
            kube,
            health_port=0,
            graceful_timeout=5,
            leader_election=config.leader_elect,
            lease_name=config.leader_election_id,
            lease_namespace=namespace,
        )
        add_controllers(manager, config, redis, redis_url)
        server = add_webhook_server(manager, config, tracing=tracing)
        running = asyncio.create_task(manager.run())
        http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30)
        started.append((manager, running, http))

        async def healthy() -> bool:
            with contextlib.suppress(httpx.TransportError):
                return (await http.get("/healthz")).status_code == 200
            return False

        await wait_for(healthy, timeout=30, message="the webhook server's /healthz")
        cluster = Cluster(manager, kube, redis, namespace, Pods(redis, namespace), running)
        return Webhook(cluster, server, http)

    yield start
    for manager, running, http in started:
        await http.aclose()
        if not running.done():
            manager.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(running, 30)
    await redis.aclose()
