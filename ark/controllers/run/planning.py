"""A run's plan from its snapshot and what the cluster knows right now. Pure: lookups are handed in.

The snapshot (``spec.teamSpec``) fixes the steps, roles, prompts and limits of the run. What
lives in other objects is read from the caches when the run is loaded: the limits of ``arkAgent``
roles and of routed runs' agents (their ArkAgents), the run timeout of ``arkTeam`` roles (their
ArkTeams), and for routed teams the capability index and ``policy.maxDepth`` of the ArkRegistry.
An ``arkAgent`` role whose ArkAgent does not exist fails the run before anything is submitted.

Interface::

    plan = plan_run(team_name, snapshot, Lookups(agent=..., team=..., registry=...))  # PlanError
    problem = snapshot_problem(team_name, snapshot)  # "spec.teamSpec.<field>: why", or None
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ark.api import ArkAgentSpec, ArkTeamSpec
from ark.api.registry import ArkRegistryStatus, RegistryPolicy
from ark.api.validation.report import Report
from ark.api.validation.team import check_team_spec
from ark.flow.plan import AgentLimits, Capability, PlanError, RunPlan, build_plan

TEAM_STEP_TIMEOUT_SECONDS = 3600.0
"""Deadline of an ``arkTeam`` step whose team sets no ``timeoutSeconds``."""


class MissingAgent(PlanError):
    """A role names an ArkAgent that does not exist; the message names it."""


@dataclass(frozen=True)
class Registry:
    """What a routed run needs of its ArkRegistry."""

    status: ArkRegistryStatus
    policy: RegistryPolicy


@dataclass(frozen=True)
class Lookups:
    """Reads of the objects a snapshot refers to (None: not found)."""

    agent: Callable[[str], ArkAgentSpec | None]
    team: Callable[[str], ArkTeamSpec | None]
    registry: Callable[[str], Registry | None]


def agent_limits(spec: ArkAgentSpec) -> AgentLimits:
    """The limits the engine applies to an ArkAgent's tasks."""
    if spec.limits is None:
        return AgentLimits()
    return AgentLimits(float(spec.limits.timeout_seconds), spec.limits.max_tokens_per_call)


def plan_run(team: str, snapshot: ArkTeamSpec, lookups: Lookups) -> RunPlan:
    """The plan of a run of ``team`` with ``snapshot``; raises :class:`PlanError` / :class:`MissingAgent`."""
    agents: dict[str, AgentLimits] = {}
    teams: dict[str, AgentLimits] = {}
    for role in snapshot.roles or ():
        if role.ark_agent is not None:
            spec = lookups.agent(role.ark_agent)
            if spec is None:
                raise MissingAgent(f'ArkAgent "{role.ark_agent}" (role "{role.name}") does not exist')
            agents[role.ark_agent] = agent_limits(spec)
        elif role.ark_team is not None:
            child = lookups.team(role.ark_team)
            timeout = child.timeout_seconds if child is not None and child.timeout_seconds else None
            teams[role.ark_team] = AgentLimits(float(timeout or TEAM_STEP_TIMEOUT_SECONDS))
    capabilities: list[Capability] = []
    max_depth: int | None = None
    routing = snapshot.routing
    if routing is not None:
        registry = lookups.registry(routing.registry_ref.name)
        if registry is not None:
            max_depth = registry.policy.max_depth
            for entry in registry.status.capabilities or ():
                capabilities.append(
                    Capability(entry.agent, entry.id, entry.description or "", tuple(entry.tags or ()))
                )
        for name in {c.agent for c in capabilities} | ({routing.fallback} if routing.fallback else set()):
            # An agent that is gone is left out: the engine fails the run only if the router picks it.
            spec = lookups.agent(name)
            if spec is not None:
                agents[name] = agent_limits(spec)
    return build_plan(
        team, snapshot, agents=agents, capabilities=capabilities, registry_max_depth=max_depth, teams=teams
    )


def snapshot_problem(team: str, snapshot: ArkTeamSpec) -> str | None:
    """The first error ``ark validate`` finds in a run's snapshot, as ``spec.teamSpec.<field>: why``.

    The ArkRun CRD leaves the snapshot unchecked (D193): one the operator copied from an ArkTeam
    passed the API server's checks of that team, one written by hand into an ArkRun is checked here.
    """
    report = Report()
    check_team_spec(report, ("spec", "teamSpec"), snapshot, team)
    error = next((issue for issue in report.issues if issue.severity == "error"), None)
    return None if error is None else f"{error.location}: {error.message}"
