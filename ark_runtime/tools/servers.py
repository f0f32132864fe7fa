"""Tool servers from ``AGENT_MCP_SERVERS``: MCP (streamable HTTP, SSE) or the simple HTTP protocol.

Transport (decision §18 #11): the entry's ``transport`` when given; else ``sse`` for a URL whose
path ends in ``/sse``, else ``streamable-http`` falling back to ``http`` (``POST <url>/tools/list``,
``POST <url>/tools/call``) when the server does not speak MCP. Each server is kept connected by a
background task: a server that is down at start-up (or goes away later) is retried with backoff
while the agent works with the tools it has. Tools appear as ``<server>__<tool>``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import mcp_types
from mcp import Client, MCPError
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from ark_runtime.backoff import Backoff
from ark_runtime.config import McpServerConfig, Transport
from ark_runtime.tools.base import ToolResult
from ark_runtime.tools.http_tool import clip
from ark_runtime.tools.remote import RemoteCall, RemoteTool

log = logging.getLogger("ark_runtime.tools")

CONNECT_TIMEOUT = 10.0
CALL_TIMEOUT = 120.0
_MAX_PAGES = 50


class NotSimpleHttp(Exception):
    """The server did not answer ``/tools/list`` in the simple HTTP protocol's shape."""


def transport_candidates(config: McpServerConfig) -> list[Transport]:
    """Transports to try, in order."""
    if config.transport:
        return [config.transport]
    if urlsplit(config.url).path.rstrip("/").endswith("/sse"):
        return ["sse"]
    return ["streamable-http", "http"]


