"""The ArkTeam controller: a team's roles become agents, its status tells whether it can run.

One reconcile, reading only from the informer caches:

1. parse the spec (an invalid one: ``Ready=False/InvalidSpec``, nothing else changes);
2. with ``limits.maxDailyTokens``, read the team's 24 h usage (recorded by the run controller)
   and, while it is used up, scale every owned agent to 0 (``BudgetExceeded``);
3. server-side apply the ArkAgents the team owns (:mod:`~ark.controllers.team.agents`), unless
   what was applied last is what the cache shows; delete owned agents of roles that are gone;
4. find missing references (``arkAgent``/``arkTeam`` roles, the registry, the fallback);
5. delete runs past the history limits; compute and apply the status (phase, roles, last run,
   conditions) when it changed; Events for phase changes, missing references and budgets.

Owned agents, referenced agents/teams/registries and the team's runs all map back to the team,
so a missing object is noticed when it appears and the phase follows the agents' readiness.
The runs' phase changes are batched for :data:`RUN_BATCH_SECONDS`, so a team's last run shows
at most that much later than the run's own status.

Interface::

    controller = setup_team_controller(manager, TeamOptions(namespaces, workers), budget=BudgetReader(redis))
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

from ark.api import API_VERSION, ArkTeamSpec
from ark.controllers.budget import BudgetReader, BudgetState, evaluate, team_budget_key
from ark.controllers.cache import Cache
from ark.controllers.resources import ARK_AGENTS, ARK_REGISTRIES, ARK_RUNS, ARK_TEAMS, FIELD_MANAGER
from ark.controllers.team.agents import owned_agents, role_agent
from ark.controllers.team.history import latest_run, runs_to_delete
from ark.controllers.team.references import (
    AGENT_INDEX,
    REGISTRY_INDEX,
    RUN_TEAM_INDEX,
    TEAM_INDEX,
    TEAM_INDEXERS,
    run_team,
)
from ark.controllers.team.status import (
    READY,
    RoleReadiness,
    TeamObservation,
    budget_exceeded,
    compute_status,
    owned_status,
)
from ark.flow.plan import router_agent_name
from ark.kube.client import ApiError, KubeClient, NotFound, TransportError
from ark.kube.conditions import get_condition
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import EventRecorder
from ark.kube.manager import Manager
from ark.kube.store import OWNER_UID_INDEX, split_key

Obj = dict[str, Any]
log = logging.getLogger(__name__)

RESUME_MARGIN_SECONDS = 0.01
RUN_BATCH_SECONDS = 1.0
"""Each run moves through three or four phases, and a webhook or cron burst starts hundreds of
runs a second: one status write per team per second instead of one per phase change of each run
(D194; the Job controller batches its pods' events the same way)."""


@dataclass(frozen=True)
class TeamOptions:
    """How the ArkTeam controller runs."""

    namespaces: Sequence[str] = ()
    """Namespaces to watch; empty means all."""
    workers: int = 8
    run_batch_seconds: float = RUN_BATCH_SECONDS
    """How long the runs' phase changes of a team gather before one reconcile writes its
    ``lastRunName``/``lastRunPhase``."""


def _digest(body: Obj) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"])
    return f"invalid spec: spec.{path}: {error['msg']}" if path else f"invalid spec: {error['msg']}"


def _readiness_changed(old: Obj, new: Obj) -> bool:
    """Update filter for agents: spec changes and readiness changes matter to their teams."""
    if old is new or generation_changed(old, new):
        return True
    before, after = old.get("status") or {}, new.get("status") or {}
    return bool(before.get("readyReplicas") != after.get("readyReplicas"))


def _phase_changed(old: Obj, new: Obj) -> bool:
    return old is new or (old.get("status") or {}).get("phase") != (new.get("status") or {}).get("phase")


class TeamReconciler:
    """Makes a team's agents and status match its spec; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        teams: Cache,
        agents: Cache,
        registries: Cache,
        runs: Cache,
        recorder: EventRecorder,
        budget: BudgetReader | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.teams = teams
        self.agents = agents
        self.registries = registries
        self.runs = runs
        self.recorder = recorder
        self.budget = budget
        self.clock = clock
        self._applied: dict[str, str] = {}
        self._written: dict[str, tuple[str, Obj]] = {}

    async def reconcile(self, key: str) -> Result | None:
        """Bring team ``key``'s agents, runs and status in line with its spec."""
        namespace, name = split_key(key)
        assert namespace is not None
        team = self.teams.get(namespace, name)
        if team is None or team["metadata"].get("deletionTimestamp"):
            self._written.pop(key, None)
            return None  # the garbage collector removes the owned agents
        generation = int(team["metadata"].get("generation") or 1)
        try:
            spec = ArkTeamSpec.model_validate(team.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            await self._write_status(key, team, TeamObservation(generation, None, invalid=_first_error(exc)))
            return None
        budget, requeue = await self._budget(namespace, name, spec, team)
        exceeded = budget.exceeded if budget is not None else budget_exceeded(team.get("status"))
        errors = await self._apply_agents(team, spec, exceeded)
        await self._prune_runs(namespace, name, spec)
        observation = TeamObservation(
            generation,
            spec.mode,
            roles=self._roles(namespace, name, spec),
            missing=self._missing(namespace, spec),
            budget=budget,
            last_run=latest_run(self.runs.by_index(RUN_TEAM_INDEX, key)),
        )
        if errors:
            observation = TeamObservation(generation, spec.mode, invalid="; ".join(errors), budget=budget)
        await self._write_status(key, team, observation)
        if errors:
            return Result(requeue=True)
        return requeue

    # ------------------------------------------------------------------ budget

    async def _budget(
        self, namespace: str, name: str, spec: ArkTeamSpec, team: Obj
    ) -> tuple[BudgetState | None, Result | None]:
        limit = spec.limits.max_daily_tokens if spec.limits is not None else None
        if not limit or self.budget is None:
            return None, None
        now_ms = int(self.clock() * 1000)
        try:
            usage = await self.budget.usage_of(team_budget_key(namespace, name), now_ms)
        except redis_errors.RedisError as exc:
            log.warning(
                "cannot read team token usage; keeping replicas as they are", extra={"error": str(exc)}
            )
            return None, Result(requeue=True)
        state = evaluate(usage, limit, now_ms)
        resume = state.seconds_until_resume()
        # Under the limit, new usage arrives with results: the run controller enqueues the team.
        return state, Result(requeue_after=resume + RESUME_MARGIN_SECONDS) if resume is not None else None

    # ------------------------------------------------------------------ agents

    async def _apply_agents(self, team: Obj, spec: ArkTeamSpec, exceeded: bool) -> list[str]:
        meta = team["metadata"]
        desired = owned_agents(team, spec, budget_exceeded=exceeded)
        errors: list[str] = []
        for agent_name, body in desired.items():
            digest = _digest(body)
            cached = self.agents.get(meta["namespace"], agent_name)
            key = f"{meta['namespace']}/{agent_name}"
            if cached is not None and self._applied.get(key) == digest and self._owned(cached, meta["uid"]):
                continue
            try:
                await self.client.apply(ARK_AGENTS, body, field_manager=FIELD_MANAGER, force=True)
            except (ApiError, TransportError) as exc:
                errors.append(f"applying ArkAgent {agent_name}: {exc}")
                continue
            self._applied[key] = digest
            if cached is None:
                self.recorder.normal(team, "CreatedAgent", f"created ArkAgent {agent_name}")
        for agent in self.agents.by_index(OWNER_UID_INDEX, meta["uid"]):
            agent_name = agent["metadata"]["name"]
            if agent_name in desired or not self._owned(agent, meta["uid"]):
                continue
            try:
                await self.client.delete(ARK_AGENTS, agent_name, meta["namespace"])
            except NotFound:
                continue
            except (ApiError, TransportError) as exc:
                errors.append(f"deleting ArkAgent {agent_name}: {exc}")
                continue
            self._applied.pop(f"{meta['namespace']}/{agent_name}", None)
            self.recorder.normal(team, "DeletedAgent", f"deleted ArkAgent {agent_name} (its role is gone)")
        return errors

    @staticmethod
    def _owned(agent: Obj, uid: str) -> bool:
        return any(
            ref.get("uid") == uid and ref.get("controller")
            for ref in agent["metadata"].get("ownerReferences") or ()
        )

    # ------------------------------------------------------------------ observation

    def _roles(self, namespace: str, name: str, spec: ArkTeamSpec) -> list[RoleReadiness]:
        roles: list[RoleReadiness] = []
        for role in spec.roles or ():
            if role.ark_team is not None:
                other = self.teams.get(namespace, role.ark_team)
                ready = (other or {}).get("status", {}).get("phase") == "Ready"
                roles.append(RoleReadiness(role.name, None, 1 if ready else 0, 1))
                continue
            agent_name = role_agent(spec, name, role.name)
            assert agent_name is not None
            roles.append(self._agent_readiness(namespace, role.name, agent_name))
        if spec.routing is not None:
            roles.append(self._agent_readiness(namespace, "router", router_agent_name(name)))
        return roles

    def _agent_readiness(self, namespace: str, role: str, agent_name: str) -> RoleReadiness:
        agent = self.agents.get(namespace, agent_name) or {}
        status = agent.get("status") or {}
        desired = (agent.get("spec") or {}).get("replicas", 1)
        return RoleReadiness(role, agent_name, int(status.get("readyReplicas") or 0), int(desired))

    def _missing(self, namespace: str, spec: ArkTeamSpec) -> list[str]:
        missing: list[str] = []
        for role in spec.roles or ():
            if role.ark_agent is not None and self.agents.get(namespace, role.ark_agent) is None:
                missing.append(f'ArkAgent "{role.ark_agent}" (role {role.name}) does not exist')
            if role.ark_team is not None and self.teams.get(namespace, role.ark_team) is None:
                missing.append(f'ArkTeam "{role.ark_team}" (role {role.name}) does not exist')
        routing = spec.routing
        if routing is not None:
            if self.registries.get(namespace, routing.registry_ref.name) is None:
                missing.append(
                    f'ArkRegistry "{routing.registry_ref.name}" (routing.registryRef) does not exist'
                )
            if routing.fallback and self.agents.get(namespace, routing.fallback) is None:
                missing.append(f'ArkAgent "{routing.fallback}" (routing.fallback) does not exist')
        return missing

    # ------------------------------------------------------------------ runs

    async def _prune_runs(self, namespace: str, name: str, spec: ArkTeamSpec) -> None:
        runs = self.runs.by_index(RUN_TEAM_INDEX, f"{namespace}/{name}")
        doomed = runs_to_delete(
            runs, succeeded=spec.successful_runs_history_limit, failed=spec.failed_runs_history_limit
        )
        for run_name in doomed:
            try:
                await self.client.delete(ARK_RUNS, run_name, namespace, propagation_policy="Background")
            except NotFound:
                continue

    # ------------------------------------------------------------------ status

    async def _write_status(self, key: str, team: Obj, observation: TeamObservation) -> None:
        meta = team["metadata"]
        current = team.get("status")
        written = self._written.get(key)
        if written is not None and written[0] == meta.get("resourceVersion"):
            current = written[1]  # the cache has not caught up with our last write yet
        status = compute_status(current, observation, datetime.datetime.now(datetime.UTC))
        if status == owned_status(current):
            return
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkTeam",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "status": status,
        }
        try:
            await self.client.apply(
                ARK_TEAMS, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return
        self._written[key] = (str(meta.get("resourceVersion")), status)
        self._record_transitions(team, current, status)

    def _record_transitions(self, team: Obj, before: Obj | None, after: Obj) -> None:
        old_phase = (before or {}).get("phase")
        new_phase = after.get("phase")
        ready = get_condition(after.get("conditions"), READY) or {}
        old_ready = get_condition((before or {}).get("conditions"), READY) or {}
        if new_phase != old_phase:
            message = str(ready.get("message", ""))
            if new_phase == "Ready":
                self.recorder.normal(team, "Ready", message)
            elif new_phase == "Degraded":
                self.recorder.warning(team, "Degraded", message)
        reason = ready.get("reason")
        changed = reason != old_ready.get("reason") or ready.get("message") != old_ready.get("message")
        if changed and reason in ("MissingReference", "InvalidSpec"):
            self.recorder.warning(team, str(reason), str(ready.get("message", "")))
        had = budget_exceeded(before)
        has = budget_exceeded(after)
        if has and not had:
            exceeded = get_condition(after["conditions"], "BudgetExceeded") or {}
            self.recorder.warning(team, "BudgetExceeded", str(exceeded.get("message", "")))
        elif had and not has:
            self.recorder.normal(team, "BudgetRestored", "token usage is back under limits.maxDailyTokens")


def setup_team_controller(
    manager: Manager, options: TeamOptions, *, budget: BudgetReader | None = None
) -> tuple[Controller, TeamReconciler]:
    """Create the caches, indexes and controller for ArkTeams and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    teams = Cache(factory, ARK_TEAMS, namespaces)
    teams.add_indexers(dict(TEAM_INDEXERS))
    agents = Cache(factory, ARK_AGENTS, namespaces)
    registries = Cache(factory, ARK_REGISTRIES, namespaces)
    runs = Cache(factory, ARK_RUNS, namespaces)
    runs.add_indexers({RUN_TEAM_INDEX: run_team})
    reconciler = TeamReconciler(
        manager.client,
        teams=teams,
        agents=agents,
        registries=registries,
        runs=runs,
        recorder=manager.event_recorder(FIELD_MANAGER),
        budget=budget,
    )
    controller = Controller("arkteam", reconciler.reconcile, workers=options.workers, metrics=manager.metrics)

    def referencing(index: str) -> Callable[[Obj], list[str]]:
        def mapper(obj: Obj) -> list[str]:
            meta = obj["metadata"]
            return teams.index_keys(index, f"{meta.get('namespace')}/{meta['name']}")

        return mapper

    for informer in teams.informers.values():
        controller.watch(informer, update_filter=generation_changed)
        # A team's phase is what teams with an arkTeam role on it wait for.
        controller.watch_mapped(informer, referencing(TEAM_INDEX), update_filter=_phase_changed)
    for informer in agents.informers.values():
        controller.watch_owned(informer, ARK_TEAMS, update_filter=_readiness_changed)
        controller.watch_mapped(informer, referencing(AGENT_INDEX), update_filter=_readiness_changed)
    for informer in registries.informers.values():
        controller.watch_mapped(informer, referencing(REGISTRY_INDEX), update_filter=generation_changed)
    for informer in runs.informers.values():
        controller.watch_mapped(
            informer, run_team, update_filter=_phase_changed, batch_seconds=options.run_batch_seconds
        )
    manager.add_controller(controller)
    return controller, reconciler
