"""The simple HTTP tool protocol (reference §14.1): ``POST <url>/tools/list`` and ``POST <url>/tools/call``.

It has no session and no notifications, so the watch's check lists the tools again: a server that
went away is noticed, and one that changed its tools has the new list offered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import httpx
import mcp_types

from ark_runtime.config import McpServerConfig
from ark_runtime.limits import Limits
from ark_runtime.net.bounds import BODY_CAP, PeerError
from ark_runtime.net.client import read_prefix
from ark_runtime.tools.base import ToolResult
from ark_runtime.tools.http_tool import tool_client, transport_failure
from ark_runtime.tools.listing import ToolBudget
from ark_runtime.tools.remote import content_text, describe, prefixed
from ark_runtime.tools.watch import OnTools, SessionWatch


class NotSimpleHttp(Exception):
    """The server did not answer ``/tools/list`` in the simple HTTP protocol's shape."""


class SimpleHttpSession(SessionWatch):
    """A simple-HTTP tool server, used as if it were a session."""

    def __init__(self, config: McpServerConfig, headers: Mapping[str, str], limits: Limits) -> None:
        super().__init__(limits)
        self.config = config
        self._headers = dict(headers)
        self._base = config.url.rstrip("/")
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client; only used after :meth:`open`."""
        if self._client is None:
            raise RuntimeError("the simple HTTP session is not open")
        return self._client

    async def open(self, stack: AsyncExitStack) -> list[mcp_types.Tool]:
        """List the tools; raises :class:`NotSimpleHttp` when the server does not speak the protocol."""
        self._client = await stack.enter_async_context(tool_client(self.limits))
        self._client.headers.update(self._headers)
        return await self.list_tools()

    async def list_tools(self) -> list[mcp_types.Tool]:
        """``POST /tools/list``, within the caps."""
        url = f"{self._base}/tools/list"
        response = await self.client.post(url, json={}, timeout=self.limits.connect_timeout)
        try:
            body = response.json() if response.is_success else None
            listed = (
                [mcp_types.Tool.model_validate(t) for t in body["tools"]] if isinstance(body, dict) else None
            )
        except (ValueError, KeyError, TypeError):
            listed = None
        if listed is None:
            raise NotSimpleHttp(f"POST {url} answered HTTP {response.status_code} without a tools list")
        budget = ToolBudget(self.limits.max_tools_per_server, self.limits.max_tool_list_bytes)
        budget.add(listed)
        budget.report(self.config.name)
        return budget.kept

    async def probe(self, on_tools: OnTools) -> None:
        """List the tools again (the only question this protocol can be asked)."""
        on_tools(await self.list_tools())

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        """``POST /tools/call``; every failure is a tool error the model reads."""
        tool = prefixed(self.config.name, name)
        url = f"{self._base}/tools/call"
        timeout = self.limits.tool_timeout
        cap = self.limits.max_mcp_message_bytes
        try:
            async with asyncio.timeout(timeout):
                # read_prefix bounds this read: past the cap the body is shown cut, not refused.
                request = self.client.build_request(
                    "POST",
                    url,
                    json={"name": name, "arguments": dict(arguments)},
                    extensions={BODY_CAP: None},
                )
                reply = await self.client.send(request, stream=True)
                try:
                    raw = await read_prefix(reply, cap + 1)
                finally:
                    await reply.aclose()
        except TimeoutError:
            return ToolResult(
                f"{tool}: no answer within {timeout:g}s (AGENT_TOOL_TIMEOUT_SECONDS)", is_error=True
            )
        except PeerError as exc:
            return ToolResult(f"{tool}: {exc}", is_error=True)
        except httpx.TransportError as exc:
            self.fail(f"a call failed: {describe(exc)}")
            return ToolResult(transport_failure(tool, url, exc), is_error=True)
        except httpx.HTTPError as exc:
            return ToolResult(f"{tool}: {describe(exc)}", is_error=True)
        text = raw.decode("utf-8", "replace")
        if not reply.is_success:
            return ToolResult(f"{tool}: HTTP {reply.status_code}: {text}", is_error=True)
        if len(raw) > cap:
            return ToolResult(text)  # too long to parse: shown as text, cut by the ToolSet
        try:
            result = mcp_types.CallToolResult.model_validate_json(raw)
        except ValueError:
            return ToolResult(text)
        return ToolResult(content_text(result), is_error=result.is_error)
