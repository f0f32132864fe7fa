"""The runner's Service proxy with real sockets: names in a hosts file, connections to the pods."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from podrunner.services import ServiceProxy

from tests.support.wait import wait_for

Obj = dict[str, Any]


def service(name: str, selector: dict[str, str] | None, port: int = 6379, target: int | str = "redis") -> Obj:
    spec: Obj = {"clusterIP": "10.0.0.20", "ports": [{"name": "redis", "port": port, "targetPort": target}]}
    if selector is not None:
        spec["selector"] = selector
    return {"metadata": {"name": name, "namespace": "ark-system"}, "spec": spec}


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    """A real TCP server on loopback answering each line with ``echo: <line>``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(b"echo: " + line)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def address_of(hosts: str, name: str) -> str | None:
    match = re.search(rf"^(\S+)\t.*\b{re.escape(name)}\b", hosts, re.M)
    return match.group(1) if match else None


async def test_a_service_gets_a_name_and_forwards_to_the_selected_ready_pods(
    tmp_path: Path, echo: int
) -> None:
    asked: list[tuple[str, dict[str, str], int | str]] = []

    def backends(namespace: str, selector: dict[str, str], target: int | str) -> list[int]:
        asked.append((namespace, selector, target))
        return [echo] if selector == {"app": "redis"} else []

    proxy = ServiceProxy(backends)
    hosts = tmp_path / "hosts"
    hosts.touch()
    inode = hosts.stat().st_ino
    proxy.track_hosts(hosts, "default")
    try:
        proxy.service_changed(service("redis", {"app": "redis"}))
        address = await wait_for(
            lambda: address_of(hosts.read_text(), "redis.ark-system.svc.cluster.local"),
            message="the hosts line",
        )
        assert hosts.stat().st_ino == inode, "written in place (it is bind-mounted)"
        assert address.startswith("127.")
        assert not address.startswith("127.0.0.")
        assert "localhost" in hosts.read_text()

        reader, writer = await asyncio.open_connection(address, 6379)
        writer.write(b"PING\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.readline(), 10) == b"echo: PING\n"
        writer.close()
        assert asked[-1] == ("ark-system", {"app": "redis"}, "redis")

        # No ready pod selected: the connection is closed at once, as a refused one.
        proxy.service_changed(service("lonely", {"app": "none"}, port=7000))
        lonely = await wait_for(lambda: address_of(hosts.read_text(), "lonely.ark-system"), message="lonely")
        reader, writer = await asyncio.open_connection(lonely, 7000)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()

        # A Service without a selector (the kubernetes Service) gets no name.
        proxy.service_changed(service("external", None))
        proxy.service_deleted(service("redis", {"app": "redis"}))
        await wait_for(lambda: "redis.ark-system" not in hosts.read_text(), message="the line removed")
        assert "external" not in hosts.read_text()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(address, 6379)
    finally:
        await proxy.close()
        with contextlib.suppress(OSError):
            hosts.unlink()
