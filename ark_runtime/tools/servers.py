"""Tool servers from ``AGENT_MCP_SERVERS``: MCP (streamable HTTP, SSE) or the simple HTTP protocol.

Transport (decision §18 #11): the entry's ``transport`` when given; else ``sse`` for a URL whose
path ends in ``/sse``, else ``streamable-http`` falling back to ``http`` (``POST <url>/tools/list``,
``POST <url>/tools/call``) when the server does not speak MCP. Each server is kept connected by a
background task (:meth:`ServerConnection.run`): one connection round tries the candidate
transports within the connect timeout; a server that is down (at start-up or later) is retried
with backoff while the agent works with the tools it has. Tools appear as ``<server>__<tool>``.

The tools offered are always the current ones: a reconnection, or a server announcing a new list,
replaces them (a task already running keeps the list it started with, see
:meth:`~ark_runtime.tools.base.ToolSet.offer`). :attr:`ServerConnection.attempted` tells when the
first round is over, which agents wait for before they take work
(:func:`~ark_runtime.tools.startup.connect_first`); :meth:`ServerConnection.status` and
:meth:`ServerConnection.subscribe` tell ``ark run`` what to show.

Bounds (:class:`~ark_runtime.limits.Limits`): the handshake and tools listing must finish within
the connect timeout; each message is capped at ``AGENT_MAX_MCP_MESSAGE_BYTES``; the listing at
``AGENT_MAX_TOOLS_PER_SERVER`` tools and ``AGENT_MAX_TOOL_LIST_BYTES``; a call at
``AGENT_TOOL_TIMEOUT_SECONDS``. A server that breaks a cap fails the call in flight with a message
saying so, and the session is reconnected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from ark_runtime.backoff import Backoff
from ark_runtime.config import McpServerConfig, Transport
from ark_runtime.limits import Limits
from ark_runtime.tools.remote import RemoteCall, RemoteTool, describe

if TYPE_CHECKING:
    import mcp_types

    from ark_runtime.tools.mcp_session import McpSession
    from ark_runtime.tools.simple_http import SimpleHttpSession

log = logging.getLogger("ark_runtime.tools")

State = Literal["connecting", "connected", "unavailable"]


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """What a tool server's connection is doing, for people (``ark run --watch``, ``-o json``)."""

    name: str
    url: str
    state: State
    transport: Transport | None
    tools: tuple[str, ...]
    """The names offered to the model (``<server>__<tool>``)."""
    error: str
    """Why it is not connected ('' when it is, or before its first attempt is over)."""


