"""Tool servers: real MCP servers (streamable HTTP and SSE), the simple HTTP protocol, inline HTTP tools."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from localcluster import free_port
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ark_runtime.config import Header, HttpToolConfig, McpServerConfig
from ark_runtime.limits import Limits
from ark_runtime.loop import run_task
from ark_runtime.protocol import Task
from ark_runtime.providers import AnthropicProvider
from ark_runtime.tools import ToolSet
from ark_runtime.tools.http_tool import HttpTool
from ark_runtime.tools.servers import ServerConnection
from tests.integration.runtime.support import (
    ModelServer,
    Reply,
    ThreadedServer,
    anthropic_text,
    anthropic_tool_use,
)
from tests.support.wait import wait_for, wait_for_sync

TOKEN = "Bearer kb-secret"


def math_server() -> MCPServer:
    server = MCPServer("math")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        if b == 0:
            raise ToolError("division by zero is not allowed")
        return a / b

    return server


def require_token(app: Any) -> Any:
    """Reject HTTP requests without the expected Authorization header (the server's secret)."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != TOKEN.encode():
            await PlainTextResponse("unauthorized", status_code=401)(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped


@pytest.fixture
def streamable_server() -> Iterator[ThreadedServer]:
    server = ThreadedServer(require_token(math_server().streamable_http_app()))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sse_server() -> Iterator[ThreadedServer]:
    server = ThreadedServer(require_token(math_server().sse_app()))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def simple_server() -> Iterator[ThreadedServer]:
    async def tools_list(_: Request) -> Response:
        tool = {
            "name": "lookup",
            "description": "Look up a word",
            "inputSchema": {"type": "object", "properties": {"word": {"type": "string"}}},
        }
        return JSONResponse({"tools": [tool]})

    async def tools_call(request: Request) -> Response:
        body = await request.json()
        word = body["arguments"].get("word", "")
        if not word:
            return JSONResponse({"content": [{"type": "text", "text": "empty word"}], "isError": True})
        return JSONResponse(
            {"content": [{"type": "text", "text": f"{word}: a"}, {"type": "text", "text": "definition"}]}
        )

    server = ThreadedServer(
        Starlette(
            routes=[
                Route("/tools/list", tools_list, methods=["POST"]),
                Route("/tools/call", tools_call, methods=["POST"]),
            ]
        )
    )
    server.start()
    yield server
    server.stop()


@contextlib.asynccontextmanager
async def connected(
    config: McpServerConfig, headers: dict[str, str] | None = None
) -> AsyncIterator[ServerConnection]:
    connection = ServerConnection(config, headers or {}, limits=Limits(connect_timeout=5), retry_cap=0.5)
    task = asyncio.create_task(connection.run())
    try:
        yield connection
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def use_math_tools(
    model_server: ModelServer, connection: ServerConnection
) -> tuple[Any, list[dict[str, Any]]]:
    """A scripted model calls math__add, then math__divide by zero, then answers."""
    model_server.script = [
        anthropic_tool_use("t1", "math__add", {"a": 2, "b": 3}),
        anthropic_tool_use("t2", "math__divide", {"a": 1, "b": 0}),
        anthropic_text("2+3=5; cannot divide by zero."),
    ]
    tools = ToolSet(sources=[connection])
    provider = AnthropicProvider("claude-test", "k", model_server.url)
    result = await run_task(
        Task(id="r.s.1", run="r", step="s", prompt="compute"),
        provider=provider,
        tools=tools,
        system_prompt="You compute.",
        max_tokens=100,
        deadline=time.monotonic() + 20,
        consumer="pod",
    )
    await provider.aclose()
    results = [m["content"][0] for m in model_server.requests[-1]["body"]["messages"] if m["role"] == "user"][
        1:
    ]
    return result, results


async def test_mcp_over_streamable_http(streamable_server: ThreadedServer, model_server: ModelServer) -> None:
    config = McpServerConfig(
        "math",
        f"{streamable_server.url}/mcp",
        guidance="Use math for arithmetic.",
        headers=(Header("Authorization", value_from_env="KB_TOKEN"),),
    )
    async with connected(config, config.resolved_headers({"KB_TOKEN": TOKEN})) as connection:
        await wait_for(connection.connected.is_set, timeout=20, message="MCP server connected")
        assert connection.transport == "streamable-http"
        assert sorted(t.name for t in connection.tools()) == ["math__add", "math__divide"]
        result, tool_results = await use_math_tools(model_server, connection)
    assert result.status == "ok"
    assert result.tool_calls == 2
    assert tool_results[0]["content"] == "5"
    assert tool_results[0]["is_error"] is False
    assert tool_results[1]["is_error"] is True
    assert "division by zero is not allowed" in tool_results[1]["content"]
    first = model_server.requests[0]["body"]
    assert "## Tools from math\nUse math for arithmetic." in first["system"]
    assert {t["name"] for t in first["tools"]} == {"math__add", "math__divide"}


async def test_mcp_over_sse(sse_server: ThreadedServer, model_server: ModelServer) -> None:
    config = McpServerConfig("math", f"{sse_server.url}/sse")
    async with connected(config, {"Authorization": TOKEN}) as connection:
        await wait_for(connection.connected.is_set, timeout=20, message="MCP server connected over SSE")
        assert connection.transport == "sse"
        result, tool_results = await use_math_tools(model_server, connection)
    assert result.status == "ok"
    assert tool_results[0]["content"] == "5"
    assert tool_results[1]["is_error"] is True


async def test_invalid_arguments_are_refused_before_the_server_is_called(
    streamable_server: ThreadedServer,
) -> None:
    config = McpServerConfig("math", f"{streamable_server.url}/mcp")
    async with connected(config, {"Authorization": TOKEN}) as connection:
        await wait_for(connection.connected.is_set, timeout=20, message="MCP server connected")
        result = await ToolSet(sources=[connection]).call("math__add", {"a": "two", "b": 3})
    assert result.is_error
    assert "invalid arguments for math__add" in result.text


async def test_wrong_credentials_never_connect(streamable_server: ThreadedServer) -> None:
    config = McpServerConfig("math", f"{streamable_server.url}/mcp", transport="streamable-http")
    async with connected(config, {"Authorization": "Bearer wrong"}) as connection:
        with pytest.raises(AssertionError):
            await wait_for(connection.connected.is_set, timeout=2, message="must not connect")
        assert connection.tools() == []


async def test_plain_http_servers_are_used_when_mcp_is_not_spoken(simple_server: ThreadedServer) -> None:
    async with connected(McpServerConfig("dict", simple_server.url)) as connection:
        await wait_for(
            connection.connected.is_set, timeout=20, message="fallback to the simple HTTP protocol"
        )
        assert connection.transport == "http"
        tools = ToolSet(sources=[connection])
        assert [s.name for s in tools.specs()] == ["dict__lookup"]
        ok = await tools.call("dict__lookup", {"word": "ark"})
        failed = await tools.call("dict__lookup", {"word": ""})
    assert (ok.text, ok.is_error) == ("ark: a\ndefinition", False)
    assert (failed.text, failed.is_error) == ("empty word", True)


async def test_a_server_down_at_start_up_is_connected_later() -> None:
    port = free_port()
    config = McpServerConfig("math", f"http://127.0.0.1:{port}/mcp")
    async with connected(config) as connection:
        await wait_for(lambda: connection.failed_attempts >= 2, message="attempts while the server is down")
        assert connection.tools() == []
        server = ThreadedServer(math_server().streamable_http_app(), port=port)
        await asyncio.to_thread(server.start)
        try:
            await wait_for(connection.connected.is_set, timeout=20, message="late server connected")
            assert sorted(t.name for t in connection.tools()) == ["math__add", "math__divide"]
        finally:
            await asyncio.to_thread(server.stop)


# ----------------------------------------------------------------- inline HTTP tools


@pytest.fixture
def hook_server() -> Iterator[tuple[ThreadedServer, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        body = (await request.body()).decode()
        seen.append(
            {
                "method": request.method,
                "query": dict(request.query_params),
                "body": json.loads(body) if body else None,
            }
        )
        if request.query_params.get("city") == "nowhere":
            return PlainTextResponse("city not found", status_code=404)
        return PlainTextResponse(f"handled {request.method}")

    server = ThreadedServer(Starlette(routes=[Route("/hook", hook, methods=["GET", "POST", "PUT", "PATCH"])]))
    server.start()
    yield server, seen
    server.stop()


async def test_inline_http_tools(hook_server: tuple[ThreadedServer, list[dict[str, Any]]]) -> None:
    server, seen = hook_server
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    }
    async with httpx.AsyncClient() as client:
        post = HttpTool(HttpToolConfig("forecast", f"{server.url}/hook", "Forecast", "POST", schema), client)
        get = HttpTool(HttpToolConfig("lookup", f"{server.url}/hook", "Lookup", "GET", schema), client)
        posted = await post.call({"city": "Oslo", "days": 3})
        fetched = await get.call({"city": "Oslo", "days": 2})
        missing = await get.call({"city": "nowhere"})
        invalid = await post.call({"days": "many"})
        down = await HttpTool(HttpToolConfig("down", "http://127.0.0.1:9/x"), client).call({})
    assert (posted.text, posted.is_error) == ("handled POST", False)
    assert seen[0] == {"method": "POST", "query": {}, "body": {"city": "Oslo", "days": 3}}
    assert fetched.text == "handled GET"
    assert seen[1] == {
        "method": "GET",
        "query": {"city": "Oslo", "days": "2"},
        "body": None,
    }
    assert missing.is_error
    assert missing.text == "lookup: HTTP 404: city not found"
    assert invalid.is_error
    assert "invalid arguments for forecast" in invalid.text
    assert len(seen) == 3  # the invalid call never reached the server
    assert down.is_error
    assert "cannot reach" in down.text


# ----------------------------------------------------------------- tool lists that change


def shop_server() -> MCPServer:
    server = MCPServer("shop")

    @server.tool()
    async def open_annex(ctx: Context) -> str:
        """Open the annex, which adds a tool."""
        if "annex_price" not in {t.name for t in await server.list_tools()}:
            server.add_tool(lambda item: f"{item}: 3 EUR", name="annex_price", description="Annex prices")
            await ctx.notify_tools_changed()
        return "the annex is open"

    return server


async def test_a_changed_tool_list_is_offered_to_the_next_task_not_to_the_one_in_flight(
    model_server: ModelServer,
) -> None:
    server = ThreadedServer(shop_server().streamable_http_app())
    await asyncio.to_thread(server.start)
    config = McpServerConfig("shop", f"{server.url}/mcp", guidance="Prices are in EUR.")
    tools_now = list[str]()

    def respond(request: dict[str, Any]) -> Reply:
        if request["body"]["system"].startswith("Task A") and len(model_server.requests) == 1:
            # Task A is in flight: it waits here until the connection offers the new tool.
            wait_for_sync(lambda: "shop__annex_price" in tools_now, timeout=20, message="the new tool listed")
            return anthropic_tool_use("t1", "shop__open_annex", {})
        return anthropic_text("done")

    model_server.responder = respond
    provider = AnthropicProvider("claude-test", "k", model_server.url)
    async with connected(config) as connection:
        connection.subscribe(lambda status: tools_now.__setitem__(slice(None), status.tools))
        await wait_for(connection.connected.is_set, timeout=20, message="MCP server connected")
        tools = ToolSet(sources=[connection])

        async def run(name: str) -> Any:
            return await run_task(
                Task(id=f"r.{name}.1", run="r", step=name, prompt="shop"),
                provider=provider,
                tools=tools,
                system_prompt=f"Task {name}.",
                max_tokens=100,
                deadline=time.monotonic() + 30,
                consumer="pod",
            )

        in_flight = asyncio.create_task(run("A"))
        await wait_for(lambda: len(model_server.requests) == 1, timeout=20, message="task A's first call")
        async with Client(f"{server.url}/mcp", cache=None) as other:  # another client opens the annex
            await other.call_tool("open_annex", {})
        first = await in_flight
        second = await run("B")
    await provider.aclose()
    await asyncio.to_thread(server.stop)
    assert (first.status, second.status) == ("ok", "ok"), (first.error, second.error)
    offered = [sorted(t["name"] for t in r["body"]["tools"]) for r in model_server.requests]
    assert offered == [
        ["shop__open_annex"],
        ["shop__open_annex"],  # task A keeps the list it started with
        ["shop__annex_price", "shop__open_annex"],
    ]
    assert "## Tools from shop\nPrices are in EUR." in model_server.requests[-1]["body"]["system"]


async def test_a_simple_http_server_that_changes_its_tools_is_listed_again() -> None:
    listed = [{"name": "lookup", "inputSchema": {"type": "object"}}]

    async def tools_list(_: Request) -> Response:
        return JSONResponse({"tools": listed})

    server = ThreadedServer(Starlette(routes=[Route("/tools/list", tools_list, methods=["POST"])]))
    await asyncio.to_thread(server.start)
    limits = Limits(connect_timeout=5, tool_server_ping=0.2)
    connection = ServerConnection(McpServerConfig("dict", server.url, "http"), {}, limits=limits)
    runner = asyncio.create_task(connection.run())
    try:
        await wait_for(connection.connected.is_set, timeout=20, message="connected")
        listed.append({"name": "define", "inputSchema": {"type": "object"}})
        await wait_for(
            lambda: [t.name for t in connection.tools()] == ["dict__lookup", "dict__define"],
            timeout=20,
            message="the new list",
        )
        await asyncio.to_thread(server.stop)
        await wait_for(lambda: not connection.connected.is_set(), timeout=20, message="the server gone")
        assert "ConnectError: All connection attempts failed" in connection.status().error
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
