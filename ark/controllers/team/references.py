"""Indexes of ArkTeams by what they reference, and of ArkRuns by their team, so a change to an
ArkAgent, ArkTeam, ArkRegistry or ArkRun enqueues exactly the teams it concerns (and a missing
reference is noticed the moment the object appears).

Index values are ``namespace/name`` keys. The functions read the raw, cached spec and tolerate
any shape.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

AGENT_INDEX = "ark-team-agent-refs"
TEAM_INDEX = "ark-team-team-refs"
REGISTRY_INDEX = "ark-team-registry-refs"
RUN_TEAM_INDEX = "ark-run-team"


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _keys(obj: Obj, names: list[Any]) -> list[str]:
    namespace = obj.get("metadata", {}).get("namespace")
    return sorted({f"{namespace}/{n}" for n in names if isinstance(n, str) and n}) if namespace else []


def _roles(obj: Obj) -> list[Obj]:
    roles = _spec(obj).get("roles")
    return [r for r in roles if isinstance(r, dict)] if isinstance(roles, list) else []


def _routing(obj: Obj) -> Obj:
    routing = _spec(obj).get("routing")
    return routing if isinstance(routing, dict) else {}


def agent_refs(obj: Obj) -> list[str]:
    """ArkAgents of ``arkAgent`` roles and the routing fallback."""
    return _keys(obj, [r.get("arkAgent") for r in _roles(obj)] + [_routing(obj).get("fallback")])


def team_refs(obj: Obj) -> list[str]:
    """ArkTeams of ``arkTeam`` roles."""
    return _keys(obj, [r.get("arkTeam") for r in _roles(obj)])


def registry_refs(obj: Obj) -> list[str]:
    """The ArkRegistry of ``routing.registryRef``."""
    ref = _routing(obj).get("registryRef")
    return _keys(obj, [ref.get("name")] if isinstance(ref, dict) else [])


def run_team(obj: Obj) -> list[str]:
    """The team an ArkRun ran (``spec.teamRef.name``)."""
    ref = _spec(obj).get("teamRef")
    return _keys(obj, [ref.get("name")] if isinstance(ref, dict) else [])


TEAM_INDEXERS = {AGENT_INDEX: agent_refs, TEAM_INDEX: team_refs, REGISTRY_INDEX: registry_refs}
