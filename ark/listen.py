"""Listening sockets for the operator's HTTP servers, bound before they serve.

Binding up front makes a busy port fail the operator's start instead of passing unnoticed. The
socket must say it is TCP: asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only on accepted
sockets whose protocol is ``IPPROTO_TCP``, and ``socket.socket(AF_INET, SOCK_STREAM)`` leaves the
protocol 0. With Nagle on, uvicorn's separate header and body writes wait for the client's delayed
ACK, about 40 ms on every answer.

Interface::

    sock = listen("0.0.0.0", 8092)      # bound, listening, non-blocking; port 0 picks a free one
    sock.getsockname()[1]               # the bound port
"""

from __future__ import annotations

import socket

BACKLOG = 2048
"""Connections the kernel queues before accepting: enough for a burst of parallel fires."""


def listen(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A non-blocking TCP socket bound to ``host:port`` and listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
