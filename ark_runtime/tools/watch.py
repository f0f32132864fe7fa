"""Keeping an open tool-server session honest: noticing that it died, or that its tools changed.

A session is checked every ``AGENT_MCP_PING_SECONDS`` (and at once when its transport reports a
fault); a check that fails or times out ends the session, and the connection reconnects. A server
that announces a new tool list has it listed again. Calls that find the connection broken, and
broken caps, end the session at once (:meth:`SessionWatch.fail`).
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from typing import Literal

import mcp_types

from ark_runtime.limits import Limits
from ark_runtime.tools.remote import describe

Due = Literal["relist", "probe"]
OnTools = Callable[[list[mcp_types.Tool]], None]
"""Called with a server's new tool list."""


class SessionWatch(abc.ABC):
    """What every session shares: why it ended, what is due to be checked, and the loop checking it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.lost = asyncio.Event()
        """Set once the session can no longer be used; :attr:`reason` says why."""
        self.reason = ""
        self._wake = asyncio.Event()
        self._due: set[Due] = set()

    def notice(self, due: Due) -> None:
        """Ask the watch to list the tools again, or to check the server now."""
        self._due.add(due)
        self._wake.set()

    def fail(self, reason: str) -> None:
        """End the session (the first reason is kept)."""
        if not self.lost.is_set():
            self.reason = reason
            self.lost.set()
            self._wake.set()

    @abc.abstractmethod
    async def list_tools(self) -> list[mcp_types.Tool]:
        """The server's tools, within the caps."""

    @abc.abstractmethod
    async def probe(self, on_tools: OnTools) -> None:
        """Raise unless the server still answers on this session (it may report new tools)."""

    async def watch(self, on_tools: OnTools) -> str:
        """Check the session until it is lost; returns why it was."""
        timeout = self.limits.connect_timeout
        while not self.lost.is_set():
            try:
                async with asyncio.timeout(self.limits.tool_server_ping):
                    await self._wake.wait()
            except TimeoutError:
                self._due.add("probe")
            self._wake.clear()
            due, self._due = self._due, set()
            if self.lost.is_set():
                break
            doing = "listing its tools again" if "relist" in due else "a liveness check"
            try:
                async with asyncio.timeout(timeout):
                    if "relist" in due:
                        on_tools(await self.list_tools())
                    else:
                        await self.probe(on_tools)
            except TimeoutError:
                self.fail(f"no answer to {doing} within {timeout:g}s")
            except Exception as exc:
                self.fail(f"{doing} failed: {describe(exc)}")
        return self.reason
