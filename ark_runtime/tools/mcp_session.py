"""One session with an MCP server over streamable HTTP or SSE, through the ``mcp`` package.

Opening it is the handshake (``server/discover`` or ``initialize``) and the tools listing, paged,
within the caps (:class:`~ark_runtime.tools.listing.ToolBudget`). While it is open the server's
``notifications/tools/list_changed`` has the tools listed again: such notifications arrive through
the client's message handler on handshake-era connections, and through a ``subscriptions/listen``
stream on 2026-07-28 ones. The watch (:class:`~ark_runtime.tools.watch.SessionWatch`) checks the
server with ``ping``; 2026-07-28 dropped ``ping``, so such servers are asked ``tools/list`` instead
(which also catches a change whose notification was lost).

Every message is capped at ``AGENT_MAX_MCP_MESSAGE_BYTES`` by the HTTP client
(:mod:`ark_runtime.tools.mcp_http`); a broken cap ends the session and fails the call in flight
at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from contextlib import AsyncExitStack
from typing import Any

import httpx2
import mcp_types
from mcp import Client, MCPError
from mcp.client.session import IncomingMessage
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import SubscriptionLost
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ark_runtime.config import McpServerConfig, Transport
from ark_runtime.limits import Limits
from ark_runtime.net.bounds import PeerError
from ark_runtime.tools.base import ToolResult
from ark_runtime.tools.listing import ToolBudget
from ark_runtime.tools.mcp_http import McpClientFactory, mcp_http_client
from ark_runtime.tools.remote import content_text, describe, prefixed
from ark_runtime.tools.watch import OnTools, SessionWatch

log = logging.getLogger("ark_runtime.tools")

MAX_PAGES = 50
"""A paginator that never ends cannot hang the listing."""


class McpSession(SessionWatch):
    """An open MCP session: its tools, calls, and the checks that keep it honest."""

    def __init__(
        self, config: McpServerConfig, headers: Mapping[str, str], limits: Limits, transport: Transport
    ) -> None:
        super().__init__(limits)
        self.config = config
        self.transport = transport
        self._headers = dict(headers)
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        """The open client; only used after :meth:`open`."""
        if self._client is None:
            raise RuntimeError("the MCP session is not open")
        return self._client

    async def open(self, stack: AsyncExitStack) -> list[mcp_types.Tool]:
        """Connect, shake hands and list the tools; everything opened is closed by ``stack``."""
        limit = self.limits.max_mcp_message_bytes
        connect = self.limits.connect_timeout
        if self.transport == "sse":
            # The event stream carries every answer, the pings' too, so its read timeout never
            # expires on a live server.
            streams = sse_client(
                self.config.url,
                headers=self._headers,
                timeout=connect,
                httpx_client_factory=McpClientFactory(limit, self.fail),
            )
        else:
            # No read timeout: the transport's own event streams (server notifications,
            # subscriptions) are idle by design; calls are bounded below and pings tell a dead server.
            timeout = httpx2.Timeout(connect, read=None)
            http = await stack.enter_async_context(mcp_http_client(self._headers, timeout, limit, self.fail))
            streams = streamable_http_client(self.config.url, http_client=http, max_sse_event_size=limit)
        self._client = await stack.enter_async_context(
            Client(streams, cache=None, message_handler=self._on_message)
        )
        tools = await self.list_tools()
        capabilities = self.client.server_capabilities.tools
        if (
            self.client.protocol_version in MODERN_PROTOCOL_VERSIONS
            and capabilities is not None
            and capabilities.list_changed
        ):
            listener = asyncio.create_task(self._listen(), name=f"tool-server-{self.config.name}-listen")
            stack.push_async_callback(_stop, listener)
        return tools

    async def list_tools(self) -> list[mcp_types.Tool]:
        """Every page of ``tools/list`` until the caps are reached."""
        budget = ToolBudget(self.limits.max_tools_per_server, self.limits.max_tool_list_bytes)
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await self.client.list_tools(cursor=cursor)
            budget.add(page.tools)
            cursor = page.next_cursor
            if cursor is None or budget.full:
                break
        budget.report(self.config.name)
        return budget.kept

    async def probe(self, on_tools: OnTools) -> None:
        """``ping`` (handshake-era servers), else ``tools/list``."""
        if self.client.protocol_version in MODERN_PROTOCOL_VERSIONS:
            on_tools(await self.list_tools())
        else:
            await self.client.session.send_ping()

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        """``tools/call``; every failure is a tool error the model reads."""
        tool = prefixed(self.config.name, name)
        timeout = self.limits.tool_timeout
        try:
            async with asyncio.timeout(timeout):
                result = await self._unless_lost(self.client.call_tool(name, dict(arguments)))
        except MCPError as exc:
            if exc.code != mcp_types.CONNECTION_CLOSED:
                return ToolResult(f"{tool}: {exc}", is_error=True)
            self.fail("the connection closed during a call")
            return ToolResult(f"{tool}: connection to the server failed: {exc}", is_error=True)
        except TimeoutError:
            return ToolResult(
                f"{tool}: no answer within {timeout:g}s (AGENT_TOOL_TIMEOUT_SECONDS)", is_error=True
            )
        except Exception as exc:
            self.fail(f"a call failed: {describe(exc)}")
            return ToolResult(f"{tool}: connection to the server failed: {describe(exc)}", is_error=True)
        return ToolResult(content_text(result), is_error=result.is_error)

    async def _unless_lost(self, call: Awaitable[mcp_types.CallToolResult]) -> mcp_types.CallToolResult:
        # The session may break under the call (a cap broken, the server gone): fail at once then.
        pending = asyncio.ensure_future(call)
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            await asyncio.wait((pending, lost), return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        if pending.cancelled():
            raise PeerError(self.reason or "the connection to the server was lost during the call")
        return pending.result()

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            self.notice("relist")
        elif isinstance(message, Exception):
            # A transport fault (the event stream broke, a message could not be sent): check now.
            log.debug(
                "tool server transport fault", extra={"server": self.config.name, "error": describe(message)}
            )
            self.notice("probe")

    async def _listen(self) -> None:
        # 2026-07-28 servers announce changes only on a subscriptions/listen stream.
        try:
            async with self.client.listen(tools_list_changed=True) as subscription:
                async for _event in subscription:
                    self.notice("relist")
        except SubscriptionLost as exc:
            self.fail(f"its change notifications stopped: {exc}")
            return
        except MCPError as exc:
            log.debug(
                "tool server refused subscriptions/listen; its tool list is not watched",
                extra={"server": self.config.name, "error": str(exc)},
            )
            return
        self.notice("probe")  # the server closed the stream: is it going away?


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
