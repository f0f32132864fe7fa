"""Fixtures for ark.kube against the real API server: clients, a cuttable TCP proxy, a throwaway CRD."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from kubernetes_asyncio import client as k8s_client
from kubernetes_asyncio import config as k8s_config
from localcluster import ControlPlane

from ark.kube.client import KubeClient, NotFound
from ark.kube.resources import CUSTOM_RESOURCE_DEFINITIONS, Resource
from tests.support.wait import wait_for


@pytest.fixture
async def kube(api_client: Any) -> KubeClient:
    """A KubeClient on the session's admin ApiClient."""
    return KubeClient(api_client)


async def forward(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy ``source`` to ``sink`` until either side closes."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()


class TcpProxy:
    """A loopback TCP forwarder whose connections a test can cut, to break watches mid-stream.

    TLS passes through untouched (the serving certificate is for 127.0.0.1, so
    the client still verifies the real API server).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._paused = False
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def cut(self) -> int:
        """Abort every open connection (both directions); returns how many were cut."""
        links = list(self._links)
        for client_writer, upstream_writer in links:
            client_writer.transport.abort()
            upstream_writer.transport.abort()
        self._links.clear()
        return len(links)

    def pause(self) -> None:
        """Cut everything and refuse new connections until resume()."""
        self._paused = True
        self.cut()

    def resume(self) -> None:
        self._paused = False

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._paused:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        link = (writer, up_writer)
        self._links.add(link)
        pumps = [
            asyncio.create_task(forward(reader, up_writer)),
            asyncio.create_task(forward(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
                self._tasks.discard(pump)
            self._links.discard(link)
            writer.transport.abort()
            up_writer.transport.abort()


@pytest.fixture
async def proxy(control_plane: ControlPlane) -> AsyncIterator[TcpProxy]:
    """A cuttable proxy in front of the API server."""
    target = urlsplit(control_plane.server)
    assert target.hostname is not None
    assert target.port is not None
    tcp_proxy = TcpProxy(target.hostname, target.port)
    await tcp_proxy.start()
    yield tcp_proxy
    await tcp_proxy.stop()


async def client_for(control_plane: ControlPlane, host: str | None = None) -> KubeClient:
    """An owned KubeClient from the admin kubeconfig, optionally talking to another host (the proxy)."""
    configuration = k8s_client.Configuration()
    await k8s_config.load_kube_config(
        config_file=str(control_plane.kubeconfig), client_configuration=configuration
    )
    if host is not None:
        configuration.host = host
    return KubeClient.from_configuration(configuration)


@pytest.fixture
async def proxied_kube(control_plane: ControlPlane, proxy: TcpProxy) -> AsyncIterator[KubeClient]:
    """A KubeClient whose every connection goes through ``proxy``."""
    kube_client = await client_for(control_plane, proxy.url)
    yield kube_client
    await kube_client.close()


async def compact_etcd(etcd_url: str) -> int:
    """Compact etcd up to its current revision (physically), so older versions are gone; returns it."""
    async with httpx.AsyncClient(base_url=etcd_url, timeout=10) as etcd:
        header = (await etcd.post("/v3/kv/range", json={"key": "AA=="})).json()["header"]
        revision = int(header["revision"])
        response = await etcd.post("/v3/kv/compaction", json={"revision": str(revision), "physical": True})
        response.raise_for_status()
    return revision


@dataclass(frozen=True)
class Crd:
    resource: Resource
    name: str


@pytest.fixture
async def widget_crd(kube: KubeClient) -> AsyncIterator[Crd]:
    """A namespaced custom resource ``widgets.<random>.ark.test`` with a status subresource."""
    group = f"t{uuid.uuid4().hex[:8]}.ark.test"
    resource = Resource.custom(group, "v1", "widgets", "Widget")
    name = f"widgets.{group}"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            },
                        }
                    },
                }
            ],
        },
    }
    await kube.create(CUSTOM_RESOURCE_DEFINITIONS, crd)

    async def established() -> bool:
        current = await kube.get(CUSTOM_RESOURCE_DEFINITIONS, name)
        conditions = current.get("status", {}).get("conditions") or []
        if not any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return False
        await kube.list(resource, "default")  # served, not just accepted
        return True

    await wait_for(established, timeout=30, message=f"CRD {name} established")
    yield Crd(resource, name)
    with contextlib.suppress(NotFound):
        await kube.delete(CUSTOM_RESOURCE_DEFINITIONS, name)
