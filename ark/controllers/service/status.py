"""An ArkService's status from what the controller observed (pure).

``Ready`` reasons: ``Serving`` (True: the agent has ready pods; the message names the endpoint),
``NoReadyReplicas`` (the agent exists, none of its pods passes ``/readyz``), ``AgentNotFound``
(``spec.selector.arkAgent`` names no ArkAgent), ``TeamNameTaken`` (an ArkTeam has the
ArkService's name: the service's runs, whose ``teamRef`` is that name, would count as the
team's), ``InvalidSpec`` (the spec does not parse).

Interface::

    status = service_status(current, Observed(generation=2, ready=1, agent_found=True,
                                              service_name="svc", endpoint="http://..."))
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ark.kube.conditions import set_condition

Obj = dict[str, Any]
READY = "Ready"
TEAM_NAME_TAKEN = (
    "an ArkTeam has this ArkService's name: its runs would count as the team's; "
    "rename one of them (tasks are refused with 409)"
)


@dataclass(frozen=True)
class Observed:
    """What one reconcile saw."""

    generation: int
    agent: str = ""
    ready: int = 0
    agent_found: bool = True
    service_name: str | None = None
    endpoint: str | None = None
    strategy: str = "round-robin"
    invalid: str | None = None
    """Why the spec does not parse (then nothing else is looked at)."""
    team_named_alike: bool = False
    """An ArkTeam of the ArkService's name exists in its namespace."""


def _ready_condition(seen: Observed) -> tuple[str, str, str]:
    if seen.invalid is not None:
        return "False", "InvalidSpec", seen.invalid
    if seen.team_named_alike:
        return "False", "TeamNameTaken", TEAM_NAME_TAKEN
    if not seen.agent_found:
        return "False", "AgentNotFound", f'spec.selector.arkAgent: ArkAgent "{seen.agent}" does not exist'
    if seen.ready == 0:
        message = f'ArkAgent "{seen.agent}" has no ready pods; tasks are refused (503)'
        return "False", "NoReadyReplicas", message
    where = f"; tasks: POST {seen.endpoint}" if seen.endpoint else "; no HTTP port: no task endpoint"
    return "True", "Serving", f"{seen.ready} ready pods of ArkAgent {seen.agent} ({seen.strategy}){where}"


def service_status(current: Obj, seen: Observed) -> Obj:
    """The status to write: ``current``'s conditions updated (transition times kept when unchanged)."""
    status: Obj = {
        "observedGeneration": seen.generation,
        "readyReplicas": seen.ready,
        "conditions": copy.deepcopy(current.get("conditions") or []),
    }
    if seen.service_name is not None:
        status["serviceName"] = seen.service_name
    if seen.endpoint is not None:
        status["endpoint"] = seen.endpoint
    value, reason, message = _ready_condition(seen)
    set_condition(status["conditions"], READY, value, reason, message, observed_generation=seen.generation)
    return status
