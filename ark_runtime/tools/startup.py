"""Connect first, then work: wait for every tool server's first connection attempt before taking tasks.

The attempts run in parallel (each connection's own task, :meth:`ServerConnection.run`); each is
bounded by the connect timeout (``AGENT_CONNECT_TIMEOUT_SECONDS``), so the wait is too. A server
that failed is logged by its connection with the reason and retried in the background; the agent
starts without its tools and gets them when it connects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from ark_runtime.tools.servers import ServerConnection

log = logging.getLogger("ark_runtime.tools")

CLOSING_SLACK = 0.5
"""Seconds past the connect timeout for an attempt that just timed out to be torn down and recorded."""


async def connect_first(servers: Sequence[ServerConnection], timeout: float) -> None:
    """Return once every server's first connection round is over, or ``timeout`` (+ slack) has passed."""
    waiting = [asyncio.ensure_future(s.attempted.wait()) for s in servers if not s.attempted.is_set()]
    if waiting:
        try:
            await asyncio.wait(waiting, timeout=timeout + CLOSING_SLACK)
        finally:
            for wait in waiting:
                wait.cancel()
    late = [s.name for s in servers if not s.attempted.is_set()]
    if late:
        log.warning(
            "tool servers still connecting; starting without their tools",
            extra={"servers": late, "waited_s": timeout},
        )
    if servers:
        log.info(
            "tool servers' first connection attempts are over",
            extra={
                "connected": [s.name for s in servers if s.connected.is_set()],
                "unavailable": [s.name for s in servers if not s.connected.is_set()],
            },
        )
