"""One pod bound to the runner's node: its containers, its status, its end.

Interface::

    worker = PodWorker(cluster, pod)
    worker.start()                    # starts its containers and its status writer
    worker.update(pod)                # the latest object (a deletionTimestamp starts termination)
    worker.deleted()                  # the pod is gone from the API (force delete)
    worker.config_changed()           # a ConfigMap / Secret of its namespace changed
    worker.served_port(6379)          # the loopback port a container serves 6379 (or "redis") on
    worker.ready()                    # every container ready, as the Ready condition says
    await worker.shutdown()           # the runner stops: stop the processes, report them stopped
    await worker.finished             # the worker is done (after termination or shutdown)

Status is written as the kubelet's status manager writes it: a strategic-merge patch of
``pods/status`` carrying ``metadata.uid`` as a precondition (a pod recreated under the same name
is never patched with another pod's status), only when the rendered status changed, one write at
a time per pod, retried while the API is unreachable.

Termination, as the kubelet does it: once the pod has a ``deletionTimestamp`` its containers get
SIGTERM and, after ``metadata.deletionGracePeriodSeconds`` (else the pod's
``terminationGracePeriodSeconds``, at least 2 s), SIGKILL; then the final status (a terminal
phase) is written and the pod is deleted with grace 0 and a UID precondition. Pods in a terminal
phase are not run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from typing import Any

from ark.kube.client import ApiError, Conflict, KubeClient, NotFound, PatchType, TransportError
from ark.kube.resources import PODS
from podrunner.container import ContainerWorker, pod_key
from podrunner.context import Cluster
from podrunner.images import Image, image_of
from podrunner.pod_sandbox import PodSandbox
from podrunner.status import ContainerView, Terminated, Waiting, pod_status
from podrunner.volumes import pod_directory

Obj = dict[str, Any]
log = logging.getLogger("podrunner")
MINIMUM_GRACE_SECONDS = 2.0
RETRY_SECONDS = 1.0
FINAL_WRITE_ATTEMPTS = 5


def _parse_time(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


def _restored_view(spec: Obj, previous: Obj | None) -> ContainerView:
    """The view of a container as a previous runner left it: its restart count carries on."""
    view = ContainerView(name=spec["name"], image=str(spec.get("image", "")))
    if previous:
        state = previous.get("state") or {}
        ran = "running" in state or "terminated" in state or bool(previous.get("lastState"))
        view.restart_count = int(previous.get("restartCount", 0)) + (1 if ran else 0)
    return view


class PodWorker:
    """Runs one pod (see the module docstring)."""

    def __init__(self, cluster: Cluster, pod: Obj, images: tuple[Image, ...]) -> None:
        self.cluster = cluster
        self.client: KubeClient = cluster.client
        self.pod = pod
        meta = pod["metadata"]
        self.uid = str(meta["uid"])
        self.namespace = str(meta["namespace"])
        self.name = str(meta["name"])
        status = pod.get("status") or {}
        self.start_time = _parse_time(status.get("startTime")) or datetime.datetime.now(datetime.UTC)
        previous = {c.get("name"): c for c in status.get("containerStatuses") or ()}
        specs = (pod.get("spec") or {}).get("containers") or ()
        self.views = [_restored_view(spec, previous.get(spec["name"])) for spec in specs]
        settings = cluster.settings
        self.sandbox = (
            PodSandbox(cluster, pod, pod_directory(settings.data_dir, pod)) if settings.sandbox else None
        )
        self.containers = []
        for spec, view in zip(specs, self.views, strict=True):
            image = image_of(view.image, images)
            if image is not None:
                self.containers.append(
                    ContainerWorker(
                        cluster,
                        lambda: self.pod,
                        spec,
                        view,
                        self._mark_dirty,
                        image=image,
                        sandbox=self.sandbox,
                    )
                )
            else:
                known = ", ".join(r for i in images for r in i.repositories)
                view.state = Waiting("ContainerCreating", f"the pod runner runs only images of {known}")
        self._dirty = asyncio.Event()
        self._terminating = asyncio.Event()
        self._gone = False
        self._shutting_down = False
        self._terminal = False
        self._written: Obj | None = None
        self._task: asyncio.Task[None] | None = None
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # ------------------------------------------------------------------ events

    def start(self) -> None:
        """Start running the pod."""
        self._task = asyncio.create_task(self._run(), name=f"pod {pod_key(self.pod)}")
        self._task.add_done_callback(self._done)

    def update(self, pod: Obj) -> None:
        """The latest pod object from the watch."""
        self.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self._terminating.set()

    def deleted(self) -> None:
        """The pod was removed from the API without waiting for us (``--force``)."""
        self._gone = True
        self._terminating.set()

    def served_port(self, target: int | str) -> int | None:
        """Where a running container serves ``target`` (a port, or a declared port's name) here."""
        for container in self.containers:
            number: int | str | None = target
            if isinstance(target, str) and not target.isdigit():
                named = [p for p in container.spec.get("ports") or () if p.get("name") == target]
                number = named[0].get("containerPort") if named else None
            if number is not None and (port := container.served_port(int(number))) is not None:
                return port
        return None

    def ready(self) -> bool:
        """True while every container of the pod is ready."""
        return bool(self.views) and all(view.ready for view in self.views)

    def config_changed(self) -> None:
        """Retry containers whose start is blocked on a ConfigMap or Secret."""
        for container in self.containers:
            container.config_changed()

    async def shutdown(self) -> None:
        """Stop every process (the runner is stopping); the pod stays, reported not running."""
        self._shutting_down = True
        self._terminating.set()
        await asyncio.shield(self.finished)

    # ------------------------------------------------------------------ running

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: pod worker failed", pod_key(self.pod), exc_info=task.exception())
        if not self.finished.done():
            self.finished.set_result(None)

    def _container_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: %s failed", pod_key(self.pod), task.get_name(), exc_info=task.exception())

    def _grace(self) -> float:
        meta, spec = self.pod["metadata"], self.pod.get("spec") or {}
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        seconds = max(float(grace), MINIMUM_GRACE_SECONDS)
        return min(seconds, self.cluster.settings.shutdown_grace) if self._shutting_down else seconds

    async def _run(self) -> None:
        phase = (self.pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed") or self.pod["metadata"].get("deletionTimestamp"):
            # Finished before we saw it, or deleted before it ever started: nothing to run,
            # and its status is not ours to rewrite.
            await self._terminating.wait()
            await self._delete()
            return
        writer = asyncio.create_task(self._write_status_loop())
        runs = [asyncio.create_task(c.run(), name=f"container {c.name}") for c in self.containers]
        for run in runs:
            run.add_done_callback(self._container_done)
        self._mark_dirty()
        try:
            await self._terminating.wait()
            grace = self._grace()
            log.info("%s: stopping its containers (grace %gs)", pod_key(self.pod), grace)
            await asyncio.gather(*(c.stop(grace) for c in self.containers))
            await asyncio.gather(*runs)
        finally:
            for run in runs:
                run.cancel()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        await self._report_stopped()
        if self.sandbox is not None and not self._shutting_down:
            await self.sandbox.remove()
        await self._delete()

    async def _report_stopped(self) -> None:
        """The last status: every container stopped; a terminal phase unless only the runner stops."""
        self._terminal = not self._shutting_down
        if self._terminal:
            for view in self.views:
                if isinstance(view.state, Waiting) and view.last_state is None:
                    view.state = Terminated(
                        137,
                        "ContainerStatusUnknown",
                        datetime.datetime.now(datetime.UTC),
                        message="The container could not be located when the pod was terminated",
                    )
        for _ in range(FINAL_WRITE_ATTEMPTS):
            if await self._write_status():
                return
            await asyncio.sleep(RETRY_SECONDS)

    async def _delete(self) -> None:
        if self._gone or self._shutting_down:
            return
        with contextlib.suppress(NotFound, Conflict, TransportError):
            await self.client.delete(
                PODS, self.name, self.namespace, preconditions={"uid": self.uid}, grace_period_seconds=0
            )
        log.info("%s: deleted", pod_key(self.pod))

    # ------------------------------------------------------------------ status

    def _mark_dirty(self) -> None:
        self._dirty.set()

    async def _write_status_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if not await self._write_status():
                await asyncio.sleep(RETRY_SECONDS)
                self._dirty.set()

    async def _write_status(self) -> bool:
        """Patch the status if it changed; False when the write must be retried."""
        if self._gone:
            return True
        now = datetime.datetime.now(datetime.UTC)
        status = pod_status(
            self.pod,
            self.views,
            terminal=self._terminal,
            start_time=self.start_time,
            now=now,
            previous=self._written,
        )
        if status == self._written:
            return True
        patch = {"metadata": {"uid": self.uid}, "status": status}
        try:
            await self.client.patch_status(
                PODS, self.name, patch, self.namespace, patch_type=PatchType.STRATEGIC
            )
        except (NotFound, Conflict):
            self._gone = True
            return True
        except (ApiError, TransportError) as error:
            log.warning("%s: status write failed, retrying: %s", pod_key(self.pod), error)
            return False
        self._written = status
        return True
