"""An ArkTeam's status from what the controller observed (decision §18 #9). Pure, no I/O.

``phase``: ``Pending`` until every role has a ready replica, then ``Ready``; ``Degraded`` when a
role of a team that was ready has none. A role's readiness is its ArkAgent's ``readyReplicas``
(the generated agent of an inline role, the referenced one otherwise, the router of a routed
team); an ``arkTeam`` role counts 1/1 while that team is ``Ready``.

``Ready`` condition:

=========================  =======  =========================================================
situation                  status   reason / message
=========================  =======  =========================================================
spec cannot be used        False    ``InvalidSpec``, the first problem
a reference is missing     False    ``MissingReference``, naming each missing object
daily budget used up       False    ``BudgetExceeded``, roles scaled to 0 until the window frees
every role ready           True     ``RolesReady``
a role lost all replicas   False    ``RoleUnavailable``, naming the roles (phase Degraded)
otherwise                  False    ``RolesNotReady``, ``role ready/desired`` for each waiting role
=========================  =======  =========================================================

``BudgetExceeded`` is ``True/DailyLimitReached`` while the team's budget is used up.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from typing import Any

from ark.controllers.agent.status import budget_message
from ark.controllers.budget import BudgetState
from ark.kube.conditions import get_condition, remove_condition, set_condition

Obj = dict[str, Any]

READY = "Ready"
BUDGET_EXCEEDED = "BudgetExceeded"
STATUS_FIELDS = ("phase", "mode", "lastRunName", "lastRunPhase", "roles", "observedGeneration", "conditions")


@dataclass(frozen=True)
class RoleReadiness:
    """One role's agent and how many of its replicas are ready."""

    name: str
    agent: str | None
    ready: int
    replicas: int


@dataclass(frozen=True)
class TeamObservation:
    """What one reconcile found out."""

    generation: int
    mode: str | None
    roles: list[RoleReadiness] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    invalid: str | None = None
    budget: BudgetState | None = None
    last_run: tuple[str, str | None] | None = None


def phase_of(observation: TeamObservation, previous: str | None) -> str:
    """Pending, Ready or Degraded."""
    roles = observation.roles
    if roles and not observation.missing and not observation.invalid and all(r.ready > 0 for r in roles):
        return "Ready"
    if previous in ("Ready", "Degraded") and not observation.invalid:
        return "Degraded"
    return "Pending"


def ready_condition(observation: TeamObservation, phase: str) -> tuple[str, str, str]:
    """(status, reason, message) of ``Ready``."""
    if observation.invalid:
        return "False", "InvalidSpec", observation.invalid
    if observation.missing:
        return "False", "MissingReference", "; ".join(observation.missing)
    budget = observation.budget
    if budget is not None and budget.exceeded:
        return "False", "BudgetExceeded", budget_message(budget)
    if phase == "Ready":
        return "True", "RolesReady", f"all {len(observation.roles)} roles have ready replicas"
    waiting = [r for r in observation.roles if r.ready == 0]
    listed = ", ".join(f"{r.name} {r.ready}/{r.replicas}" for r in waiting)
    if phase == "Degraded":
        return "False", "RoleUnavailable", f"no ready replica: {listed}"
    return "False", "RolesNotReady", f"waiting for ready replicas: {listed}" if listed else "no roles"


def compute_status(current: Obj | None, observation: TeamObservation, now: datetime.datetime) -> Obj:
    """The status to write, with conditions carried over from ``current``."""
    current = current or {}
    conditions: list[Obj] = copy.deepcopy(current.get("conditions") or [])
    phase = phase_of(observation, current.get("phase"))
    status, reason, message = ready_condition(observation, phase)
    generation = observation.generation
    set_condition(conditions, READY, status, reason, message, observed_generation=generation, now=now)
    budget = observation.budget
    if budget is not None and budget.exceeded:
        set_condition(
            conditions,
            BUDGET_EXCEEDED,
            "True",
            "DailyLimitReached",
            budget_message(budget),
            observed_generation=generation,
            now=now,
        )
    else:
        remove_condition(conditions, BUDGET_EXCEEDED)
    result: Obj = {
        "phase": phase,
        "roles": [
            {
                k: v
                for k, v in {
                    "name": r.name,
                    "agent": r.agent,
                    "readyReplicas": r.ready,
                    "replicas": r.replicas,
                }.items()
                if v is not None
            }
            for r in observation.roles
        ],
        "observedGeneration": generation,
        "conditions": conditions,
    }
    if observation.mode is not None:
        result["mode"] = observation.mode
    if observation.last_run is not None:
        result["lastRunName"] = observation.last_run[0]
        if observation.last_run[1] is not None:
            result["lastRunPhase"] = observation.last_run[1]
    return result


def owned_status(current: Obj | None) -> Obj:
    """The controller's fields of an existing status (to compare with :func:`compute_status`)."""
    current = current or {}
    return {key: current[key] for key in STATUS_FIELDS if key in current}


def budget_exceeded(status: Obj | None) -> bool:
    """True while the ``BudgetExceeded`` condition is on."""
    condition = get_condition((status or {}).get("conditions"), BUDGET_EXCEEDED)
    return condition is not None and condition.get("status") == "True"
