"""One container of a pod, run as the kubelet runs it: configure, start, probe, restart, stop.

Interface::

    worker = ContainerWorker(cluster, pod_ref, spec, view, on_change=mark_dirty, image=image, sandbox=None)
    task = asyncio.create_task(worker.run())     # returns once the container will not run again
    worker.config_changed()                      # a ConfigMap/Secret/the node changed: retry a blocked start
    worker.served_port(6379)                     # where the container's port 6379 listens here, or None
    await worker.stop(grace=30)                  # SIGTERM, SIGKILL after the grace; then run() returns

``pod_ref`` is a callable returning the latest pod object. ``view`` (a
:class:`~podrunner.status.ContainerView`) is updated in place and ``on_change`` called after
every change, so the pod worker can report it.

Lifecycle, as the kubelet's:

* The environment is built (:func:`~podrunner.env.kubelet_env`); if a ConfigMap, Secret or key
  is missing the container is not started: ``waiting.reason: CreateContainerConfigError`` with
  the kubelet's message (and a ``Failed`` Event), retried when a ConfigMap or Secret of the
  namespace changes.
* ``command`` (else the image's entrypoint, :mod:`podrunner.images`) + ``args`` are expanded with
  that environment, ``PATH`` defaults to the image's, the served port moves to a free one
  (:mod:`podrunner.serving`), and the process starts in ``workingDir`` (default ``/``). A start
  failure is ``terminated.reason: StartError``, exit 128.
* With a :class:`~podrunner.pod_sandbox.PodSandbox` (``--sandbox``), the process starts in the
  pod's view: its volumes mounted, its ``/etc/hosts``, the API server's service-link variables.
  A volume whose source is missing blocks the start as a missing ConfigMap does.
* Probes (:mod:`podrunner.probes`) set ``started`` and ``ready``; a failed liveness or startup
  probe stops the process (grace as for deletion) so that it restarts.
* On exit: ``terminated`` with the exit code (``Completed`` for 0, else ``Error``). Unless the
  pod's ``restartPolicy`` says otherwise the container restarts after the crash back-off
  (``waiting.reason: CrashLoopBackOff``), and ``restartCount`` goes up.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podrunner import probes
from podrunner.backoff import CrashBackoff
from podrunner.context import Cluster
from podrunner.env import ContainerConfigError, expand_all, kubelet_env
from podrunner.images import Image
from podrunner.pod_sandbox import PodSandbox, service_env
from podrunner.process import Process, StartError
from podrunner.serving import Launch, free_port, localise
from podrunner.status import CONTAINER_ID_SCHEME, LOOPBACK, ContainerView, Running, Terminated, Waiting

Obj = dict[str, Any]
log = logging.getLogger("podrunner")
VOLUME_RETRY_SECONDS = 5.0


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def pod_key(pod: Obj) -> str:
    """``namespace/name``."""
    return f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"


def pod_log(log_dir: Path, pod: Obj) -> Path:
    """The file every container of the pod writes to: ``<log_dir>/<namespace>_<name>.log``."""
    return log_dir / f"{pod['metadata']['namespace']}_{pod['metadata']['name']}.log"


def event_object(pod: Obj) -> Obj:
    """The pod as an Event's ``involvedObject`` needs it."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod["metadata"]}


