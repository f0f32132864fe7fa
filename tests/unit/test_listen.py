"""ark.listen: sockets bound up front still get asyncio's TCP_NODELAY on every connection."""

from __future__ import annotations

import asyncio
import socket

import pytest

from ark.listen import listen


async def test_accepted_connections_do_not_wait_for_delayed_acks() -> None:
    sock = listen("127.0.0.1", 0)
    nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("socket")
        nodelay.set_result(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=sock)
    async with server:
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        assert await asyncio.wait_for(nodelay, timeout=5) != 0
        writer.close()


def test_a_busy_port_fails_at_once() -> None:
    first = listen("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match="in use"):
            listen("127.0.0.1", first.getsockname()[1])
    finally:
        first.close()
