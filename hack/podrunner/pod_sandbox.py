"""What one pod's containers see with ``--sandbox``: its volumes, its /etc/hosts, the API server.

Interface::

    sandbox = PodSandbox(cluster, pod, directory)       # directory: <data dir>/<pod uid>
    argv, env = await sandbox.wrap(container, program, argv, env)   # ContainerConfigError: retried
    service_env(cluster.client.host)                    # KUBERNETES_SERVICE_HOST/PORT...
    await sandbox.remove()                              # the pod is gone

:meth:`PodSandbox.wrap` materialises the pod's volumes (:mod:`podrunner.volumes`), keeps the
pod's hosts file current (:mod:`podrunner.services`), gives the start a fresh writable layer and
writes the plan that :mod:`podrunner.sandbox` carries out; it returns the helper's command line,
which execs the container's program in place (same pid). While the pod has ServiceAccount tokens,
a task requests new ones at 80 % of their lifetime, as the kubelet does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podrunner.context import Cluster
from podrunner.env import ContainerConfigError
from podrunner.sandbox import Mount, Plan
from podrunner.volumes import PodVolumes

Obj = dict[str, Any]
TOKEN_RETRY_SECONDS = 10.0
log = logging.getLogger("podrunner")


def service_env(api_server: str) -> dict[str, str]:
    """The ``kubernetes`` Service's link variables, pointing at where the API server listens.

    A kubelet gives the Service's cluster IP and port 443; here the API server itself
    (``127.0.0.1:<port>``, in its serving certificate), so in-cluster clients verify it as usual.
    """
    url = urlsplit(api_server)
    host, port = url.hostname or "127.0.0.1", str(url.port or 443)
    return {
        "KUBERNETES_SERVICE_HOST": host,
        "KUBERNETES_SERVICE_PORT": port,
        "KUBERNETES_SERVICE_PORT_HTTPS": port,
        "KUBERNETES_PORT": f"tcp://{host}:{port}",
    }


class PodSandbox:
    """See the module docstring."""

    def __init__(self, cluster: Cluster, pod: Obj, directory: Path) -> None:
        self.cluster = cluster
        self.namespace = str(pod["metadata"]["namespace"])
        # The kubelet's: spec.hostname, else the pod's name (at most 63 characters).
        self.hostname = str((pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"])[:63]
        self.directory = directory
        self.volumes = PodVolumes(
            cluster.client,
            pod,
            directory / "volumes",
            configmap=lambda name: cluster.configmap(self.namespace, name),
            secret=lambda name: cluster.secret(self.namespace, name),
        )
        self.hosts = directory / "hosts"
        self._starts = 0
        self._refresher: asyncio.Task[None] | None = None

    async def wrap(
        self, container: Obj, program: Path, argv: list[str], env: dict[str, str]
    ) -> tuple[Path, list[str], dict[str, str]]:
        """(program, argv, env) that start ``program`` inside the pod's view instead."""
        await self.volumes.prepare()
        if self._refresher is None and self.volumes.next_refresh() is not None:
            self._refresher = asyncio.create_task(self._refresh_tokens_forever())
        mounts = self.volumes.mounts(container)
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.cluster.services is not None:
            self.cluster.services.track_hosts(self.hosts, self.namespace)
            mounts.append(Mount(str(self.hosts), "/etc/hosts", read_only=True))
        layer = self._fresh_layer(str(container["name"]))
        plan = Plan(
            root=str(layer / "root"),
            upper=str(layer / "upper"),
            work=str(layer / "work"),
            program=str(program),
            argv=[str(program), *argv[1:]],
            env=env,
            cwd=str(container.get("workingDir") or "/"),
            hostname=self.hostname,
            mounts=mounts,
            keep=image_files(),
        )
        plan_file = layer / "plan.json"
        plan.write(plan_file)
        helper = plan.command(plan_file)
        return Path(helper[0]), helper, {}

    def _fresh_layer(self, container: str) -> Path:
        """An empty root/upper/work for this start; the previous start's layer is gone with it."""
        base = self.directory / "layers" / container
        shutil.rmtree(base, ignore_errors=True)
        self._starts += 1
        layer = base / str(self._starts)
        for name in ("root", "upper", "work"):
            (layer / name).mkdir(parents=True)
        return layer

    async def _refresh_tokens_forever(self) -> None:
        while (due := self.volumes.next_refresh()) is not None:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            try:
                await self.volumes.refresh_tokens()
            except ContainerConfigError as error:
                log.warning("%s: token refresh failed, retrying: %s", self.namespace, error.message)
                await asyncio.sleep(TOKEN_RETRY_SECONDS)

    async def remove(self) -> None:
        """Stop refreshing tokens, forget the hosts file, delete the pod's volumes and layers."""
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self.cluster.services is not None:
            self.cluster.services.untrack_hosts(self.hosts)
        self.volumes.remove()
        shutil.rmtree(self.directory, ignore_errors=True)


def image_files() -> list[str]:
    """The host directories our images' programs run from: this checkout and the runner's venv."""
    checkout = Path(__file__).resolve().parents[2]
    venv = Path(sys.prefix).resolve()
    return [str(checkout)] if venv.is_relative_to(checkout) else [str(checkout), str(venv)]