class ContainerWorker:
    """Runs one container (see the module docstring)."""

    def __init__(
        self,
        cluster: Cluster,
        pod_ref: Callable[[], Obj],
        spec: Obj,
        view: ContainerView,
        on_change: Callable[[], None],
        *,
        image: Image,
        sandbox: PodSandbox | None,
    ) -> None:
        self.cluster = cluster
        self.image = image
        self.sandbox = sandbox
        self.launch: Launch | None = None
        """How the running process was started (its ports), while one runs."""
        self.settings = cluster.settings
        self.pod_ref = pod_ref
        self.spec = spec
        self.name = str(spec["name"])
        self.view = view
        self.on_change = on_change
        self.backoff = CrashBackoff(self.settings.backoff_base, self.settings.backoff_cap)
        self._proc: Process | None = None
        self._stopping = asyncio.Event()
        self._grace = 30.0
        self._config_generation = 0
        self._config_changed = asyncio.Event()

    # ------------------------------------------------------------------ control

    def served_port(self, pod_port: int) -> int | None:
        """The loopback port the running process serves ``pod_port`` on, or None."""
        launch = self.launch
        if launch is None or launch.host_port is None or launch.pod_port != pod_port:
            return None
        return launch.host_port

    def config_changed(self) -> None:
        """Something the environment may read changed: a start blocked on its configuration is retried."""
        self._config_generation += 1
        self._config_changed.set()

    async def stop(self, grace: float) -> None:
        """Stop the process (SIGTERM, SIGKILL after ``grace``) and keep it from starting again."""
        self._grace = grace
        self._stopping.set()
        self._config_changed.set()
        if self._proc is not None:
            self._mark(f"stopping (SIGTERM, SIGKILL after {grace:g}s): pid {self._proc.pid}")
            self.cluster.events.normal(
                event_object(self.pod_ref()), "Killing", f"Stopping container {self.name}"
            )
            await self._proc.stop(grace)

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Start, watch and restart the container until it is stopped or its restart policy ends it."""
        while not self._stopping.is_set():
            generation = self._config_generation
            try:
                env = self._environment()
            except ContainerConfigError as error:
                self._blocked(error.message)
                await self._wait_for_config(generation)
                continue
            finished = await self._run_once(env)
            if finished is None:
                # A volume could not be set up: retried when a source appears, and in any case
                # after a while (a token request may fail only for a moment).
                await self._wait_for_config(generation, timeout=VOLUME_RETRY_SECONDS)
                continue
            if self._stopping.is_set() or not self._restarts(finished.exit_code):
                return
            self.view.last_state = finished
            delay = self.backoff.after_exit(time.monotonic())
            if delay > 0:
                await self._back_off(delay)
                if self._stopping.is_set():
                    return
            self.view.restart_count += 1

    def _environment(self) -> dict[str, str]:
        pod = self.pod_ref()
        namespace = pod["metadata"]["namespace"]
        env = kubelet_env(
            pod,
            self.spec,
            configmap=lambda name: self.cluster.configmap(namespace, name),
            secret=lambda name: self.cluster.secret(namespace, name),
            pod_ips=(LOOPBACK,),
            host_ips=(LOOPBACK,),
            allocatable=self.cluster.allocatable(),
            service_env=service_env(self.cluster.client.host) if self.sandbox is not None else None,
        )
        return {"PATH": self.image.path, **env}

    def _blocked(self, message: str) -> None:
        waiting = Waiting("CreateContainerConfigError", message)
        if self.view.state != waiting:
            self._mark(f"not started: {message}")
            self.cluster.events.warning(event_object(self.pod_ref()), "Failed", f"Error: {message}")
        self._set(state=waiting)

    async def _wait_for_config(self, generation: int, timeout: float | None = None) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while generation == self._config_generation and not self._stopping.is_set():
                    self._config_changed.clear()
                    await self._config_changed.wait()

    def _restarts(self, code: int) -> bool:
        policy = (self.pod_ref().get("spec") or {}).get("restartPolicy", "Always")
        return policy == "Always" or (policy == "OnFailure" and code != 0)

    async def _back_off(self, delay: float) -> None:
        pod = self.pod_ref()
        meta = pod["metadata"]
        message = (
            f"back-off {delay:g}s restarting failed container={self.name} "
            f"pod={meta['name']}_{meta['namespace']}({meta['uid']})"
        )
        self._set(state=Waiting("CrashLoopBackOff", message))
        self.cluster.events.warning(
            event_object(pod),
            "BackOff",
            f"Back-off restarting failed container {self.name} in pod {meta['name']}_{meta['namespace']}",
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stopping.wait()

    async def _start(self, launch: Launch) -> Process:
        pod = self.pod_ref()
        if not launch.argv:
            raise StartError("no command: the pod runner needs the container's command")
        program = self.image.resolve(launch.argv[0])
        if program is None:
            raise StartError(f'exec: "{launch.argv[0]}": executable file not found in {self.image.bin_dir}')
        argv, env, cwd = list(launch.argv), launch.env, str(self.spec.get("workingDir") or "/")
        if self.sandbox is not None:
            program, argv, env = await self.sandbox.wrap(self.spec, program, argv, env)
            cwd = "/"
        return await Process.spawn(program, argv, env, cwd=cwd, log=pod_log(self.settings.log_dir, pod))

    async def _run_once(self, env: dict[str, str]) -> Terminated | None:
        launch = localise(expand_all(self.image.argv(self.spec), env), env, free_port())
        pod = self.pod_ref()
        try:
            proc = await self._start(launch)
        except ContainerConfigError as error:
            self._blocked(error.message)
            return None
        except StartError as error:
            self._mark(f"failed to start: {error}")
            self.cluster.events.warning(event_object(pod), "Failed", f"Error: {error}")
            finished = Terminated(128, "StartError", _now(), message=str(error))
            self._set(state=finished, ready=False, started=False)
            return finished
        self._proc = proc
        self.launch = launch
        container_id = f"{CONTAINER_ID_SCHEME}{proc.pid}"
        served = f", serving pod port {launch.pod_port} on {launch.host_port}" if launch.host_port else ""
        self._mark(f"started pid {proc.pid} (restart {self.view.restart_count}){served}")
        log.info(
            "%s/%s: started %s as pid %d%s; env: %s",
            pod_key(pod),
            self.name,
            launch.argv[0],
            proc.pid,
            served,
            " ".join(sorted(launch.env)),
        )
        self.cluster.events.normal(event_object(pod), "Started", f"Started container {self.name}")
        probe_spec = self.spec.get("startupProbe")
        self._set(
            state=Running(proc.started_at),
            container_id=container_id,
            started=probe_spec is None,
            ready=False,
        )
        if self._stopping.is_set():
            await proc.stop(self._grace)
        code = await self._watch(proc, launch)
        self._proc = None
        self.launch = None
        finished = Terminated(
            code,
            "Completed" if code == 0 else "Error",
            _now(),
            started_at=proc.started_at,
            container_id=container_id,
        )
        self._mark(f"pid {proc.pid} exited with {code}")
        log.info("%s/%s: pid %d exited with %d", pod_key(pod), self.name, proc.pid, code)
        self._set(state=finished, ready=False, started=False)
        return finished

    async def _watch(self, proc: Process, launch: Launch) -> int:
        target = probes.Target(self.spec, launch, self.image.bin_dir, self.cluster.http)
        exited = asyncio.create_task(proc.wait())
        probing = asyncio.create_task(self._probe(target))
        try:
            done, _ = await asyncio.wait({exited, probing}, return_when=asyncio.FIRST_COMPLETED)
            if probing in done and not exited.done():
                reason = probing.result()
                self._mark(f"{reason}: restarting pid {proc.pid}")
                self.cluster.events.warning(event_object(self.pod_ref()), "Unhealthy", reason)
                await proc.stop(self._termination_grace())
            return await exited
        finally:
            probing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probing

    def _termination_grace(self) -> float:
        return float((self.pod_ref().get("spec") or {}).get("terminationGracePeriodSeconds", 30))

    async def _probe(self, target: probes.Target) -> str:
        """Run the probes; returns why the container must restart (a failed startup or liveness probe)."""

        def once(spec: probes.ProbeSpec) -> probes.ProbeOnce:
            return lambda: probes.check(spec, target)

        startup = self.spec.get("startupProbe")
        if startup is not None:
            spec = probes.ProbeSpec.parse(startup)
            failure = await probes.startup(spec, once(spec))
            if failure is not None:
                return f"Startup probe failed: {failure}"
            self._set(started=True)
        readiness: asyncio.Task[None] | None = None
        if self.spec.get("readinessProbe") is not None:
            spec = probes.ProbeSpec.parse(self.spec["readinessProbe"])
            readiness = asyncio.create_task(probes.readiness(spec, once(spec), self._readiness_changed))
        else:
            self._set(ready=True)
        try:
            if self.spec.get("livenessProbe") is None:
                await asyncio.get_running_loop().create_future()
            spec = probes.ProbeSpec.parse(self.spec["livenessProbe"])
            return f"Liveness probe failed: {await probes.liveness(spec, once(spec))}"
        finally:
            if readiness is not None:
                readiness.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await readiness

    def _readiness_changed(self, ready: bool, message: str) -> None:
        if not ready:
            self.cluster.events.warning(
                event_object(self.pod_ref()), "Unhealthy", f"Readiness probe failed: {message}"
            )
        self._mark("ready" if ready else f"not ready: {message}")
        self._set(ready=ready)

    # ------------------------------------------------------------------ reporting

    def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.view, name, value)
        self.on_change()

    def _mark(self, text: str) -> None:
        """A line in the pod's log file, between the container's own output."""
        path = pod_log(self.settings.log_dir, self.pod_ref())
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with path.open("a") as out:
            out.write(f"[podrunner {stamp}] {self.name}: {text}\n")
