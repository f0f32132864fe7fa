"""Which notification events the objects show (pure; D130, D131, D139).

An *occurrence* is one event that happened, with a durable key (so it is sent once):

=====================  ==================================================================
``TeamSucceeded``      an ArkRun of the team ended ``Succeeded``
``TeamTimedOut``       an ArkRun ended ``Failed`` with reason ``TimedOut``
``BudgetExceeded``     an ArkRun ended ``Failed`` with reason ``BudgetExceeded`` (``maxTokens``),
                       or an ArkAgent's ``BudgetExceeded`` condition turned ``True``
``TeamFailed``         an ArkRun ended ``Failed`` for any other reason
``DailyLimitReached``  an ArkTeam's ``BudgetExceeded`` condition turned ``True``
``AgentDegraded``      an ArkAgent that had been up lost ready replicas (D139)
=====================  ==================================================================

A run has one event. A policy without a rule for ``TeamTimedOut`` or a run's ``BudgetExceeded``
but with one for ``TeamFailed`` gets those as ``TeamFailed`` messages (:func:`rule_for`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ark.api.notify import NotifyEventRule, NotifyEventType, NotifyPolicy
from ark.kube.conditions import get_condition

Obj = dict[str, Any]
SubjectKind = Literal["ArkTeam", "ArkAgent"]

DEGRADED_AFTER_SECONDS = 60
"""An agent's Ready flipping to False this soon after its creation is its first rollout (D139)."""
FAILED_FALLBACK: frozenset[str] = frozenset({"TeamTimedOut", "BudgetExceeded"})


@dataclass(frozen=True)
class Occurrence:
    """One event that happened to a team (a run of it) or an agent."""

    key: str
    """Durable identity, e.g. ``ArkRun/blog-x4kpz/0b1f...`` or ``ArkAgent/a/BudgetExceeded@<time>``."""
    type: NotifyEventType
    subject_kind: SubjectKind
    subject: str
    """Team or agent name: with the type, the rate-limit key."""
    at: datetime.datetime
    message: str
    """What happened, in one line (``.Message`` and the default notification text)."""
    team: Obj | None = None
    run: Obj | None = None
    agent: Obj | None = None

    @property
    def rate_key(self) -> str:
        """``ArkTeam/<name>`` or ``ArkAgent/<name>``."""
        return f"{self.subject_kind}/{self.subject}"


def parse_time(value: object) -> datetime.datetime | None:
    """An RFC 3339 string as an aware UTC datetime; None when absent or unparsable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(datetime.UTC)


def run_event(run: Obj) -> NotifyEventType | None:
    """The event of a finished run, None while it is not finished."""
    status = run.get("status") or {}
    phase = status.get("phase")
    if phase == "Succeeded":
        return "TeamSucceeded"
    if phase != "Failed":
        return None
    reason = (get_condition(status.get("conditions"), "Ready") or {}).get("reason")
    if reason == "TimedOut":
        return "TeamTimedOut"
    if reason == "BudgetExceeded":
        return "BudgetExceeded"
    return "TeamFailed"


def run_occurrence(run: Obj, team: Obj) -> Occurrence | None:
    """The event of ``run`` (a run of ``team``), None while it runs."""
    event = run_event(run)
    if event is None:
        return None
    meta = run["metadata"]
    status = run.get("status") or {}
    at = parse_time(status.get("completionTime")) or parse_time(meta.get("creationTimestamp"))
    if at is None:
        return None
    team_name = team["metadata"]["name"]
    phase = status.get("phase")
    detail = f": {status['message']}" if status.get("message") else ""
    return Occurrence(
        key=f"ArkRun/{meta['name']}/{meta.get('uid', '')}",
        type=event,
        subject_kind="ArkTeam",
        subject=team_name,
        at=at,
        message=f"ArkRun {meta['name']} of ArkTeam {team_name} {phase}{detail}",
        team=team,
        run=run,
    )


def _condition_occurrence(
    obj: Obj, kind: SubjectKind, event: NotifyEventType, condition: Obj, message: str
) -> Occurrence | None:
    at = parse_time(condition.get("lastTransitionTime"))
    if at is None:
        return None
    name = obj["metadata"]["name"]
    return Occurrence(
        key=f"{kind}/{name}/{event}@{condition['lastTransitionTime']}",
        type=event,
        subject_kind=kind,
        subject=name,
        at=at,
        message=message,
        team=obj if kind == "ArkTeam" else None,
        agent=obj if kind == "ArkAgent" else None,
    )


def team_occurrences(team: Obj) -> list[Occurrence]:
    """``DailyLimitReached`` while the team's ``BudgetExceeded`` condition is True."""
    condition = get_condition((team.get("status") or {}).get("conditions"), "BudgetExceeded")
    if condition is None or condition.get("status") != "True":
        return []
    name = team["metadata"]["name"]
    message = f"ArkTeam {name} reached its daily token limit: {condition.get('message', '')}".rstrip(": ")
    found = _condition_occurrence(team, "ArkTeam", "DailyLimitReached", condition, message)
    return [found] if found is not None else []


