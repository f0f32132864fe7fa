"""The runner: watches the pods bound to its node and runs those of the ark image, one worker per pod.

Interface::

    runner = PodRunner(client, Settings(log_dir=..., backoff_base=0.2))
    await runner.run(stop_event, on_ready=callback)   # until stop_event is set; then stops every process
    runner.workers                                    # {pod uid: PodWorker}

Watches are shared informers (:mod:`ark.kube.informer`: LIST, then WATCH from the list's
resourceVersion, re-watch on stream end, relist on 410): Pods with ``spec.nodeName=<node>``
(as the kubelet's own watch), and all ConfigMaps and Secrets, so that an environment is built
from the cache and a start blocked on a missing object is retried the moment it appears; and
the Node, for the allocatable resources the downward API reports. Pods are looked at only once
those caches are filled, so a Secret that exists is never reported missing.

With ``--sandbox`` (:mod:`podrunner.pod_sandbox`) the redis image is run too, and Services are
watched as well: the :class:`~podrunner.services.ServiceProxy` gives each Service a loopback
address, a line in every pod's ``/etc/hosts`` and a proxy to the ready pods it selects.

The runner talks to the API with the credentials it is given (the cluster admin in
``make cluster-up`` and the tests), not a node identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ark.kube.client import KubeClient
from ark.kube.events import EventRecorder
from ark.kube.informer import EventHandler, InformerFactory, SharedInformer
from ark.kube.resources import CONFIGMAPS, PODS, SECRETS, Resource
from podrunner.context import Settings
from podrunner.images import known_images, repositories
from podrunner.pod import PodWorker
from podrunner.services import SERVICES, ServiceProxy
from podrunner.stages import is_runner_pod

Obj = dict[str, Any]
NODES = Resource("", "v1", "nodes", "Node", namespaced=False)
SYNC_TIMEOUT = 60.0
log = logging.getLogger("podrunner")


class PodRunner:
    """Runs the ark-image pods of one node as local processes (see the module docstring)."""

    def __init__(self, client: KubeClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.events = EventRecorder(client, component="podrunner", host=settings.node)
        # Probes skip TLS verification, as the kubelet's do.
        self.http = httpx.AsyncClient(verify=False, follow_redirects=True)
        self.workers: dict[str, PodWorker] = {}
        images = known_images(settings)
        # Without the sandbox there are no volumes, so the redis image (it needs its /data) is kwok's.
        self.images = images if settings.sandbox else images[:1]
        self.repositories = repositories(self.images)
        self._factory = InformerFactory(client)
        self._configmaps = self._factory.informer(CONFIGMAPS)
        self._secrets = self._factory.informer(SECRETS)
        self._node = self._factory.informer(NODES, field_selector=f"metadata.name={settings.node}")
        self.services: ServiceProxy | None = None
        if settings.sandbox:
            self.services = ServiceProxy(self._backends)
            self._service_informer = self._factory.informer(SERVICES)

    # ------------------------------------------------------------------ Cluster

    def configmap(self, namespace: str, name: str) -> Obj | None:
        """A ConfigMap from the cache."""
        return self._configmaps.store.get(f"{namespace}/{name}")

    def secret(self, namespace: str, name: str) -> Obj | None:
        """A Secret from the cache."""
        return self._secrets.store.get(f"{namespace}/{name}")

    def allocatable(self) -> Mapping[str, str]:
        """The node's ``status.allocatable`` (empty until kwok reports it)."""
        node = self._node.store.get(self.settings.node)
        return dict(((node or {}).get("status") or {}).get("allocatable") or {})

    # ------------------------------------------------------------------ running

    async def run(self, stop: asyncio.Event, on_ready: Callable[[], None] | None = None) -> None:
        """Run pods until ``stop`` is set, then stop every process they have."""
        self.events.start()
        namespaced = EventHandler(
            on_add=self._object_changed,
            on_update=lambda _, new: self._object_changed(new),
            on_delete=self._object_changed,
        )
        self._configmaps.add_event_handler(namespaced)
        self._secrets.add_event_handler(namespaced)
        self._node.add_event_handler(EventHandler(on_update=lambda _, __: self._all_changed()))
        if self.services is not None:
            proxy = self.services
            self._service_informer.add_event_handler(
                EventHandler(
                    on_add=proxy.service_changed,
                    on_update=lambda _, new: proxy.service_changed(new),
                    on_delete=proxy.service_deleted,
                )
            )
        self._factory.start()
        pods: SharedInformer | None = None
        try:
            if not await self._factory.wait_for_cache_sync(timeout=SYNC_TIMEOUT):
                raise RuntimeError(f"ConfigMaps, Secrets and node {self.settings.node} did not sync")
            pods = self._factory.informer(PODS, field_selector=f"spec.nodeName={self.settings.node}")
            pods.add_event_handler(
                EventHandler(
                    on_add=self._pod_changed,
                    on_update=lambda _, new: self._pod_changed(new),
                    on_delete=self._pod_deleted,
                )
            )
            if not await pods.wait_for_sync(timeout=SYNC_TIMEOUT):
                raise RuntimeError(f"the pods of node {self.settings.node} did not sync")
            log.info(
                "running pods of images %s bound to node %s (logs in %s%s)",
                ", ".join(self.repositories),
                self.settings.node,
                self.settings.log_dir,
                f", sandboxed, data in {self.settings.data_dir}" if self.settings.sandbox else "",
            )
            if on_ready is not None:
                on_ready()
            await stop.wait()
        finally:
            await self._shutdown(pods)

    async def _shutdown(self, pods: SharedInformer | None) -> None:
        if pods is not None:
            await pods.stop()
        workers = list(self.workers.values())
        if workers:
            log.info("stopping %d pods", len(workers))
        await asyncio.gather(*(worker.shutdown() for worker in workers), return_exceptions=True)
        await self._factory.stop()
        if self.services is not None:
            await self.services.close()
        with contextlib.suppress(Exception):
            await self.events.stop()
        await self.http.aclose()

    # ------------------------------------------------------------------ events

    def _pod_changed(self, pod: Obj) -> None:
        if not is_runner_pod(pod, self.repositories):
            return
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if worker is None:
            worker = PodWorker(self, pod, self.images)
            self.workers[uid] = worker
            worker.finished.add_done_callback(lambda _: self._forget(uid, worker))
            worker.start()
        worker.update(pod)

    def _pod_deleted(self, pod: Obj) -> None:
        worker = self.workers.get(pod["metadata"]["uid"])
        if worker is not None:
            worker.deleted()

    def _backends(self, namespace: str, selector: dict[str, str], target_port: int | str) -> list[int]:
        """The loopback ports of the ready pods of ``namespace`` that ``selector`` matches."""
        ports = []
        for worker in self.workers.values():
            labels = worker.pod["metadata"].get("labels") or {}
            if worker.namespace != namespace or not worker.ready():
                continue
            if all(labels.get(key) == value for key, value in selector.items()):
                port = worker.served_port(target_port)
                if port is not None:
                    ports.append(port)
        return ports

    def _forget(self, uid: str, worker: PodWorker) -> None:
        if self.workers.get(uid) is worker:
            del self.workers[uid]

    def _object_changed(self, obj: Obj) -> None:
        namespace = obj["metadata"].get("namespace")
        for worker in list(self.workers.values()):
            if worker.namespace == namespace:
                worker.config_changed()

    def _all_changed(self) -> None:
        for worker in list(self.workers.values()):
            worker.config_changed()