Listener = Callable[[ServerStatus], None]


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
        self._retry_cap = retry_cap
        self._tools: list[RemoteTool] = []
        self._call: RemoteCall | None = None
        self._listeners: list[Listener] = []
        self.connected = asyncio.Event()
        self.attempted = asyncio.Event()
        """Set once the first connection round is over, whatever its outcome."""
        self.transport: Transport | None = None
        self.error = ""
        """Why the last round failed, or why the last session ended ('' while connected)."""
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

    def status(self) -> ServerStatus:
        """The connection right now."""
        if self.connected.is_set():
            state: State = "connected"
        else:
            state = "unavailable" if self.error else "connecting"
        return ServerStatus(
            self.name, self.config.url, state, self.transport, tuple(t.name for t in self._tools), self.error
        )

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with the new status whenever it changes."""
        self._listeners.append(listener)

    async def run(self) -> None:
        """Connect, stay connected, reconnect; runs until cancelled."""
        backoff = Backoff(base=0.25, cap=self._retry_cap)
        loop = asyncio.get_running_loop()
        while True:
            errors: list[str] = []
            ended: str | None = None
            deadline = loop.time() + self._limits.connect_timeout
            for transport in transport_candidates(self.config):
                if errors and loop.time() >= deadline:
                    break  # the round's time is spent: a server that hung once would hang again
                try:
                    ended = await self._session(transport, deadline, backoff)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    _raise_if_cancelling()
                    errors.append(f"{transport}: {describe(exc)}")
                    continue
                _raise_if_cancelling()
                break
            if ended is not None:
                self._lost(ended)
                continue  # it was up: reconnect right away
            delay = backoff.next_delay()
            self._failed(errors, delay, first=backoff.failures == 1)
            await asyncio.sleep(delay)

    async def _session(self, transport: Transport, deadline: float, backoff: Backoff) -> str:
        """Open a session and keep it while it works; returns why it ended, raises if it never opened."""
        # Imported here: an agent without tool servers never loads the MCP client (half a second).
        from ark_runtime.tools.mcp_session import McpSession
        from ark_runtime.tools.simple_http import SimpleHttpSession

        session: McpSession | SimpleHttpSession = (
            SimpleHttpSession(self.config, self._headers, self._limits)
            if transport == "http"
            else McpSession(self.config, self._headers, self._limits, transport)
        )
        loop = asyncio.get_running_loop()
        up = False
        ended = ""
        opening: Exception | None = None
        try:
            # The exit stack is left by ``async with`` so that the mcp package's task groups see how
            # the session ended (they raise their transport's error once it fails).
            async with asyncio.timeout(None) as closing, AsyncExitStack() as stack:
                try:
                    try:
                        listed = await self._open(session, stack, deadline)
                    except Exception as exc:
                        opening = exc
                        raise
                    self._install(transport, listed, session.call)
                    up = True
                    backoff.reset()
                    ended = await session.watch(self._retool)
                finally:
                    if up:
                        self._uninstall()
                    # Closing may talk to the server (an MCP session's DELETE): a server that hangs
                    # must not hold the reconnection up.
                    closing.reschedule(loop.time() + self._limits.connect_timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if opening is not None:
                raise opening from None
            if not up:
                raise
            ended = ended or session.reason or describe(exc)
        return ended

    async def _open(
        self, session: McpSession | SimpleHttpSession, stack: AsyncExitStack, deadline: float
    ) -> list[mcp_types.Tool]:
        try:
            async with asyncio.timeout_at(deadline):
                return await session.open(stack)
        except TimeoutError:
            timeout = self._limits.connect_timeout
            raise ConnectionError(
                session.reason or f"no complete handshake and tools listing within {timeout:g}s"
            ) from None

    def _install(self, transport: Transport, listed: list[mcp_types.Tool], call: RemoteCall) -> None:
        self._call = call
        self._tools = self._remote(listed, call)
        self.transport = transport
        self.error = ""
        self.failed_attempts = 0
        self.connected.set()
        self.attempted.set()
        log.info(
            "tool server connected",
            extra={"server": self.name, "transport": transport, "tools": [t.name for t in self._tools]},
        )
        self._changed()

    def _remote(self, listed: list[mcp_types.Tool], call: RemoteCall) -> list[RemoteTool]:
        return [
            RemoteTool(self.name, t.name, t.description or t.title or t.name, t.input_schema, call)
            for t in listed
        ]

    def _retool(self, listed: list[mcp_types.Tool]) -> None:
        """The server's tools, listed again: offer the new list from the next model call on."""
        if self._call is None:
            return
        tools = self._remote(listed, self._call)
        if tools == self._tools:
            return
        before = {t.name for t in self._tools}
        after = {t.name for t in tools}
        self._tools = tools
        log.info(
            "tool server changed its tools",
            extra={"server": self.name, "added": sorted(after - before), "removed": sorted(before - after)},
        )
        self._changed()

    def _uninstall(self) -> None:
        self._call = None
        self._tools = []
        self.transport = None
        self.connected.clear()

    def _lost(self, reason: str) -> None:
        self.error = reason
        log.warning(
            "tool server connection lost; reconnecting",
            extra={"server": self.name, "url": self.config.url, "reason": reason},
        )
        self._changed()

    def _failed(self, errors: list[str], delay: float, *, first: bool) -> None:
        self.failed_attempts += 1
        self.error = "; ".join(errors)
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "tool server unavailable; retrying in the background",
            extra={
                "server": self.name,
                "url": self.config.url,
                "errors": errors,
                "retry_in_s": round(delay, 2),
            },
        )
        self.attempted.set()
        self._changed()

    def _changed(self) -> None:
        status = self.status()
        for listener in self._listeners:
            listener(status)


def _raise_if_cancelling() -> None:
    """Re-raise a cancellation that a library swallowed while closing its session.

    The mcp package's anyio task groups can absorb an outside ``cancel()`` that lands while they
    shut down; without this check the connection would go on reconnecting and never stop.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
