"""The ArkService controller: a Service in front of the operator's task server, and the status.

One reconcile, reading from the informer caches:

1. parse the spec (invalid: ``Ready=False/InvalidSpec`` naming the field);
2. with an ``HTTP`` port: server-side apply the selectorless Service named after the ArkService
   (one port per HTTP port, each to the operator's task server port) and its EndpointSlice, which
   lists the operator's replicas as the slices of ``--service-backend`` (the operator's own
   Service) show them; without one, delete what an earlier spec made;
3. count the ready pods of the agent (its Deployment's ``readyReplicas``: pods passing
   ``/readyz``) and apply the status: ``readyReplicas``, ``serviceName``, ``endpoint``, ``Ready``;
4. keep the ArkService's runs within the history limits (10 succeeded, 5 failed, as teams').

Everything the controller writes is owned by the ArkService, so deletion is the garbage
collector's. Agents, their Deployments, the owned objects and the backend slices are watched.

Interface::

    controller, reconciler = setup_service_controller(manager, ServiceOptions(namespaces, 4, 8093, backend))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ark.api import API_VERSION, ArkServiceSpec
from ark.controllers.agent.deployment import DEPLOYMENT_LABEL, deployment_name
from ark.controllers.cache import Cache
from ark.controllers.resources import (
    ARK,
    ARK_AGENTS,
    ARK_RUNS,
    ARK_TEAMS,
    FIELD_MANAGER,
    MANAGED_BY,
    MANAGED_BY_LABEL,
)
from ark.controllers.service.objects import (
    SLICE_MANAGED_BY,
    SLICE_MANAGED_BY_LABEL,
    SLICE_SERVICE_LABEL,
    endpoint_slice,
    endpoint_url,
    kube_service,
    ready_replicas,
)
from ark.controllers.service.status import Observed, service_status
from ark.controllers.team.history import runs_to_delete
from ark.kube.client import KubeClient, NotFound
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import EventRecorder
from ark.kube.manager import Manager
from ark.kube.resources import DEPLOYMENTS, SERVICES, Resource
from ark.kube.store import OWNER_UID_INDEX, split_key

Obj = dict[str, Any]
log = logging.getLogger(__name__)

ARK_SERVICES = ARK["ArkService"]
ENDPOINT_SLICES = Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", builtin=True)
AGENT_INDEX = "service-agent"
SUCCEEDED_HISTORY = 10
FAILED_HISTORY = 5


@dataclass(frozen=True)
class ServiceOptions:
    """How the ArkService controller runs."""

    namespaces: Sequence[str] = ()
    """Namespaces to watch; empty means all."""
    workers: int = 4
    task_port: int = 8093
    """The operator's task server port: every Service port targets it."""
    backend: tuple[str, str] | None = None
    """``(namespace, name)`` of the operator's own Service, whose endpoints the slices mirror."""


def service_agent(obj: Obj) -> list[str]:
    """Index: ``namespace/agent`` of the ArkAgent an ArkService selects."""
    agent = ((obj.get("spec") or {}).get("selector") or {}).get("arkAgent")
    return [f"{obj['metadata']['namespace']}/{agent}"] if isinstance(agent, str) and agent else []


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"])
    return f"spec.{path}: {error['msg']}" if path else error["msg"]


def _same(desired: Obj, cached: Obj | None, fields: Sequence[str]) -> bool:
    """Whether the cached object already has the desired labels, owners and ``fields``."""
    if cached is None:
        return False
    want, have = desired["metadata"], cached.get("metadata") or {}
    labels = have.get("labels") or {}
    if any(labels.get(k) != v for k, v in want["labels"].items()):
        return False
    owners = [r.get("uid") for r in have.get("ownerReferences") or ()]
    if owners != [r["uid"] for r in want["ownerReferences"]]:
        return False
    source: Obj = (cached.get("spec") or {}) if "spec" in desired else cached
    target: Obj = desired.get("spec", desired)
    return all(_subset(target.get(f), source.get(f)) for f in fields)


