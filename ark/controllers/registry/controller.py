"""The ArkRegistry controller: the capability index of a namespace's agents, in the registry's status.

Routed teams read the index (``status.capabilities``) when a run starts. One reconcile indexes
the cached ArkAgents of the registry's namespace (:mod:`~ark.controllers.registry.index`) and
applies the status when the index or the generation changed; ``lastIndexedAt`` moves only when
the index does. Any ArkAgent change in a namespace enqueues that namespace's registries.

Interface::

    controller = setup_registry_controller(manager, RegistryOptions(namespaces, workers))
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ark.api import API_VERSION
from ark.api.registry import KNOWN_SCOPES, ArkRegistrySpec
from ark.controllers.cache import Cache
from ark.controllers.registry.index import capability_index
from ark.controllers.resources import ARK_AGENTS, ARK_REGISTRIES, FIELD_MANAGER
from ark.kube.client import KubeClient, NotFound
from ark.kube.conditions import set_condition
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import format_time
from ark.kube.manager import Manager
from ark.kube.store import object_key, split_key

Obj = dict[str, Any]


@dataclass(frozen=True)
class RegistryOptions:
    """How the ArkRegistry controller runs."""

    namespaces: Sequence[str] = ()
    workers: int = 2


class RegistryReconciler:
    """Keeps each registry's index equal to its namespace's agents' capabilities."""

    def __init__(self, client: KubeClient, *, registries: Cache, agents: Cache) -> None:
        self.client = client
        self.registries = registries
        self.agents = agents
        self._written: dict[str, tuple[str, Obj]] = {}

    async def reconcile(self, key: str) -> Result | None:
        """Index the agents of registry ``key``'s namespace into its status."""
        namespace, name = split_key(key)
        assert namespace is not None
        registry = self.registries.get(namespace, name)
        if registry is None:
            self._written.pop(key, None)
            return None
        meta = registry["metadata"]
        current = registry.get("status") or {}
        written = self._written.get(key)
        if written is not None and written[0] == meta.get("resourceVersion"):
            current = written[1]
        generation = int(meta.get("generation") or 1)
        conditions = [dict(c) for c in current.get("conditions") or ()]
        now = datetime.datetime.now(datetime.UTC)
        try:
            spec = ArkRegistrySpec.model_validate(registry.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            set_condition(conditions, "Ready", "False", "InvalidSpec", str(exc.errors()[0]["msg"]), now=now)
            status: Obj = {**current, "observedGeneration": generation, "conditions": conditions}
        else:
            cross_team = bool(spec.policy and spec.policy.allow_cross_team)
            entries = capability_index(self.agents.in_namespace(namespace), allow_cross_team=cross_team)
            agents = sorted({e["agent"] for e in entries})
            scope = (
                "" if spec.scope in KNOWN_SCOPES else f" (scope {spec.scope!r} is read as namespace-scoped)"
            )
            message = f"{len(entries)} capabilities of {len(agents)} agents indexed{scope}"
            set_condition(
                conditions, "Ready", "True", "Indexed", message, observed_generation=generation, now=now
            )
            changed = entries != current.get("capabilities", [])
            status = {
                "capabilities": entries,
                "agentCount": len(agents),
                "capabilityCount": len(entries),
                "lastIndexedAt": format_time(now)
                if changed or "lastIndexedAt" not in current
                else current["lastIndexedAt"],
                "observedGeneration": generation,
                "conditions": conditions,
            }
        if all(current.get(k) == v for k, v in status.items()):
            return None
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkRegistry",
            "metadata": {"name": name, "namespace": namespace},
            "status": status,
        }
        try:
            await self.client.apply(
                ARK_REGISTRIES, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return None
        self._written[key] = (str(meta.get("resourceVersion")), status)
        return None


def _index_changed(old: Obj, new: Obj) -> bool:
    return (
        old is new
        or generation_changed(old, new)
        or old.get("metadata", {}).get("ownerReferences") != new.get("metadata", {}).get("ownerReferences")
    )


def setup_registry_controller(manager: Manager, options: RegistryOptions) -> Controller:
    """Create the caches and controller for ArkRegistries and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    registries = Cache(factory, ARK_REGISTRIES, namespaces)
    agents = Cache(factory, ARK_AGENTS, namespaces)
    reconciler = RegistryReconciler(manager.client, registries=registries, agents=agents)
    controller = Controller(
        "arkregistry", reconciler.reconcile, workers=options.workers, metrics=manager.metrics
    )

    def registries_of(agent: Obj) -> list[str]:
        namespace = agent.get("metadata", {}).get("namespace", "")
        return [object_key(r) for r in registries.in_namespace(namespace)]

    for informer in registries.informers.values():
        controller.watch(informer, update_filter=generation_changed)
    for informer in agents.informers.values():
        controller.watch_mapped(informer, registries_of, update_filter=_index_changed)
    manager.add_controller(controller)
    return controller
