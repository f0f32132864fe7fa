"""KubeClient and the proxy environment: ``HTTPS_PROXY`` is honoured and ``NO_PROXY`` exempts.

The client resolves the proxy once when it is built rather than on every request (see the module
docstring of :mod:`ark.kube.client`); these tests hold it to the behaviour users rely on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from localcluster import ControlPlane

from ark.kube.client import KubeClient
from ark.kube.resources import NAMESPACES
from tests.integration.kube.conftest import forward


class ConnectProxy:
    """A loopback HTTP proxy that tunnels ``CONNECT host:port`` and records each target."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        self.targets.append(target)
        host, port = target.rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pumps = [
            asyncio.create_task(forward(reader, up_writer)),
            asyncio.create_task(forward(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
            self._tasks.discard(pump)
        writer.close()
        up_writer.close()


@pytest.fixture
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    proxy = ConnectProxy()
    await proxy.start()
    yield proxy
    await proxy.stop()


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


async def test_https_proxy_from_the_environment_carries_every_request(
    control_plane: ControlPlane, connect_proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{connect_proxy.port}")
    server = urlsplit(control_plane.server)
    async with await KubeClient.from_kubeconfig(control_plane.kubeconfig) as kube:
        names = {ns["metadata"]["name"] for ns in (await kube.list(NAMESPACES))["items"]}
        await kube.get(NAMESPACES, "default")
    assert "default" in names
    assert connect_proxy.targets, "no request went through the proxy"
    assert set(connect_proxy.targets) == {f"{server.hostname}:{server.port}"}


async def test_no_proxy_exempts_the_api_server(
    control_plane: ControlPlane, connect_proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{connect_proxy.port}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    async with await KubeClient.from_kubeconfig(control_plane.kubeconfig) as kube:
        assert (await kube.get(NAMESPACES, "default"))["metadata"]["name"] == "default"
    assert connect_proxy.targets == []
