"""The ArkAgent controller: declared agents become a Deployment of ready agent pods.

Interface::

    controller = setup_agent_controller(manager, AgentControllerOptions(defaults, namespaces, workers),
                                        budget=BudgetReader(redis))   # budget=None: budgets not enforced
    # the manager runs it; reconcile(key) for key "namespace/name"

One reconcile, reading only from the informer caches (never a LIST):

1. parse the spec; read the referenced ArkSettings (missing is fine), ArkMemory and prompt source
   (missing: ``PromptResolutionError``; an existing Deployment keeps the prompt its pods have);
2. with ``limits.maxDailyTokens``, read the 24 h usage from Redis; used up -> 0 replicas;
3. render the Deployment and server-side apply it (field manager ``ark-operator``, force), unless
   what we applied last is still what the cache shows;
4. compute the status and apply it to the ``status`` subresource, only when it changed;
5. record Events for creation, scaling, budget exhaustion/recovery and errors (transitions only).

Deletion is left to the garbage collector (owner references, no finalizer). ConfigMaps,
Secrets, ArkSettings and ArkMemories enqueue exactly the agents that reference them (indexes
in :mod:`~ark.controllers.agent.references`), so a missing prompt is picked up as soon as it
appears. A used-up budget requeues the agent for the moment the window frees up.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from redis import exceptions as redis_errors

from ark.api import API_VERSION, ArkAgentSpec, ArkMemorySpec, ArkSettingsSpec, ArkTeamSpec
from ark.controllers.agent.deployment import (
    AgentDefaults,
    AgentInputs,
    agent_labels,
    deployment_name,
    render_deployment,
    running_prompt,
    selector_string,
)
from ark.controllers.agent.prompt import PromptResolutionError, ResolvedPrompt, resolve_prompt
from ark.controllers.agent.references import (
    CONFIGMAP_INDEX,
    INDEXERS,
    MEMORY_INDEX,
    SECRET_INDEX,
    SETTINGS_INDEX,
    data_changed,
)
from ark.controllers.agent.status import (
    BUDGET_EXCEEDED,
    READY,
    Observation,
    compute_status,
    condition_changed,
    owned_status,
)
from ark.controllers.budget import BudgetReader, BudgetState, evaluate
from ark.controllers.cache import Cache
from ark.controllers.memory.secret import memory_digest, raw_secret_name, secret_ref
from ark.controllers.resources import (
    ARK_AGENTS,
    ARK_MEMORIES,
    ARK_SETTINGS,
    ARK_TEAMS,
    FIELD_MANAGER,
    MANAGED_BY,
    MANAGED_BY_LABEL,
)
from ark.controllers.team.agents import member_env
from ark.controllers.team.references import agent_refs
from ark.kube.client import ApiError, KubeClient, NotFound, TransportError
from ark.kube.conditions import get_condition
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import EventRecorder
from ark.kube.manager import Manager
from ark.kube.resources import CONFIGMAPS, DEPLOYMENTS, SECRETS
from ark.kube.store import split_key
from ark.runs.outputs import OUTPUT_OF_LABEL

Obj = dict[str, Any]
log = logging.getLogger(__name__)

BUDGET_REFRESH_SECONDS = 30.0
"""How often usage of an agent under its budget is re-read (pods report through Redis, not the API)."""
RESUME_MARGIN_SECONDS = 0.01
"""Added to the moment the budget frees up, so the entry has surely left the window."""


@dataclass(frozen=True)
class _Applied:
    """The last Deployment this process applied for an agent."""

    uid: str
    generation: int
    digest: str
    replicas: int


@dataclass(frozen=True)
class _Written:
    """The last status this process wrote, and the agent version it was computed from."""

    based_on: str
    status: Obj


def _digest(body: Obj) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"])
    return f"invalid spec: spec.{path}: {error['msg']}" if path else f"invalid spec: {error['msg']}"


class AgentReconciler:
    """Reconciles one ArkAgent key; state kept between reconciles only to avoid redundant writes."""

    def __init__(
        self,
        client: KubeClient,
        *,
        agents: Cache,
        deployments: Cache,
        configmaps: Cache,
        secrets: Cache,
        settings: Cache,
        memories: Cache,
        defaults: AgentDefaults,
        recorder: EventRecorder,
        budget: BudgetReader | None = None,
        teams: Cache | None = None,
    ) -> None:
        self.client = client
        self.agents = agents
        self.deployments = deployments
        self.configmaps = configmaps
        self.secrets = secrets
        self.settings = settings
        self.memories = memories
        self.defaults = defaults
        self.recorder = recorder
        self.budget = budget
        self.teams = teams
        self._applied: dict[str, _Applied] = {}
        self._written: dict[str, _Written] = {}

    # ------------------------------------------------------------------ reconcile

    async def reconcile(self, key: str) -> Result | None:
        """Make the agent's Deployment and status match its spec."""
        namespace, name = split_key(key)
        assert namespace is not None
        agent = self.agents.get(namespace, name)
        if agent is None or agent["metadata"].get("deletionTimestamp"):
            # The garbage collector removes the Deployment through its owner reference.
            self._applied.pop(key, None)
            self._written.pop(key, None)
            return None
        generation = int(agent["metadata"].get("generation") or 1)
        deployment = self.deployments.get(namespace, deployment_name(name))

        def observed(desired: int, **found: Any) -> Observation:
            found.setdefault("deployment", deployment)
            return Observation(generation, desired, selector_string(name), **found)

        try:
            spec = ArkAgentSpec.model_validate(agent.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            # Only a spec change can fix this, and that enqueues the agent again.
            await self._write_status(key, agent, observed(0, reconcile_error=_first_error(exc)))
            return None
        try:
            budget = await self._budget(namespace, name, spec)
        except redis_errors.RedisError as exc:
            # Without the usage the budget cannot be judged: change nothing, say why, retry.
            message = f"cannot read token usage from the task queue: {exc}"
            await self._write_status(key, agent, observed(spec.replicas, reconcile_error=message))
            return Result(requeue=True)
        desired = 0 if budget is not None and budget.exceeded else spec.replicas
        requeue = self._budget_requeue(budget)
        settings = self._settings(namespace, spec)
        prompt, prompt_error = self._prompt(namespace, spec, settings, deployment)
        if prompt is None:
            await self._write_status(key, agent, observed(desired, prompt_error=prompt_error, budget=budget))
            return requeue
        memory, memory_hash = self._memory(namespace, spec)
        inputs = AgentInputs(
            name=name,
            namespace=namespace,
            uid=agent["metadata"]["uid"],
            spec=spec,
            prompt=prompt,
            replicas=desired,
            settings=settings,
            memory=memory,
            memory_hash=memory_hash,
            team_env=self._team_env(namespace, name),
        )
        error: str | None = None
        try:
            deployment = await self._apply(key, agent, render_deployment(inputs, self.defaults), deployment)
        except (ApiError, TransportError) as exc:
            error = f"applying Deployment {deployment_name(name)}: {exc}"
        found = {"prompt_error": prompt_error, "reconcile_error": error, "budget": budget}
        await self._write_status(key, agent, observed(desired, deployment=deployment, **found))
        return Result(requeue=True) if error else requeue

    # ------------------------------------------------------------------ inputs

    def _settings(self, namespace: str, spec: ArkAgentSpec) -> ArkSettingsSpec | None:
        if spec.config_ref is None:
            return None
        obj = self.settings.get(namespace, spec.config_ref.name)
        if obj is None:
            return None  # a missing ArkSettings is not an error (reference §7)
        try:
            return ArkSettingsSpec.model_validate(obj.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError:
            log.warning("ignoring invalid ArkSettings %s/%s", namespace, spec.config_ref.name)
            return None

    def _prompt(
        self, namespace: str, spec: ArkAgentSpec, settings: ArkSettingsSpec | None, deployment: Obj | None
    ) -> tuple[ResolvedPrompt | None, str | None]:
        """(the prompt to render, the resolution error); no prompt when there is nothing to keep."""
        try:
            prompt = resolve_prompt(
                spec,
                settings,
                configmap=lambda ref: self.configmaps.get(namespace, ref),
                secret=lambda ref: self.secrets.get(namespace, ref),
            )
        except PromptResolutionError as exc:
            # Keep the prompt the pods already have, so scaling and budgets still apply; the
            # ConfigMap/Secret watch brings the agent back here when the source reappears.
            return (running_prompt(deployment) if deployment is not None else None), str(exc)
        return prompt, None

    def _team_env(self, namespace: str, name: str) -> tuple[tuple[str, str], ...]:
        if self.teams is None:
            return ()
        teams: list[tuple[str, ArkTeamSpec]] = []
        for obj in self.teams.in_namespace(namespace):
            if f"{namespace}/{name}" not in agent_refs(obj):
                continue
            try:
                spec = ArkTeamSpec.model_validate(obj.get("spec") or {}, by_alias=True, by_name=False)
            except ValidationError:
                continue  # the team controller reports it
            teams.append((obj["metadata"]["name"], spec))
        return member_env(name, namespace, teams)

    def _memory(self, namespace: str, spec: ArkAgentSpec) -> tuple[ArkMemorySpec | None, str]:
        """(the memory, the digest its pods roll on)."""
        if spec.memory_ref is None:
            return None, ""
        obj = self.memories.get(namespace, spec.memory_ref.name)
        if obj is None:
            return None, ""  # like settings: the agent runs without memory until it exists
        try:
            memory = ArkMemorySpec.model_validate(obj.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError:
            log.warning("ignoring invalid ArkMemory %s/%s", namespace, spec.memory_ref.name)
            return None, ""
        ref = secret_ref(memory)
        secret = self.secrets.get(namespace, ref[0]) if ref is not None else None
        return memory, memory_digest(obj.get("spec") or {}, secret, ref[1] if ref is not None else None)

    async def _budget(self, namespace: str, name: str, spec: ArkAgentSpec) -> BudgetState | None:
        limit = spec.limits.max_daily_tokens if spec.limits is not None else None
        if not limit or self.budget is None:
            return None
        now_ms = time.time_ns() // 1_000_000
        return evaluate(await self.budget.usage(namespace, name, now_ms), limit, now_ms)

    @staticmethod
    def _budget_requeue(budget: BudgetState | None) -> Result | None:
        if budget is None:
            return None
        resume = budget.seconds_until_resume()
        if resume is not None:
            return Result(requeue_after=resume + RESUME_MARGIN_SECONDS)
        return Result(requeue_after=BUDGET_REFRESH_SECONDS)

    # ------------------------------------------------------------------ writes

    def _up_to_date(self, key: str, digest: str, deployment: Obj | None) -> bool:
        applied = self._applied.get(key)
        if applied is None or deployment is None:
            return False
        meta = deployment["metadata"]
        labels = meta.get("labels") or {}
        _, name = split_key(key)
        return (
            applied.digest == digest
            and applied.uid == meta.get("uid")
            # A newer generation means someone else changed the spec: re-apply to repair drift.
            and int(meta.get("generation") or 0) <= applied.generation
            and all(labels.get(k) == v for k, v in agent_labels(name).items())
        )

    async def _apply(self, key: str, agent: Obj, body: Obj, cached: Obj | None) -> Obj:
        """Apply ``body`` unless the cache shows what we applied last; returns the freshest Deployment."""
        digest = _digest(body)
        if cached is not None and self._up_to_date(key, digest, cached):
            return cached
        applied = await self.client.apply(DEPLOYMENTS, body, field_manager=FIELD_MANAGER, force=True)
        meta = applied["metadata"]
        replicas = int(body["spec"]["replicas"])
        previous = self._applied.get(key)
        self._applied[key] = _Applied(meta["uid"], int(meta.get("generation") or 0), digest, replicas)
        if previous is not None and previous.uid == meta["uid"]:
            before: int | None = previous.replicas
        elif cached is not None and cached["metadata"].get("uid") == meta["uid"]:
            before = int(cached.get("spec", {}).get("replicas", 1))
        else:
            before = None
        name = meta["name"]
        if before is None:
            self.recorder.normal(agent, "Created", f"created Deployment {name} with {replicas} replicas")
        elif before != replicas:
            verb = "ScaledUp" if replicas > before else "ScaledDown"
            self.recorder.normal(
                agent, verb, f"scaled Deployment {name} from {before} to {replicas} replicas"
            )
        return applied

    async def _write_status(self, key: str, agent: Obj, observation: Observation) -> None:
        meta = agent["metadata"]
        current = agent.get("status")
        written = self._written.get(key)
        if written is not None and written.based_on == meta.get("resourceVersion"):
            current = written.status  # the cache has not caught up with our last write yet
        status = compute_status(current, observation, datetime.datetime.now(datetime.UTC))
        if status == owned_status(current):
            return
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkAgent",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "status": status,
        }
        try:
            await self.client.apply(
                ARK_AGENTS, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return  # deleted meanwhile
        self._written[key] = _Written(str(meta.get("resourceVersion")), status)
        self._record_transitions(agent, current, status)

    def _record_transitions(self, agent: Obj, before: Obj | None, after: Obj) -> None:
        if condition_changed(before, after, READY):
            ready = get_condition(after["conditions"], READY) or {}
            if ready.get("reason") in ("PromptResolutionError", "ReconcileError"):
                self.recorder.warning(agent, str(ready["reason"]), str(ready.get("message", "")))
        had_budget = get_condition((before or {}).get("conditions"), BUDGET_EXCEEDED) is not None
        exceeded = get_condition(after["conditions"], BUDGET_EXCEEDED)
        if exceeded is not None and condition_changed(before, after, BUDGET_EXCEEDED) and not had_budget:
            self.recorder.warning(agent, "BudgetExceeded", str(exceeded.get("message", "")))
        elif exceeded is None and had_budget:
            self.recorder.normal(
                agent, "BudgetRestored", "token usage is back under maxDailyTokens; scaling back up"
            )


@dataclass(frozen=True)
class AgentControllerOptions:
    """How the ArkAgent controller runs."""

    defaults: AgentDefaults
    namespaces: Sequence[str] = ()
    """Namespaces to watch; empty means all."""
    workers: int = 8


def setup_agent_controller(
    manager: Manager, options: AgentControllerOptions, *, budget: BudgetReader | None = None
) -> Controller:
    """Create the informers, indexes and controller for ArkAgents and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    agents = Cache(factory, ARK_AGENTS, namespaces)
    agents.add_indexers(dict(INDEXERS))
    # Only our Deployments: a cluster's other Deployments never enter the cache.
    deployments = Cache(factory, DEPLOYMENTS, namespaces, label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY}")
    # Run outputs kept in ConfigMaps (ark.runs.outputs) are no prompt source: leave them out of memory.
    configmaps = Cache(factory, CONFIGMAPS, namespaces, label_selector=f"!{OUTPUT_OF_LABEL}")
    secrets = Cache(factory, SECRETS, namespaces)
    settings = Cache(factory, ARK_SETTINGS, namespaces)
    memories = Cache(factory, ARK_MEMORIES, namespaces)
    teams = Cache(factory, ARK_TEAMS, namespaces)
    reconciler = AgentReconciler(
        manager.client,
        agents=agents,
        deployments=deployments,
        configmaps=configmaps,
        secrets=secrets,
        settings=settings,
        memories=memories,
        defaults=options.defaults,
        recorder=manager.event_recorder(FIELD_MANAGER),
        budget=budget,
        teams=teams,
    )
    controller = Controller(
        "arkagent", reconciler.reconcile, workers=options.workers, metrics=manager.metrics
    )

    def referencing(index: str) -> Callable[[Obj], list[str]]:
        def mapper(obj: Obj) -> list[str]:
            meta = obj["metadata"]
            return agents.index_keys(index, f"{meta.get('namespace')}/{meta['name']}")

        return mapper

    for informer in agents.informers.values():
        # Status writes (ours) do not move the generation, so they do not trigger a reconcile.
        controller.watch(informer, update_filter=generation_changed)
    for informer in deployments.informers.values():
        controller.watch_owned(informer, ARK_AGENTS)
    for cache, index in ((configmaps, CONFIGMAP_INDEX), (secrets, SECRET_INDEX)):
        for informer in cache.informers.values():
            controller.watch_mapped(informer, referencing(index), update_filter=data_changed)

    def using_memory_secret(secret: Obj) -> list[str]:
        # Secret -> the ArkMemories reading it -> the agents using those (their memory-hash).
        meta = secret["metadata"]
        namespace = meta.get("namespace", "")
        keys: list[str] = []
        for memory in memories.in_namespace(namespace):
            if raw_secret_name(memory) == meta["name"]:
                keys += agents.index_keys(MEMORY_INDEX, f"{namespace}/{memory['metadata']['name']}")
        return keys

    for informer in secrets.informers.values():
        controller.watch_mapped(informer, using_memory_secret, update_filter=data_changed)
    for informer in teams.informers.values():
        # A team's arkAgent roles give the agents they name AGENT_TEAM_* (routes for delegate()).
        controller.watch_mapped(
            informer, agent_refs, update_filter=generation_changed, map_old_on_update=True
        )
    for cache, index in ((settings, SETTINGS_INDEX), (memories, MEMORY_INDEX)):
        for informer in cache.informers.values():
            controller.watch_mapped(informer, referencing(index), update_filter=generation_changed)
    manager.add_controller(controller)
    return controller
