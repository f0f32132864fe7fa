"""``ark-operator`` as a process under its ServiceAccount serves webhook fires (so its RBAC
covers what the server reads and writes), and a webhook port already in use stops it at start."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest

from ark.controllers.event.controller import ARK_EVENTS
from ark.controllers.resources import ARK_RUNS
from ark.kube.client import KubeClient
from tests.e2e.operator.support import OperatorProcess
from tests.integration.controllers.run.support import apply_team
from tests.integration.webhook.conftest import token_of
from tests.support.wait import wait_for, wait_for_sync

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

StartOperator = Callable[..., OperatorProcess]


async def test_the_operator_process_serves_fires_under_its_rbac(
    start_operator: StartOperator, kube: KubeClient, namespace: str
) -> None:
    proc = start_operator()
    wait_for_sync(proc.ready, timeout=60, message="operator ready")
    await apply_team(
        kube,
        namespace,
        """
metadata: {name: note}
spec:
  entry: write
  roles: [{name: write, model: mock, systemPrompt: p}]
""",
    )
    await kube.create(
        ARK_EVENTS,
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkEvent",
            "metadata": {"name": "hook", "namespace": namespace},
            "spec": {"source": {"type": "webhook"}, "targets": [{"team": "note", "input": {"task": "go"}}]},
        },
    )
    token = await token_of(kube, namespace, "hook")
    path = f"/triggers/{namespace}/hook/fire"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{proc.webhook_port}", timeout=30) as http:
        assert (await http.get("/healthz")).text == "ok\n"

        async def fired() -> httpx.Response | None:
            answer = await http.post(path, headers={"Authorization": f"Bearer {token}"})
            return answer if answer.status_code == 202 else None

        answer = await wait_for(fired, timeout=30, message="a 202")
    run = await kube.get(ARK_RUNS, answer.json()["runs"][0], namespace)
    assert run["spec"]["trigger"] == {"type": "webhook", "source": "hook"}
    assert token not in proc.log_text()


def test_a_webhook_port_in_use_stops_the_operator_at_start(start_operator: StartOperator) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = start_operator(f"--trigger-webhook-addr=127.0.0.1:{port}")
        assert proc.proc.wait(timeout=60) == 2
    assert "cannot serve the trigger webhook" in proc.log_text()
