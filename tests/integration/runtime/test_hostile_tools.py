"""Tools that misbehave: inline HTTP tools, the simple HTTP tool protocol and real MCP servers.

Each case runs one task in a child process (``tool_probe``) whose model, the loopback server here,
calls the hostile tool once and then answers. What the model was shown for the tool's result (a
clear error, or the result cut with a marker) is read from the model's second request; the
child's peak RSS from its own ``/proc/self/status``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from ark_runtime.config import McpServerConfig
from ark_runtime.limits import Limits
from ark_runtime.tools.servers import ServerConnection
from tests.integration.runtime.support import (
    ModelServer,
    Reply,
    ThreadedServer,
    openai_text,
    openai_tool_call,
)
from tests.integration.runtime.tool_probe import TASK_SECONDS, TOOL_TIMEOUT
from tests.support.hostile import HostileServer, hostile_asgi
from tests.support.wait import wait_for

RSS_LIMIT_MB = 200
CUT = "and was cut here (AGENT_MAX_TOOL_RESULT_BYTES)]"
TIMED_OUT = f"within {TOOL_TIMEOUT:g}s (AGENT_TOOL_TIMEOUT_SECONDS)"


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    server.start()
    yield server
    server.stop()


def call_the_first_tool(model_server: ModelServer) -> None:
    """The model calls whatever tool it is offered first, then answers with what it saw."""

    def respond(entry: dict[str, Any]) -> Reply:
        messages = entry["body"]["messages"]
        if not any(m["role"] == "tool" for m in messages):
            return openai_tool_call("call_1", entry["body"]["tools"][0]["function"]["name"], {"what": "it"})
        return openai_text("seen")

    model_server.responder = respond


def probe(kind: str, url: str, model_server: ModelServer) -> tuple[dict[str, Any], str]:
    """Run the child; its report, and the tool result the model was shown."""
    call_the_first_tool(model_server)
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.runtime.tool_probe", kind, url, model_server.openai_base],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    shown = [
        m["content"] for r in model_server.requests for m in r["body"]["messages"] if m["role"] == "tool"
    ]
    return report, shown[-1] if shown else ""


def assert_bounded(report: dict[str, Any], *, slow: bool = False) -> None:
    assert report["status"] == "ok", report["error"]  # the model carried on after the tool's failure
    assert report["output"] == "seen"
    assert report["peak_rss_mb"] < RSS_LIMIT_MB, report
    # Far inside the task's 20 s: at the tool timeout for the drip, at once for every cap.
    assert report["seconds"] < (TOOL_TIMEOUT + 5 if slow else TASK_SECONDS / 2), report


# What the model is shown: the cut result, or an error naming what the tool server did.
INLINE = {
    "endless": CUT,
    "huge": CUT,
    "gzip-bomb": CUT,
    "deflate-bomb": CUT,
    "drip": f"ERROR: fetch: no complete answer from {{url}} {TIMED_OUT}",
    "huge-headers": "ERROR: fetch: {url} sent response headers larger than 100 KiB",
    "big-headers": "ERROR: fetch: {url} sent 8",
}
SIMPLE = {
    "endless": CUT,
    "huge": CUT,
    "gzip-bomb": "ERROR: hostile__fetch: {url}/tools/call: the gzip body inflates more than 200:1",
    "deflate-bomb": "ERROR: hostile__fetch: {url}/tools/call: the deflate body inflates more than 200:1",
    "drip": f"ERROR: hostile__fetch: no answer {TIMED_OUT}",
    "huge-headers": "ERROR: hostile__fetch: {url}/tools/call sent response headers larger than 100 KiB",
    "big-headers": "ERROR: hostile__fetch: {url}/tools/call sent 8",
}


@pytest.mark.parametrize("behaviour", list(INLINE))
def test_a_hostile_inline_http_tool(
    hostile: HostileServer, model_server: ModelServer, behaviour: str
) -> None:
    url = f"{hostile.url}/{behaviour}"
    report, shown = probe("inline", url, model_server)
    assert_bounded(report, slow=behaviour == "drip")
    assert INLINE[behaviour].format(url=url) in shown
    assert len(shown.encode()) < 33 * 1024


@pytest.mark.parametrize("behaviour", list(SIMPLE))
def test_a_hostile_simple_http_tool_server(
    hostile: HostileServer, model_server: ModelServer, behaviour: str
) -> None:
    url = f"{hostile.url}/{behaviour}"
    report, shown = probe("http", url, model_server)
    assert_bounded(report, slow=behaviour == "drip")
    assert SIMPLE[behaviour].format(url=url) in shown
    assert len(shown.encode()) < 33 * 1024


def mcp_server(tools: int = 1) -> MCPServer:
    """A real MCP server whose ``fetch`` tool answers by its argument; ``tools`` extra tools pad the list."""
    server = MCPServer("hostile")

    @server.tool()
    def fetch(what: str) -> str:
        """Fetch a thing."""
        if what == "it":
            return "x" * (100 * 1024)
        raise ToolError(f"no such thing: {what}")

    for i in range(1, tools):
        server.add_tool(lambda: "pad", name=f"pad_{i}", description="padding " * 20)
    return server


@pytest.fixture
def served() -> Iterator[list[ThreadedServer]]:
    started: list[ThreadedServer] = []
    yield started
    for server in started:
        server.stop()


def serve(app: Any, started: list[ThreadedServer]) -> str:
    server = ThreadedServer(app)
    server.start()
    started.append(server)
    return f"{server.url}/mcp"


HANDSHAKE = ("server/discover", "initialize")
MCP = {
    "endless": "sent a response body larger than 4 MiB; stopped reading it there",
    "gzip-bomb": "the gzip body inflates more than 200:1",
    "drip": f"no answer {TIMED_OUT}",
    "huge-headers": "sent response headers larger than 100 KiB",
    "endless-event": "Server-sent event exceeded the 4194304 byte limit",
}


@pytest.mark.parametrize("behaviour", list(MCP))
def test_a_hostile_mcp_server(
    model_server: ModelServer, served: list[ThreadedServer], behaviour: str
) -> None:
    url = serve(hostile_asgi(mcp_server().streamable_http_app(), behaviour), served)
    report, shown = probe("streamable-http", url, model_server)
    assert_bounded(report, slow=behaviour == "drip")
    assert shown.startswith("ERROR: hostile__fetch: ")
    assert MCP[behaviour] in shown


def test_a_long_mcp_result_is_cut_with_a_marker(
    model_server: ModelServer, served: list[ThreadedServer]
) -> None:
    url = serve(mcp_server().streamable_http_app(), served)
    report, shown = probe("streamable-http", url, model_server)
    assert_bounded(report)
    assert shown.startswith("x" * 1000)
    assert shown.endswith(f"\n[ark: the result of hostile__fetch was longer than 32 KiB {CUT}")


def test_an_mcp_server_listing_too_many_tools_is_cut_to_the_cap(
    model_server: ModelServer, served: list[ThreadedServer]
) -> None:
    url = serve(mcp_server(tools=1000).streamable_http_app(), served)
    report, _ = probe("streamable-http", url, model_server)
    assert_bounded(report)
    offered = model_server.requests[0]["body"]["tools"]
    assert len(offered) == 128


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("hang", "streamable-http: ConnectionError: no complete handshake and tools listing within 1s"),
        ("rpc-error", "streamable-http: MCPError: the server is misconfigured"),
    ],
)
async def test_an_mcp_handshake_that_hangs_or_fails_is_reported_and_retried(
    served: list[ThreadedServer], caplog: pytest.LogCaptureFixture, behaviour: str, expected: str
) -> None:
    url = serve(hostile_asgi(mcp_server().streamable_http_app(), behaviour, HANDSHAKE), served)
    config = McpServerConfig("hostile", url, "streamable-http")
    connection = ServerConnection(config, {}, limits=Limits(connect_timeout=1), retry_cap=0.2)
    task = asyncio.create_task(connection.run())
    try:
        with caplog.at_level(logging.DEBUG, logger="ark_runtime.tools"):
            await wait_for(lambda: connection.failed_attempts >= 2, timeout=20, message="two failed rounds")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert connection.tools() == []
    (first, *_) = [
        r for r in caplog.records if r.getMessage() == "tool server unavailable; retrying in the background"
    ]
    assert first.levelname == "WARNING"
    assert first.errors == [expected]  # type: ignore[attr-defined]
