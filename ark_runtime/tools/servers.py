"""Tool servers from ``AGENT_MCP_SERVERS``: MCP (streamable HTTP, SSE) or the simple HTTP protocol.

Transport (decision §18 #11): the entry's ``transport`` when given; else ``sse`` for a URL whose
path ends in ``/sse``, else ``streamable-http`` falling back to ``http`` (``POST <url>/tools/list``,
``POST <url>/tools/call``) when the server does not speak MCP. Each server is kept connected by a
background task: a server that is down at start-up (or goes away later) is retried with backoff
while the agent works with the tools it has. Tools appear as ``<server>__<tool>``.

Bounds (:class:`~ark_runtime.limits.Limits`): the handshake and tools listing must finish within
the connect timeout; each message is capped at ``AGENT_MAX_MCP_MESSAGE_BYTES``; the listing at
``AGENT_MAX_TOOLS_PER_SERVER`` tools and ``AGENT_MAX_TOOL_LIST_BYTES``; a call at
``AGENT_TOOL_TIMEOUT_SECONDS``. A server that breaks a cap fails the call in flight with a message
saying so, and the session is reconnected.
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
from ark_runtime.limits import Limits
from ark_runtime.net.bounds import BODY_CAP, PeerError
from ark_runtime.net.client import read_prefix
from ark_runtime.tools.base import ToolResult
from ark_runtime.tools.http_tool import tool_client, transport_failure
from ark_runtime.tools.listing import ToolBudget
from ark_runtime.tools.mcp_http import McpClientFactory, mcp_http_client
from ark_runtime.tools.remote import RemoteCall, RemoteTool

log = logging.getLogger("ark_runtime.tools")

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
        limits: Limits | None = None,
        retry_cap: float = 30.0,
    ) -> None:
        self.config = config
        self._headers = dict(headers)
        self._limits = limits or Limits()
        self._connect_timeout = self._limits.connect_timeout
        self._call_timeout = self._limits.tool_timeout
        self._retry_cap = retry_cap
        self._tools: list[RemoteTool] = []
        self._lost = asyncio.Event()
        self._violation = ""
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

    def _violated(self, message: str) -> None:
        # A cap broken anywhere in this session: the session's state is no longer trustworthy.
        self._violation = message
        self._lost.set()

    async def _session(self, transport: Transport, backoff: Backoff) -> None:
        self._violation = ""
        async with AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(self._connect_timeout):
                    if transport == "http":
                        call, listed = await self._open_simple(stack)
                    else:
                        call, listed = await self._open_mcp(stack, transport)
            except TimeoutError:
                raise ConnectionError(
                    self._violation
                    or f"no complete handshake and tools listing within {self._connect_timeout:g}s"
                ) from None
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
        limit = self._limits.max_mcp_message_bytes
        if transport == "sse":
            streams = sse_client(
                self.config.url,
                headers=self._headers,
                timeout=self._connect_timeout,
                httpx_client_factory=McpClientFactory(limit, self._violated),
            )
        else:
            # mcp's transports run on httpx2; a long read timeout keeps the server's event stream open.
            timeout = httpx2.Timeout(self._connect_timeout, read=self._call_timeout)
            http = await stack.enter_async_context(
                mcp_http_client(self._headers, timeout, limit, self._violated)
            )
            streams = streamable_http_client(self.config.url, http_client=http, max_sse_event_size=limit)
        client = await stack.enter_async_context(Client(streams, cache=None))
        budget = self._budget()
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            budget.add(page.tools)
            cursor = page.next_cursor
            if cursor is None or budget.full:
                break
        self._report_budget(budget)

        async def call(name: str, arguments: Mapping[str, Any]) -> ToolResult:
            try:
                async with asyncio.timeout(self._call_timeout):
                    result = await self._unless_lost(client.call_tool(name, dict(arguments)))
            except MCPError as exc:
                return ToolResult(f"{self.name}__{name}: {exc}", is_error=True)
            except TimeoutError:
                return ToolResult(
                    f"{self.name}__{name}: no answer within {self._call_timeout:g}s "
                    "(AGENT_TOOL_TIMEOUT_SECONDS)",
                    is_error=True,
                )
            except Exception as exc:
                self._lost.set()
                return ToolResult(
                    f"{self.name}__{name}: connection to the server failed: {_describe(exc)}", is_error=True
                )
            return ToolResult(_content_text(result), is_error=result.is_error)

        return call, budget.kept

    async def _unless_lost(self, call: Any) -> mcp_types.CallToolResult:
        # The session may break under the call (a cap broken, the server gone): fail at once then.
        pending = asyncio.ensure_future(call)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait((pending, lost), return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        if pending.cancelled():
            raise PeerError(self._violation or "the connection to the server was lost during the call")
        result: mcp_types.CallToolResult = pending.result()
        return result

    def _budget(self) -> ToolBudget:
        return ToolBudget(self._limits.max_tools_per_server, self._limits.max_tool_list_bytes)

    def _report_budget(self, budget: ToolBudget) -> None:
        if budget.full:
            log.warning(
                "tool server offers too many tools; the rest are left out",
                extra={"server": self.name, "kept": len(budget.kept), "reason": budget.full},
            )

    async def _open_simple(self, stack: AsyncExitStack) -> tuple[RemoteCall, list[mcp_types.Tool]]:
        client = await stack.enter_async_context(tool_client(self._limits))
        client.headers.update(self._headers)
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
        budget = self._budget()
        budget.add(listed)
        self._report_budget(budget)
        message_cap = self._limits.max_mcp_message_bytes

        async def call(name: str, arguments: Mapping[str, Any]) -> ToolResult:
            tool = f"{self.name}__{name}"
            try:
                async with asyncio.timeout(self._call_timeout):
                    # read_prefix bounds this read: past the cap the body is shown cut, not refused.
                    request = client.build_request(
                        "POST",
                        f"{base}/tools/call",
                        json={"name": name, "arguments": dict(arguments)},
                        extensions={BODY_CAP: None},
                    )
                    reply = await client.send(request, stream=True)
                    try:
                        raw = await read_prefix(reply, message_cap + 1)
                    finally:
                        await reply.aclose()
            except TimeoutError:
                return ToolResult(
                    f"{tool}: no answer within {self._call_timeout:g}s (AGENT_TOOL_TIMEOUT_SECONDS)",
                    is_error=True,
                )
            except PeerError as exc:
                return ToolResult(f"{tool}: {exc}", is_error=True)
            except httpx.TransportError as exc:
                self._lost.set()
                return ToolResult(transport_failure(tool, f"{base}/tools/call", exc), is_error=True)
            except httpx.HTTPError as exc:
                return ToolResult(f"{tool}: {_describe(exc)}", is_error=True)
            text = raw.decode("utf-8", "replace")
            if not reply.is_success:
                return ToolResult(f"{tool}: HTTP {reply.status_code}: {text}", is_error=True)
            if len(raw) > message_cap:
                return ToolResult(text)  # too long to parse: shown as text, cut by the ToolSet
            try:
                result = mcp_types.CallToolResult.model_validate_json(raw)
            except ValueError:
                return ToolResult(text)
            return ToolResult(_content_text(result), is_error=result.is_error)

        return call, budget.kept

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
