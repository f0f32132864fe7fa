"""Connect first, then work: ``ark-runtime`` on Redis and ``ark run`` take no task before every tool
server's first connection attempt is over, and never wait longer than the connect timeout.

The model answers at once, so a task that started early would show up as a model request
without the server's tools.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.runtime.queue_support import Results, env, model_env, submit, tasks
from tests.integration.runtime.support import Gate, ModelServer, ThreadedServer, openai_text, runtimes
from tests.integration.runtime.test_tool_servers import math_server
from tests.support.hostile import hostile_asgi
from tests.support.wait import wait_for
from tests.unit.cli.support import ark, write

pytestmark = pytest.mark.redis

HANDSHAKE = ("server/discover", "initialize")
NEVER = "streamable-http: ConnectionError: no complete handshake and tools listing within 1s"


@pytest.fixture
def gated() -> Iterator[tuple[ThreadedServer, Gate]]:
    gate = Gate(math_server().streamable_http_app())
    server = ThreadedServer(gate)
    server.start()
    yield server, gate
    gate.open()
    server.stop()


@pytest.fixture
def never() -> Iterator[ThreadedServer]:
    """An MCP server whose handshake never gets an answer."""
    server = ThreadedServer(hostile_asgi(math_server().streamable_http_app(), "hang", HANDSHAKE))
    server.start()
    yield server
    server.stop()


async def readyz(port: int) -> tuple[int, str]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    return response.status_code, response.text


def offered(request: dict[str, Any]) -> list[str]:
    return sorted(t["function"]["name"] for t in request["body"].get("tools") or ())


async def test_the_runtime_is_not_ready_and_takes_no_task_until_its_tool_server_connected(
    redis_url: str,
    agent_name: str,
    results: Results,
    model_server: ModelServer,
    gated: tuple[ThreadedServer, Gate],
) -> None:
    server, gate = gated
    model_server.responder = lambda request: openai_text("answered")
    work = tasks(f"first-{agent_name}", 1)
    await submit(redis_url, agent_name, work)
    mcp = json.dumps([{"name": "math", "url": f"{server.url}/mcp"}])
    pod = env(
        redis_url,
        agent_name,
        "pod-gate",
        **model_env(model_server),
        AGENT_MCP_SERVERS=mcp,
        AGENT_CONNECT_TIMEOUT_SECONDS="60",
    )
    with runtimes(pod) as (runtime,):
        await wait_for_runtime(runtime.health_port, gate)
        assert await readyz(runtime.health_port) == (503, "connecting to tool servers: math")
        assert model_server.requests == []  # the task waits in the queue
        gate.open()
        answered = await results.wait([work[0].id], timeout=30)
        assert await readyz(runtime.health_port) == (200, "ready")
        assert runtime.terminate() == 0
    assert answered[work[0].id].output == "answered"
    (request,) = model_server.requests
    assert offered(request) == ["math__add", "math__divide"]


async def wait_for_runtime(port: int, gate: Gate) -> None:
    async def waiting() -> bool:
        return gate.held > 0 and (await readyz(port))[0] == 503

    await wait_for(waiting, timeout=30, message="the runtime connecting to the held server")


async def test_a_server_that_never_answers_delays_the_first_task_by_the_connect_timeout_only(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer, never: ThreadedServer
) -> None:
    model_server.responder = lambda request: openai_text("answered without it")
    work = tasks(f"never-{agent_name}", 1)
    await submit(redis_url, agent_name, work)
    mcp = json.dumps([{"name": "slow", "url": f"{never.url}/mcp"}])
    pod = env(
        redis_url,
        agent_name,
        "pod-never",
        **model_env(model_server),
        AGENT_MCP_SERVERS=mcp,
        AGENT_CONNECT_TIMEOUT_SECONDS="1",
    )
    with runtimes(pod) as (runtime,):
        answered = await results.wait([work[0].id], timeout=30)
        assert runtime.terminate() == 0
        logs = runtime.logs()
    assert answered[work[0].id].output == "answered without it"
    (request,) = model_server.requests
    assert offered(request) == []
    messages = [e["msg"] for e in logs]
    warning = next(e for e in logs if e["msg"] == "tool server unavailable; retrying in the background")
    assert (warning["level"], warning["server"], warning["errors"]) == ("warning", "slow", [NEVER])
    assert messages.index("tool server unavailable; retrying in the background") < messages.index(
        "tool servers' first connection attempts are over"
    )


TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: slow}
spec:
  roles:
    - name: clerk
      model: gpt-4o-mini
      systemPrompt: You use tools.
      mcpServers: [{name: slow, url: URL}]
  pipeline:
    - {role: clerk, inputs: {task: "Go."}}
"""


def test_ark_run_starts_without_a_server_that_never_answers_and_says_why(
    model_server: ModelServer, never: ThreadedServer, tmp_path: Path
) -> None:
    model_server.responder = lambda request: openai_text("answered without it")
    path = write(tmp_path, "team.yaml", TEAM.replace("URL", f"{never.url}/mcp"))
    environment = {
        "OPENAI_BASE_URL": model_server.openai_base,
        "OPENAI_API_KEY": "k",
        "AGENT_CONNECT_TIMEOUT_SECONDS": "1",
    }
    done = ark("run", path, "--provider", "openai", "-o", "json", env=environment)
    assert done.returncode == 0, done.stderr
    assert offered(model_server.requests[0]) == []
    (server,) = json.loads(done.stdout)["toolServers"]
    assert (server["state"], server["transport"], server["tools"], server["error"]) == (
        "unavailable",
        None,
        0,
        NEVER,
    )
    assert "ark run: warning: ark_runtime.tools: tool server unavailable; retrying in the background (" in (
        done.stderr
    )
    assert "info:" not in done.stderr  # the default level is warning
    verbose = ark("run", path, "--provider", "openai", "--log-level", "info", env=environment)
    assert verbose.returncode == 0, verbose.stderr
    assert (
        "ark run: info: ark_runtime.tools: tool servers' first connection attempts are over "
        "(connected=[], unavailable=['slow'])"
    ) in verbose.stderr