class ServerConnection:
    """A :class:`~ark_runtime.tools.base.ToolSource` for one tool server, kept connected in the background."""

    def __init__(
        self,
        config: McpServerConfig,
        headers: Mapping[str, str],
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        call_timeout: float = CALL_TIMEOUT,
        retry_cap: float = 30.0,
    ) -> None:
        self.config = config
        self._headers = dict(headers)
        self._connect_timeout = connect_timeout
        self._call_timeout = call_timeout
        self._retry_cap = retry_cap
        self._tools: list[RemoteTool] = []
        self._lost = asyncio.Event()
        self.connected = asyncio.Event()
        self.transport: Transport | None = None
        self.failed_attempts = 0
        """Connection rounds that failed since the last successful connection."""

    @property
    def name(self) -> str:
        """Server name (the tool-name prefix)."""
        return self.config.name

    @property
    def guidance(self) -> str:
        """How to use this server, for the system prompt."""
        return self.config.guidance

    def tools(self) -> Sequence[RemoteTool]:
        """The server's tools while connected, else none."""
        return self._tools

    async def run(self) -> None:
        """Connect, stay connected, reconnect; runs until cancelled."""
        backoff = Backoff(base=0.25, cap=self._retry_cap)
        while True:
            errors: list[str] = []
            for transport in transport_candidates(self.config):
                try:
                    await self._session(transport, backoff)
                    break  # the session was up and then lost: reconnect right away
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    errors.append(f"{transport}: {_describe(exc)}")
            else:
                self.failed_attempts += 1
                delay = backoff.next_delay()
                level = logging.WARNING if backoff.failures == 1 else logging.DEBUG
                log.log(
                    level,
                    "tool server unavailable; retrying in the background",
                    extra={
                        "server": self.name,
                        "url": self.config.url,
                        "errors": errors,
                        "retry_in_s": round(delay, 2),
                    },
                )
                await asyncio.sleep(delay)

    async def _session(self, transport: Transport, backoff: Backoff) -> None:
        async with AsyncExitStack() as stack:
            async with asyncio.timeout(self._connect_timeout):
                if transport == "http":
                    call, listed = await self._open_simple(stack)
                else:
                    call, listed = await self._open_mcp(stack, transport)
            self._install(transport, listed, call)
            backoff.reset()
            self.failed_attempts = 0
            try:
                await self._lost.wait()
            finally:
                self._uninstall()

    async def _open_mcp(
        self, stack: AsyncExitStack, transport: Transport
    ) -> tuple[RemoteCall, list[mcp_types.Tool]]:
        if transport == "sse":
            streams = sse_client(self.config.url, headers=self._headers, timeout=self._connect_timeout)
        else:
            # mcp's transports run on httpx2; a long read timeout keeps the server's event stream open.
            timeout = httpx2.Timeout(self._connect_timeout, read=self._call_timeout)
            http = await stack.enter_async_context(httpx2.AsyncClient(headers=self._headers, timeout=timeout))
            streams = streamable_http_client(self.config.url, http_client=http)
        client = await stack.enter_async_context(Client(streams, cache=None))
        listed: list[mcp_types.Tool] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            listed.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break

        async def call(name: str, arguments: Mapping[str, Any]) -> ToolResult:
            try:
                async with asyncio.timeout(self._call_timeout):
                    result = await client.call_tool(name, dict(arguments))
            except MCPError as exc:
                return ToolResult(f"{self.name}__{name}: {exc}", is_error=True)
            except TimeoutError:
                return ToolResult(
                    f"{self.name}__{name}: no answer within {self._call_timeout:.0f}s", is_error=True
                )
            except Exception as exc:
                self._lost.set()
                return ToolResult(
                    f"{self.name}__{name}: connection to the server failed: {_describe(exc)}", is_error=True
                )
            return ToolResult(clip(_content_text(result)), is_error=result.is_error)

        return call, listed

    async def _open_simple(self, stack: AsyncExitStack) -> tuple[RemoteCall, list[mcp_types.Tool]]:
        client = await stack.enter_async_context(
            httpx.AsyncClient(headers=self._headers, timeout=self._call_timeout)
        )
        base = self.config.url.rstrip("/")
        response = await client.post(f"{base}/tools/list", json={}, timeout=self._connect_timeout)
        try:
            body = response.json() if response.is_success else None
            listed = (
                [mcp_types.Tool.model_validate(t) for t in body["tools"]] if isinstance(body, dict) else None
            )
        except (ValueError, KeyError, TypeError):
            listed = None
        if listed is None:
            raise NotSimpleHttp(
                f"POST {base}/tools/list answered HTTP {response.status_code} without a tools list"
            )

        async def call(name: str, arguments: Mapping[str, Any]) -> ToolResult:
            try:
                reply = await client.post(
                    f"{base}/tools/call", json={"name": name, "arguments": dict(arguments)}
                )
            except httpx.TransportError as exc:
                self._lost.set()
                return ToolResult(
                    f"{self.name}__{name}: cannot reach the server: {_describe(exc)}", is_error=True
                )
            except httpx.HTTPError as exc:
                return ToolResult(f"{self.name}__{name}: {_describe(exc)}", is_error=True)
            if not reply.is_success:
                return ToolResult(
                    f"{self.name}__{name}: HTTP {reply.status_code}: {clip(reply.text)}", is_error=True
                )
            try:
                data = reply.json()
                result = mcp_types.CallToolResult.model_validate(data)
            except ValueError:
                return ToolResult(clip(reply.text))
            return ToolResult(clip(_content_text(result)), is_error=result.is_error)

        return call, listed

    def _install(self, transport: Transport, listed: list[mcp_types.Tool], call: RemoteCall) -> None:
        self._tools = [
            RemoteTool(self.name, t.name, t.description or t.title or t.name, t.input_schema, call)
            for t in listed
        ]
        self.transport = transport
        self._lost.clear()
        self.connected.set()
        log.info(
            "tool server connected",
            extra={"server": self.name, "transport": transport, "tools": [t.name for t in self._tools]},
        )

    def _uninstall(self) -> None:
        self._tools = []
        self.transport = None
        self.connected.clear()


def _content_text(result: mcp_types.CallToolResult) -> str:
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        else:
            parts.append(f"[{block.type} content]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content))
    return "\n".join(parts)


def _describe(exc: BaseException) -> str:
    # anyio task groups wrap the real cause in exception groups; show the innermost errors.
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
