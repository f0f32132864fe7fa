"""An agent pod is not Ready while its tool servers' first connection attempts run: the pod runner
probes the real ``/readyz`` as the kubelet would (every 100 ms until the first success), so
``kubectl get pods`` and the ArkAgent's ``Ready`` condition show it, and Kubernetes sends it no
traffic until its tools are there."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from ark.controllers.resources import ARK_AGENTS
from ark.kube.client import KubeClient
from ark.kube.resources import PODS
from tests.conftest import Kubectl
from tests.e2e.cluster.conftest import PodRunnerProcess, StartOperator
from tests.integration.runtime.support import Gate, ThreadedServer
from tests.integration.runtime.test_tool_servers import math_server
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

SERVING = re.compile(r"serving pod port 8080 on (\d+)")

AGENT = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: tooled}
spec:
  model: mock
  systemPrompt: You compute.
  mcpServers: [{name: math, url: URL}]
"""


@pytest.fixture
def gated() -> Iterator[tuple[ThreadedServer, Gate]]:
    gate = Gate(math_server().streamable_http_app())
    server = ThreadedServer(gate)
    server.start()
    yield server, gate
    gate.open()
    server.stop()


async def _ready_condition(kube: KubeClient, namespace: str) -> dict[str, str]:
    agent = await kube.get(ARK_AGENTS, "tooled", namespace)
    conditions = (agent.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), {})


async def test_an_agent_pod_is_ready_only_once_its_tool_servers_first_attempts_are_over(
    gated: tuple[ThreadedServer, Gate],
    start_operator: StartOperator,
    cluster_kubectl: Kubectl,
    kube: KubeClient,
    namespace: str,
    pod_runner: PodRunnerProcess,
) -> None:
    server, gate = gated
    start_operator("--agent-env=AGENT_PROVIDER=mock", "--agent-env=AGENT_CONNECT_TIMEOUT_SECONDS=120")
    cluster_kubectl("apply", "-f", "-", input=AGENT.replace("URL", f"{server.url}/mcp"))

    async def connecting() -> tuple[str, int] | None:
        # The runtime serves /readyz and is connecting: the runner has been probing it since.
        pods = (await kube.list(PODS, namespace)).get("items") or []
        for name in (p["metadata"]["name"] for p in pods):
            log = pod_runner.pod_log(namespace, name)
            serving = SERVING.search(log)
            if gate.held and serving and '"msg": "agent started"' in log:
                return str(name), int(serving.group(1))
        return None

    pod, port = await wait_for(connecting, timeout=90, message="the agent pod connecting its tool server")
    async with httpx.AsyncClient() as client:
        readyz = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
    assert (readyz.status_code, readyz.text) == (503, "connecting to tool servers: math")
    ready = cluster_kubectl(
        "get", "pod", pod, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}"
    ).stdout
    assert ready == "False"
    condition = await _ready_condition(kube, namespace)
    assert (condition.get("status"), condition.get("reason")) == ("False", "Progressing")
    gate.open()

    async def agent_ready() -> bool:
        return (await _ready_condition(kube, namespace)).get("status") == "True"

    await wait_for(agent_ready, timeout=60, message="the ArkAgent Ready once its tool server connected")
    log = pod_runner.pod_log(namespace, pod)
    # The runner marked the pod ready only after the runtime had connected its tool server.
    assert log.index('"msg": "tool server connected", "server": "math"') < log.rindex(": ready\n")
