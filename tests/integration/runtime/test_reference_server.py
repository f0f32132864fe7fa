"""The MCP reference server from npm, a peer nobody here wrote, over streamable HTTP and SSE.

``ark run`` as a user types it and ``ark-runtime`` on Redis, each against a scripted
OpenAI-compatible model on loopback that answers at once: the first model request already carries
every tool of the server; the model lists, calls a tool, gets a tool error and structured content
back. A server restarted mid-run is reconnected and its tools offered again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ark_runtime.config import McpServerConfig
from ark_runtime.limits import Limits
from ark_runtime.loop import run_task
from ark_runtime.protocol import Task
from ark_runtime.providers import OpenAIProvider
from ark_runtime.tools import ToolSet
from ark_runtime.tools.servers import ServerConnection
from tests.integration.runtime.queue_support import Results, env, model_env, submit, tasks
from tests.integration.runtime.support import ModelServer, openai_text, openai_tool_call, runtimes
from tests.support.mcp_reference import TOOLS, Kind, ReferenceServer
from tests.support.wait import wait_for
from tests.unit.cli.support import ark, write

KINDS: list[Kind] = ["streamableHttp", "sse"]
TRANSPORT = {"streamableHttp": "streamable-http", "sse": "sse"}

TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: peer}
spec:
  roles:
    - name: clerk
      model: gpt-4o-mini
      systemPrompt: You use tools.
      mcpServers:
        - name: everything
          url: URL
          guidance: The reference server; echo repeats a message.
  pipeline:
    - {role: clerk, inputs: {task: "Exercise the tools."}}
"""


@pytest.fixture(params=KINDS)
def reference(request: pytest.FixtureRequest) -> Iterator[ReferenceServer]:
    server = ReferenceServer(request.param).wait_ready()
    yield server
    server.close()


def names(request: dict[str, Any]) -> list[str]:
    """The tool names a recorded Chat Completions request offered."""
    return sorted(t["function"]["name"] for t in request["body"].get("tools") or ())


def tool_results(request: dict[str, Any]) -> list[str]:
    """What the model was told the tools answered, in order."""
    return [m["content"] for m in request["body"]["messages"] if m["role"] == "tool"]


def scripted(model_server: ModelServer) -> None:
    """echo, then a tool error, then structured content, then an answer."""
    model_server.script = [
        openai_tool_call("c1", "everything__echo", {"message": "hello ark"}),
        openai_tool_call("c2", "everything__get-resource-reference", {"resourceId": 0}),
        openai_tool_call("c3", "everything__get-structured-content", {"location": "Chicago"}),
        openai_text("done"),
    ]


def test_ark_run_offers_every_tool_from_the_first_request_and_uses_them(
    reference: ReferenceServer, model_server: ModelServer, tmp_path: Path
) -> None:
    scripted(model_server)
    path = write(tmp_path, "team.yaml", TEAM.replace("URL", reference.url))
    environment = {"OPENAI_BASE_URL": model_server.openai_base, "OPENAI_API_KEY": "k"}
    done = ark("run", path, "--provider", "openai", "--watch", "-o", "json", env=environment)
    assert done.returncode == 0, done.stderr
    first, *_, last = model_server.requests
    offered = names(first)
    assert len(offered) == TOOLS
    assert {"everything__echo", "everything__get-sum", "everything__get-structured-content"} <= set(offered)
    system = first["body"]["messages"][0]["content"]
    assert "## Tools from everything\nThe reference server; echo repeats a message." in system
    echo, error, structured = tool_results(last)
    assert echo == "Echo: hello ark"
    assert error == "ERROR: Invalid resourceId: 0. Must be a finite positive integer."
    assert json.loads(structured) == {"temperature": 36, "conditions": "Light rain / drizzle", "humidity": 82}
    result = json.loads(done.stdout)
    assert result["output"] == "done"
    (server,) = result["toolServers"]
    transport = TRANSPORT[reference.kind]
    assert server == {
        "agent": "peer-clerk",
        "name": "everything",
        "url": reference.url,
        "state": "connected",
        "transport": transport,
        "tools": TOOLS,
        "toolNames": server["toolNames"],
        "error": None,
    }
    assert sorted(server["toolNames"]) == offered
    watch = done.stderr.splitlines()
    connected = f"tool server everything (peer-clerk): connected over {transport}, {TOOLS} tools"
    assert watch.index(connected) < watch.index("clerk [running]")


async def test_ark_runtime_offers_both_servers_tools_to_a_task_queued_before_it_started(
    redis_url: str, agent_name: str, results: Results, model_server: ModelServer
) -> None:
    model_server.responder = lambda request: openai_text("seen")
    servers = [ReferenceServer(kind).wait_ready() for kind in KINDS]
    try:
        work = tasks(f"peer-{agent_name}", 1)
        await submit(redis_url, agent_name, work)
        mcp = [{"name": f"ref{i}", "url": s.url} for i, s in enumerate(servers)]
        pod = env(
            redis_url, agent_name, "pod-peer", **model_env(model_server), AGENT_MCP_SERVERS=json.dumps(mcp)
        )
        with runtimes(pod) as (runtime,):
            answered = await results.wait([work[0].id], timeout=60)
            assert runtime.terminate() == 0
            logs = runtime.logs()
    finally:
        for server in servers:
            server.close()
    assert answered[work[0].id].status == "ok"
    (request,) = model_server.requests
    offered = names(request)
    assert len(offered) == 2 * TOOLS
    assert {"ref0__echo", "ref1__echo"} <= set(offered)
    over = [e for e in logs if e.get("msg") == "tool servers' first connection attempts are over"]
    assert over[0]["connected"] == ["ref0", "ref1"]


async def test_a_server_restarted_mid_run_is_reconnected_and_its_tools_offered_again(
    reference: ReferenceServer, model_server: ModelServer
) -> None:
    limits = Limits(connect_timeout=5, tool_server_ping=0.3)
    connection = ServerConnection(
        McpServerConfig("everything", reference.url), {}, limits=limits, retry_cap=0.5
    )
    runner = asyncio.create_task(connection.run())
    provider = OpenAIProvider("gpt-test", "k", model_server.openai_base, limits)
    tools = ToolSet(sources=[connection])
    try:
        await wait_for(connection.connected.is_set, timeout=20, message="connected")
        reference.kill()
        await wait_for(
            lambda: not connection.tools(), timeout=20, message="the lost server's tools withdrawn"
        )
        assert connection.status().state == "unavailable"
        reference = await asyncio.to_thread(reference.restart)
        await wait_for(connection.connected.is_set, timeout=30, message="reconnected")
        model_server.script = [
            openai_tool_call("c1", "everything__echo", {"message": "again"}),
            openai_text("back"),
        ]
        result = await run_task(
            Task(id="r.s.1", run="r", step="s", prompt="echo"),
            provider=provider,
            tools=tools,
            system_prompt="You use tools.",
            max_tokens=100,
            deadline=time.monotonic() + 20,
            consumer="pod",
            limits=limits,
        )
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await provider.aclose()
        reference.close()
    assert result.status == "ok", result.error
    first, second = model_server.requests
    assert len(names(first)) == TOOLS
    assert tool_results(second) == ["Echo: again"]
