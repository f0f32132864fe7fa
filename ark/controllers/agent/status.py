"""An ArkAgent's status from what the controller observed (reference §2.2). Pure, no I/O.

``Ready``:

==========================  =======  =========================================================
situation                   status   reason / message
==========================  =======  =========================================================
prompt ref missing          False    ``PromptResolutionError``, naming the ConfigMap/Secret and key
apply or spec failed        False    ``ReconcileError``, the server's message
budget used up              False    ``BudgetExceeded``, scaled to 0 until the window frees up
``spec.replicas: 0``        False    ``ScaledToZero``
all desired replicas ready  True     ``AllReplicasReady``, ``"N/N replicas ready"``
otherwise                   False    ``Progressing``, ``"N/M replicas ready"``
==========================  =======  =========================================================

``BudgetExceeded`` is ``True/DailyLimitReached`` while the budget is used up and absent
otherwise. ``lastTransitionTime`` moves only when a condition's status flips.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from typing import Any

from ark.controllers.budget import BudgetState
from ark.kube.conditions import get_condition, remove_condition, set_condition

Obj = dict[str, Any]

READY = "Ready"
BUDGET_EXCEEDED = "BudgetExceeded"
STATUS_FIELDS = (
    "replicas",
    "readyReplicas",
    "selector",
    "observedGeneration",
    "conditions",
    "dailyTokenUsage",
    "dailyTokensUsed",
    "budgetResetsInMinutes",
)
"""Every status field the controller owns (and so compares before writing)."""


@dataclass(frozen=True)
class Observation:
    """What one reconcile found out."""

    generation: int
    desired_replicas: int
    """Replicas the agent should have right now (0 while the budget is used up)."""
    selector: str
    deployment: Obj | None
    prompt_error: str | None = None
    reconcile_error: str | None = None
    budget: BudgetState | None = None


def _utc(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ready_condition(observation: Observation) -> tuple[str, str, str]:
    """(status, reason, message) of ``Ready``."""
    if observation.prompt_error:
        return "False", "PromptResolutionError", observation.prompt_error
    if observation.reconcile_error:
        return "False", "ReconcileError", observation.reconcile_error
    budget = observation.budget
    if budget is not None and budget.exceeded:
        until = f" until {_utc(budget.resumes_at_ms)}" if budget.resumes_at_ms is not None else ""
        return "False", "BudgetExceeded", f"daily token budget used up; scaled to 0 replicas{until}"
    desired = observation.desired_replicas
    if desired == 0:
        return "False", "ScaledToZero", "scaled to 0 replicas"
    deployment = observation.deployment or {}
    status = deployment.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    rolled_out = int(status.get("observedGeneration") or 0) >= int(
        deployment.get("metadata", {}).get("generation") or 1
    )
    message = f"{ready}/{desired} replicas ready"
    if deployment and rolled_out and ready >= desired:
        return "True", "AllReplicasReady", message
    return "False", "Progressing", message


def budget_message(budget: BudgetState) -> str:
    """The ``BudgetExceeded`` message: usage, limit, and that replicas were scaled to 0."""
    until = f" until {_utc(budget.resumes_at_ms)}" if budget.resumes_at_ms is not None else ""
    return (
        f"{budget.used} of {budget.limit} tokens used in the last 24 h; "
        f"replicas scaled to 0{until}, when enough usage has left the window"
    )


def compute_status(current: Obj | None, observation: Observation, now: datetime.datetime) -> Obj:
    """The status to write: the controller's fields, with conditions carried over from ``current``."""
    current = current or {}
    conditions: list[Obj] = copy.deepcopy(current.get("conditions") or [])
    generation = observation.generation
    status, reason, message = ready_condition(observation)
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
    deployment_status = (observation.deployment or {}).get("status") or {}
    result: Obj = {
        "replicas": int(deployment_status.get("replicas") or 0),
        "readyReplicas": int(deployment_status.get("readyReplicas") or 0),
        "selector": observation.selector,
        "observedGeneration": generation,
        "conditions": conditions,
    }
    if budget is not None:
        # The runtime records totals only ("{taskID}:{totalTokens}"); the CRD defaults the
        # other two counts to 0, so they are written as 0 to compare equal with what is stored.
        result["dailyTokenUsage"] = {"inputTokens": 0, "outputTokens": 0, "totalTokens": budget.used}
        result["dailyTokensUsed"] = budget.used
        result["budgetResetsInMinutes"] = budget.resets_in_minutes
    return result


def owned_status(current: Obj | None) -> Obj:
    """The controller's fields of an existing status (to compare with :func:`compute_status`)."""
    current = current or {}
    return {key: current[key] for key in STATUS_FIELDS if key in current}


def condition_changed(before: Obj | None, after: Obj, condition_type: str) -> bool:
    """True when ``condition_type`` differs in status, reason or message between two statuses."""
    old = get_condition((before or {}).get("conditions"), condition_type) or {}
    new = get_condition(after.get("conditions"), condition_type) or {}
    return any(old.get(k) != new.get(k) for k in ("status", "reason", "message"))