def _subset(want: Any, have: Any) -> bool:
    """``want`` is contained in ``have`` (the server adds defaults we did not set)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_subset(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(_subset, want, have))
    return bool(want == have)


class ServiceReconciler:
    """Keeps an ArkService's Service, EndpointSlice, status and run history; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        services: Cache,
        agents: Cache,
        deployments: Cache,
        kube_services: Cache,
        slices: Cache,
        backend_slices: Cache | None,
        runs: Cache,
        teams: Cache,
        recorder: EventRecorder,
        options: ServiceOptions,
    ) -> None:
        self.client = client
        self.services = services
        self.agents = agents
        self.deployments = deployments
        self.kube_services = kube_services
        self.slices = slices
        self.backend_slices = backend_slices
        self.runs = runs
        self.teams = teams
        self.recorder = recorder
        self.options = options
        self._written: dict[str, tuple[str, Obj]] = {}

    async def reconcile(self, key: str) -> Result | None:
        """Bring the ArkService ``key``'s Service, slice, status and history up to date."""
        namespace, name = split_key(key)
        assert namespace is not None
        service = self.services.get(namespace, name)
        if service is None or service["metadata"].get("deletionTimestamp"):
            self._written.pop(key, None)
            return None  # the garbage collector removes its Service, slice and runs
        current = self._current(key, service)
        generation = int(service["metadata"].get("generation") or 1)
        try:
            spec = ArkServiceSpec.model_validate(service.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            await self._write_status(key, service, current, Observed(generation, invalid=_first_error(exc)))
            return None
        service_name = await self._ensure_service(service, spec)
        agent = spec.selector.ark_agent
        seen = Observed(
            generation,
            agent=agent,
            ready=self.ready_replicas(namespace, agent),
            agent_found=self.agents.get(namespace, agent) is not None,
            service_name=service_name,
            endpoint=endpoint_url(service, spec) if service_name else None,
            strategy=(spec.routing.strategy if spec.routing else "round-robin"),
            team_named_alike=self.teams.get(namespace, name) is not None,
        )
        await self._write_status(key, service, current, seen)
        await self._prune(service)
        return None

    def ready_replicas(self, namespace: str, agent: str) -> int:
        """Ready pods of ``agent`` (its Deployment's ``readyReplicas``; 0 without one)."""
        return ready_replicas(self.deployments.get(namespace, deployment_name(agent)))

    # ------------------------------------------------------------------ owned objects

    async def _ensure_service(self, service: Obj, spec: ArkServiceSpec) -> str | None:
        """Apply (or remove) the Service and its slice; the Service's name, None without one."""
        meta = service["metadata"]
        namespace, name = str(meta["namespace"]), str(meta["name"])
        desired = kube_service(service, spec, self.options.task_port)
        slice_name = f"{name}-ark"
        if desired is None:
            await self._remove(SERVICES, self.kube_services.get(namespace, name), service)
            await self._remove(ENDPOINT_SLICES, self.slices.get(namespace, slice_name), service)
            return None
        cached = self.kube_services.get(namespace, name)
        if cached is not None and not self._owned(cached, service):
            self.recorder.warning(
                service, "ServiceConflict", f"Service {name} exists and is not this ArkService's; left alone"
            )
            return None
        if not _same(desired, cached, ("ports",)):
            await self.client.apply(SERVICES, desired, field_manager=FIELD_MANAGER, force=True)
            if cached is None:
                self.recorder.normal(service, "CreatedService", f"created Service {name}")
        if self.backend_slices is not None:
            assert self.options.backend is not None
            backend = self.backend_slices.in_namespace(self.options.backend[0])
            wanted = endpoint_slice(service, spec, self.options.task_port, backend)
            if not _same(wanted, self.slices.get(namespace, slice_name), ("endpoints", "ports")):
                await self.client.apply(ENDPOINT_SLICES, wanted, field_manager=FIELD_MANAGER, force=True)
        return name

    @staticmethod
    def _owned(obj: Obj, service: Obj) -> bool:
        uid = service["metadata"]["uid"]
        return any(r.get("uid") == uid for r in (obj.get("metadata") or {}).get("ownerReferences") or ())

    async def _remove(self, resource: Resource, obj: Obj | None, service: Obj) -> None:
        if obj is None or not self._owned(obj, service):
            return
        try:
            await self.client.delete(resource, obj["metadata"]["name"], obj["metadata"]["namespace"])
        except NotFound:
            return

    # ------------------------------------------------------------------ history

    async def _prune(self, service: Obj) -> None:
        owned = self.runs.by_index(OWNER_UID_INDEX, service["metadata"]["uid"])
        for name in runs_to_delete(owned, succeeded=SUCCEEDED_HISTORY, failed=FAILED_HISTORY):
            try:
                await self.client.delete(ARK_RUNS, name, service["metadata"]["namespace"])
            except NotFound:
                continue

    # ------------------------------------------------------------------ status

    def _current(self, key: str, service: Obj) -> Obj:
        written = self._written.get(key)
        if written is not None and written[0] == service["metadata"].get("resourceVersion"):
            return written[1]  # the cache has not caught up with our last write yet
        return dict(service.get("status") or {})

    async def _write_status(self, key: str, service: Obj, current: Obj, seen: Observed) -> None:
        status = service_status(current, seen)
        if status == current:
            return
        meta = service["metadata"]
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkService",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "status": status,
        }
        try:
            await self.client.apply(
                ARK_SERVICES, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return
        self._written[key] = (str(meta.get("resourceVersion")), status)
        before: Obj = next((c for c in current.get("conditions") or () if c.get("type") == "Ready"), {})
        after = next(c for c in status["conditions"] if c["type"] == "Ready")
        if after["reason"] != before.get("reason"):
            record = self.recorder.normal if after["status"] == "True" else self.recorder.warning
            record(service, after["reason"], after["message"])


def _ready_changed(old: Obj, new: Obj) -> bool:
    return old is new or (old.get("status") or {}).get("readyReplicas") != (new.get("status") or {}).get(
        "readyReplicas"
    )


def _phase_changed(old: Obj, new: Obj) -> bool:
    return old is new or (old.get("status") or {}).get("phase") != (new.get("status") or {}).get("phase")


def setup_service_controller(
    manager: Manager, options: ServiceOptions
) -> tuple[Controller, ServiceReconciler]:
    """Create the caches, indexes and controller for ArkServices and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    services = Cache(factory, ARK_SERVICES, namespaces)
    services.add_indexers({AGENT_INDEX: service_agent})
    agents = Cache(factory, ARK_AGENTS, namespaces)
    # The agent controller's cache (the same informer): only Deployments the operator manages.
    deployments = Cache(factory, DEPLOYMENTS, namespaces, label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY}")
    kube_services = Cache(factory, SERVICES, namespaces, label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY}")
    slices = Cache(
        factory, ENDPOINT_SLICES, namespaces, label_selector=f"{SLICE_MANAGED_BY_LABEL}={SLICE_MANAGED_BY}"
    )
    backend_slices = None
    if options.backend is not None:
        backend_namespace, backend_name = options.backend
        selector = f"{SLICE_SERVICE_LABEL}={backend_name}"
        backend_slices = Cache(factory, ENDPOINT_SLICES, [backend_namespace], label_selector=selector)
    runs = Cache(factory, ARK_RUNS, namespaces)
    teams = Cache(factory, ARK_TEAMS, namespaces)
    reconciler = ServiceReconciler(
        manager.client,
        services=services,
        agents=agents,
        deployments=deployments,
        kube_services=kube_services,
        slices=slices,
        backend_slices=backend_slices,
        runs=runs,
        teams=teams,
        recorder=manager.event_recorder(FIELD_MANAGER),
        options=options,
    )
    controller = Controller(
        "arkservice", reconciler.reconcile, workers=options.workers, metrics=manager.metrics
    )

    def by_agent(obj: Obj) -> list[str]:
        meta = obj["metadata"]
        return services.index_keys(AGENT_INDEX, f"{meta.get('namespace')}/{meta['name']}")

    def by_deployment(obj: Obj) -> list[str]:
        agent = ((obj.get("metadata") or {}).get("labels") or {}).get(DEPLOYMENT_LABEL)
        meta = obj["metadata"]
        return services.index_keys(AGENT_INDEX, f"{meta.get('namespace')}/{agent}") if agent else []

    def every_service(_: Obj) -> list[str]:
        return [
            f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
            for informer in services.informers.values()
            for obj in informer.store.list()
        ]

    for informer in services.informers.values():
        controller.watch(informer, update_filter=generation_changed)
    for informer in agents.informers.values():
        controller.watch_mapped(informer, by_agent, update_filter=lambda old, new: old is new)
    for informer in deployments.informers.values():
        controller.watch_mapped(informer, by_deployment, update_filter=_ready_changed)
    for cache in (kube_services, slices):
        for informer in cache.informers.values():
            controller.watch_owned(informer, ARK_SERVICES)
    if backend_slices is not None:
        for informer in backend_slices.informers.values():
            controller.watch_mapped(informer, every_service)
    for informer in runs.informers.values():
        controller.watch_owned(informer, ARK_SERVICES, update_filter=_phase_changed)
    for informer in teams.informers.values():
        # A team taking (or freeing) the ArkService's name.
        controller.watch(informer, update_filter=lambda old, new: old is new)
    manager.add_controller(controller)
    return controller, reconciler
