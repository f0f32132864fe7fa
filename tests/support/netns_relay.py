"""Reaching a server that must not listen on the machine's interfaces.

Some servers (Weaviate's gRPC and cluster ports) listen on every interface whatever they are
told. Such a server runs in a private network namespace whose only interface is loopback
(``unshare -n``), and one of its TCP ports is relayed through a Unix socket, which lives in the
file system and so crosses network namespaces:

    unshare -n python -m tests.support.netns_relay inside SOCKET PORT -- server args...
    python -m tests.support.netns_relay outside SOCKET HOST_PORT

``inside`` brings loopback up, starts the server (it dies with the relay), relays ``SOCKET`` to
``127.0.0.1:PORT`` in the namespace, and exits with the server or on SIGTERM (stopping it).
``outside`` relays ``127.0.0.1:HOST_PORT`` on the machine to ``SOCKET``. Nothing listens
anywhere but loopback and the socket file.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable

Opener = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec: SIGKILL when the parent goes (Linux ``PR_SET_PDEATHSIG``)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


def relay(open_far: Opener) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A connection handler copying bytes both ways between a client and ``open_far()``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            far_reader, far_writer = await open_far()
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, far_writer), _pipe(far_reader, writer), return_exceptions=True)

    return handle


async def inside(socket_path: str, port: int, server: subprocess.Popen[bytes]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    listener = await asyncio.start_unix_server(
        relay(lambda: asyncio.open_connection("127.0.0.1", port)), path=socket_path
    )
    exited = loop.run_in_executor(None, server.wait)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([exited, stopping], return_when=asyncio.FIRST_COMPLETED)
    listener.close()
    if server.poll() is None:
        server.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(exited), timeout=20)
        except TimeoutError:
            server.kill()
    stopping.cancel()
    return await exited


async def outside(socket_path: str, host_port: int) -> int:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    listener = await asyncio.start_server(
        relay(lambda: asyncio.open_unix_connection(socket_path)), host="127.0.0.1", port=host_port
    )
    async with listener:
        await stop.wait()
    return 0


def main(argv: list[str]) -> int:
    mode, socket_path, port = argv[0], argv[1], int(argv[2])
    if mode == "inside":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        server = subprocess.Popen(argv[argv.index("--") + 1 :], preexec_fn=die_with_parent)
        return asyncio.run(inside(socket_path, port, server))
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(outside(socket_path, port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
