"""One webhook fire: the runs of every target, created with a key unique to the request.

Each fire gets a random key, so its runs are named ``<event>-<10 hex>-<target>`` like every fire
(D61) and two requests never collide. A target that cannot start (missing team, input template
failing, required input missing) is named in ``failures``; the other targets still fire (D63).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ark.api import ArkEventSpec
from ark.controllers.cache import Cache
from ark.controllers.event.inputs import TargetInputError
from ark.controllers.event.runs import target_run
from ark.controllers.resources import ARK_RUNS
from ark.flow.inputs import InputError
from ark.kube.client import KubeClient
from ark.runs.trace_context import with_traceparent

Obj = dict[str, Any]


@dataclass
class Fired:
    """The runs one fire created and the targets that could not start."""

    runs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def fire_targets(
    client: KubeClient,
    event: Obj,
    spec: ArkEventSpec,
    teams: Cache,
    trigger: Mapping[str, Any],
    traceparent: str = "",
) -> Fired:
    """Create one ArkRun per target of ``event`` for this fire."""
    namespace = event["metadata"]["namespace"]
    fire_key = f"webhook:{uuid.uuid4().hex}"
    fired = Fired()
    for index, target in enumerate(spec.targets):
        team = teams.get(namespace, target.team)
        if team is None:
            fired.failures.append(f'targets[{index}]: ArkTeam "{target.team}" does not exist')
            continue
        try:
            body = target_run(event, team, index, fire_key, target.input or {}, trigger, "webhook")
        except (TargetInputError, InputError) as exc:
            fired.failures.append(f"targets[{index}] ({target.team}): {exc}")
            continue
        if traceparent:
            body = with_traceparent(body, traceparent)
        created = await client.create(ARK_RUNS, body)
        fired.runs.append(created["metadata"]["name"])
    return fired
