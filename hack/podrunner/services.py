"""Services for the runner's pods: a name in each pod's ``/etc/hosts``, a proxy behind it.

Interface::

    proxy = ServiceProxy(backends=lambda namespace, selector, target_port: [loopback ports])
    proxy.service_changed(service); proxy.service_deleted(service)     # the Services informer
    proxy.hosts_text(namespace)          # /etc/hosts for a pod of that namespace
    proxy.track_hosts(path, namespace)   # keep that file current as Services come and go
    proxy.untrack_hosts(path)
    await proxy.close()

Cluster IPs are not routable from the host, and the processes share its network. So, standing in
for cluster DNS and kube-proxy (in its old userspace mode), each Service with a cluster IP gets
an address of its own in 127.0.0.0/8 (random, so that runners of parallel clusters do not meet),
and the runner listens there on each of its TCP ports. The pod's ``/etc/hosts`` maps
``<service>.<namespace>.svc.cluster.local`` (and ``.svc``, ``<service>.<namespace>``, and the
bare name in the pod's own namespace) to that address. A connection is forwarded to a ready pod
of this runner that the Service's selector matches, on the loopback port its container really
listens on for the Service's ``targetPort`` (the serving deviation, :mod:`podrunner.serving`).
The runner chooses the pods itself rather than reading EndpointSlices: the endpoint-slice
controller leaves out pods whose IP is loopback, as every pod's is here. Services without a
selector (``kubernetes``: pods use ``KUBERNETES_SERVICE_HOST``) get no address. Without a ready
pod the connection is closed at once, as a refused one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ark.kube.resources import Resource

Obj = dict[str, Any]
SERVICES = Resource("", "v1", "services", "Service")
CLUSTER_DOMAIN = "cluster.local"
ADDRESS_ATTEMPTS = 32
CHUNK = 65536
log = logging.getLogger("podrunner")

Backends = Callable[[str, dict[str, str], "int | str"], list[int]]
"""(namespace, selector, target port) -> the loopback ports of the ready pods serving it here."""

HOSTS_HEADER = """\
# Kubernetes-managed hosts file (the pod runner: Services at their loopback addresses).
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
"""


def service_names(name: str, namespace: str, pod_namespace: str) -> list[str]:
    """The names a pod of ``pod_namespace`` resolves the Service by."""
    names = [f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}", f"{name}.{namespace}.svc", f"{name}.{namespace}"]
    return [*names, name] if namespace == pod_namespace else names


@dataclass
class _Service:
    namespace: str
    name: str
    address: str
    selector: dict[str, str]
    ports: dict[int, int | str]
    """Service port -> its target port (a number, or a container port's name)."""
    servers: list[asyncio.Server] = field(default_factory=list)


def _random_address() -> str:
    # 127.0.0.0/8 is loopback; stay clear of 127.0.0.x, where everything else listens.
    return f"127.{random.randint(100, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class ServiceProxy:
    """See the module docstring."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._services: dict[tuple[str, str], _Service] = {}
        self._hosts: dict[Path, str] = {}
        self._pending: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ hosts files

    def hosts_text(self, pod_namespace: str) -> str:
        """``/etc/hosts`` for a pod of ``pod_namespace``."""
        lines = [HOSTS_HEADER]
        for (namespace, name), service in sorted(self._services.items()):
            if service.servers:
                names = " ".join(service_names(name, namespace, pod_namespace))
                lines.append(f"{service.address}\t{names}\n")
        return "".join(lines)

    def track_hosts(self, path: Path, pod_namespace: str) -> None:
        """Write ``path`` now and whenever Services change (in place: it is bind-mounted)."""
        self._hosts[path] = pod_namespace
        self._write_hosts(path, pod_namespace)

    def untrack_hosts(self, path: Path) -> None:
        """Stop keeping ``path`` current."""
        self._hosts.pop(path, None)

    def _write_hosts(self, path: Path, pod_namespace: str) -> None:
        # Truncate and write the same inode: a rename would leave the bind mount on the old file.
        with contextlib.suppress(OSError), path.open("w") as out:
            out.write(self.hosts_text(pod_namespace))

    def _hosts_changed(self) -> None:
        for path, namespace in list(self._hosts.items()):
            self._write_hosts(path, namespace)

    # ------------------------------------------------------------------ informer events

    def service_changed(self, service: Obj) -> None:
        """A Service was added or changed: (re)listen for it."""
        self._spawn(self._update(service))

    def service_deleted(self, service: Obj) -> None:
        """A Service is gone: stop listening for it."""
        meta = service["metadata"]
        self._spawn(self._remove((meta["namespace"], meta["name"])))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _update(self, service: Obj) -> None:
        meta, spec = service["metadata"], service.get("spec") or {}
        key = (meta["namespace"], meta["name"])
        ports: dict[int, int | str] = {
            int(p["port"]): p.get("targetPort", p["port"])
            for p in spec.get("ports") or ()
            if p.get("protocol", "TCP") == "TCP"
        }
        selector = dict(spec.get("selector") or {})
        current = self._services.get(key)
        routable = (
            bool(selector)
            and spec.get("clusterIP") not in (None, "", "None")
            and spec.get("type") != "ExternalName"
        )
        if current is not None and (current.ports, current.selector) == (ports, selector) and routable:
            return
        await self._remove(key)
        if routable and ports:
            created = await self._listen(meta["namespace"], meta["name"], selector, ports)
            if created is not None:
                self._services[key] = created
        self._hosts_changed()

    async def _listen(
        self, namespace: str, name: str, selector: dict[str, str], ports: dict[int, int | str]
    ) -> _Service | None:
        for _ in range(ADDRESS_ATTEMPTS):
            service = _Service(namespace, name, _random_address(), selector, ports)
            try:
                for port in ports:
                    service.servers.append(
                        await asyncio.start_server(self._handler(service, port), service.address, port)
                    )
            except OSError:
                await self._close(service)
                continue
            log.info("service %s/%s at %s, ports %s", namespace, name, service.address, sorted(ports))
            return service
        log.warning("service %s/%s: no free loopback address; its pods cannot reach it", namespace, name)
        return None

    async def _remove(self, key: tuple[str, str]) -> None:
        service = self._services.pop(key, None)
        if service is not None:
            await self._close(service)
            self._hosts_changed()

    @staticmethod
    async def _close(service: _Service) -> None:
        for server in service.servers:
            server.close()
        for server in service.servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        service.servers.clear()

    # ------------------------------------------------------------------ forwarding

    def _handler(
        self, service: _Service, port: int
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._forward(service, port, reader, writer)

        return handle

    async def _forward(
        self, service: _Service, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        backends = self.backends(service.namespace, service.selector, service.ports[port])
        random.shuffle(backends)
        for target in backends:
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
            except OSError:
                continue
            await _splice(reader, writer, upstream_reader, upstream_writer)
            return
        writer.close()

    async def close(self) -> None:
        """Stop every listener and pending update."""
        for task in list(self._pending):
            task.cancel()
        for service in list(self._services.values()):
            await self._close(service)
        self._services.clear()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()


async def _splice(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    """Copy both ways until either side closes, then close both."""
    tasks = [
        asyncio.create_task(_pipe(client_reader, upstream_writer)),
        asyncio.create_task(_pipe(upstream_reader, client_writer)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for writer in (client_writer, upstream_writer):
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
