"""Team-output chains in the cluster: the links of raw ArkEvents (their cycles are found by
:mod:`ark.api.validation.chains`), and the depth of a run's trigger lineage (pure).

A team-output event is an edge from the team it watches to each team it targets. An event on a
cycle of such edges would fire for ever, so the controller refuses it (D118). What the cache
cannot show in time (events created at once, a chain closed in another way) is bounded by the
depth every team-output run carries in annotation ``arkonis.dev/trigger-depth``: the upstream
run's depth plus one, a run with none being depth 0; past ``MAX_CHAIN_DEPTH`` nothing fires (D119).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ark.api.validation.chains import Link

Obj = dict[str, Any]
DEPTH_ANNOTATION = "arkonis.dev/trigger-depth"
MAX_CHAIN_DEPTH = 10
"""The deepest team-output run a chain may create (a chain of 10 events after its first run)."""
TEAM_OUTPUT_TYPES = ("team-output", "pipeline-output", "flow-output")


def links(events: Iterable[Obj]) -> list[Link]:
    """The team-output links of ``events`` (raw objects, possibly invalid: those are skipped)."""
    found = []
    for event in events:
        spec = event.get("spec") or {}
        source = spec.get("source") or {}
        watched = (source.get("teamOutput") or {}).get("name")
        if source.get("type") not in TEAM_OUTPUT_TYPES or not isinstance(watched, str):
            continue
        for target in spec.get("targets") or ():
            team = (target.get("team") or target.get("pipeline")) if isinstance(target, dict) else None
            if isinstance(team, str) and team:
                found.append(Link(str(event["metadata"]["name"]), watched, team))
    return sorted(found, key=lambda link: (link.event, link.source, link.to))


def chain_depth(run: Obj) -> int:
    """The trigger-lineage depth of ``run``: 0 for a run no team-output event created."""
    value = ((run.get("metadata") or {}).get("annotations") or {}).get(DEPTH_ANNOTATION)
    try:
        return max(int(str(value)), 0) if value is not None else 0
    except ValueError:
        return MAX_CHAIN_DEPTH  # someone wrote nonsense there: treat the lineage as exhausted