def degraded(agent: Obj) -> Obj | None:
    """The agent's ``Ready`` condition when it shows a degradation (D139), else None.

    ``Ready=False/Progressing`` with fewer ready replicas than ``spec.replicas``, flipped more
    than :data:`DEGRADED_AFTER_SECONDS` after the agent was created: an agent whose pods stopped
    passing their probes (the semantic health check is the readiness probe). A first rollout, a
    spec change that keeps the old replicas ready, ``ScaledToZero`` and ``BudgetExceeded`` are not.
    """
    status = agent.get("status") or {}
    ready = get_condition(status.get("conditions"), "Ready")
    if ready is None or ready.get("status") != "False" or ready.get("reason") != "Progressing":
        return None
    desired = (agent.get("spec") or {}).get("replicas", 1)
    if not isinstance(desired, int) or int(status.get("readyReplicas") or 0) >= desired:
        return None
    flipped = parse_time(ready.get("lastTransitionTime"))
    created = parse_time(agent["metadata"].get("creationTimestamp"))
    if flipped is None or created is None:
        return None
    if (flipped - created).total_seconds() <= DEGRADED_AFTER_SECONDS:
        return None
    return ready


def agent_occurrences(agent: Obj) -> list[Occurrence]:
    """``BudgetExceeded`` and ``AgentDegraded`` from the agent's conditions."""
    name = agent["metadata"]["name"]
    found: list[Occurrence | None] = []
    budget = get_condition((agent.get("status") or {}).get("conditions"), "BudgetExceeded")
    if budget is not None and budget.get("status") == "True":
        message = f"ArkAgent {name} used up its daily token budget: {budget.get('message', '')}".rstrip(": ")
        found.append(_condition_occurrence(agent, "ArkAgent", "BudgetExceeded", budget, message))
    ready = degraded(agent)
    if ready is not None:
        message = f"ArkAgent {name} is degraded: {ready.get('message', '')}".rstrip(": ")
        found.append(_condition_occurrence(agent, "ArkAgent", "AgentDegraded", ready, message))
    return [o for o in found if o is not None]


def rule_for(policy: NotifyPolicy, occurrence: Occurrence) -> NotifyEventRule | None:
    """The rule that notifies about ``occurrence``, None when the policy does not."""
    rule = policy.rule(occurrence.type)
    if rule is None and occurrence.run is not None and occurrence.type in FAILED_FALLBACK:
        rule = policy.rule("TeamFailed")
    return rule


def since(occurrences: Iterable[Occurrence], moment: datetime.datetime | None) -> list[Occurrence]:
    """The occurrences at or after ``moment`` (the ArkNotify's creation; D131), oldest first."""
    kept = [o for o in occurrences if moment is None or o.at >= moment]
    return sorted(kept, key=lambda o: (o.at, o.key))
