"""The ArkAgents a team owns (reference §3.2 A, §12 ``AGENT_TEAM_*``). Pure, no I/O.

Every inline role becomes ArkAgent ``<team>-<role>``: each field the role carries besides its
team-only ones (``name``, ``canDelegate``) is copied as written, ``replicas`` defaults to 1, and
``spec.env`` starts with ``AGENT_TEAM_NAME``, ``AGENT_TEAM_ROLE`` and, for a role that may
delegate, ``AGENT_TEAM_ROUTES`` (``{"<role>": "<that role's task stream>"}`` in ``canDelegate``
order); the role's own ``env`` follows and wins. A routed team owns its router,
``<team>-router`` (the ``routing.model`` with the router's instructions). While the team's daily
budget is used up, every owned agent has 0 replicas.

An ArkAgent a team only references (``arkAgent:`` role) is rendered by the agent controller,
with the variables :func:`member_env` gives it: ``AGENT_TEAM_ROUTES`` with the delegation targets
of every role it plays (in team-name order; the run engine still checks ``canDelegate`` per
team), and ``AGENT_TEAM_NAME``/``AGENT_TEAM_ROLE`` when it plays exactly one role.

Interface::

    bodies = owned_agents(team, spec, budget_exceeded=False)   # name -> server-side apply body
    env = member_env("billing-agent", "ns", teams)              # ((name, value), ...) for its pods
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ark.api import API_VERSION, ArkTeamSpec
from ark.controllers.resources import MANAGED_BY, MANAGED_BY_LABEL
from ark.flow.plan import inline_agent_name, router_agent_name
from ark.flow.routing import ROUTER_SYSTEM_PROMPT
from ark.runs.create import TEAM_LABEL, label_value
from ark_runtime.protocol import tasks_stream

Obj = dict[str, Any]

ROLE_LABEL = "arkonis.dev/role"
ROUTER_ROLE = "router"
TEAM_ONLY_FIELDS = ("name", "canDelegate", "arkAgent", "arkTeam")


def team_owner_reference(team: Obj) -> Obj:
    """The controller reference from an owned object to ``team``."""
    meta = team["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkTeam",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def role_agent(spec: ArkTeamSpec, team: str, role: str) -> str | None:
    """The ArkAgent playing ``role`` (generated or referenced); None for an ``arkTeam`` role."""
    found = spec.role(role)
    if found is None or found.ark_team is not None:
        return None
    return found.ark_agent or inline_agent_name(team, role)


def _env(team: str, role: str, routes: dict[str, str] | None, own: list[Obj]) -> list[Obj]:
    env: list[Obj] = [{"name": "AGENT_TEAM_NAME", "value": team}, {"name": "AGENT_TEAM_ROLE", "value": role}]
    if routes:
        env.append({"name": "AGENT_TEAM_ROUTES", "value": json.dumps(routes, separators=(",", ":"))})
    names = {var["name"] for var in own}
    return [var for var in env if var["name"] not in names] + own


def _body(team: Obj, name: str, role: str, spec: Obj) -> Obj:
    meta = team["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkAgent",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": {TEAM_LABEL: label_value(meta["name"]), ROLE_LABEL: role, MANAGED_BY_LABEL: MANAGED_BY},
            "ownerReferences": [team_owner_reference(team)],
        },
        "spec": spec,
    }


def owned_agents(team: Obj, spec: ArkTeamSpec, *, budget_exceeded: bool = False) -> dict[str, Obj]:
    """Name -> apply body of every ArkAgent the team owns."""
    name = team["metadata"]["name"]
    namespace = team["metadata"]["namespace"]
    raw_roles = {r.get("name"): r for r in (team.get("spec") or {}).get("roles") or ()}
    out: dict[str, Obj] = {}
    for role in spec.roles or ():
        if not role.is_inline:
            continue
        raw = copy.deepcopy(raw_roles.get(role.name) or {})
        agent_spec = {k: v for k, v in raw.items() if k not in TEAM_ONLY_FIELDS}
        routes: dict[str, str] = {}
        for target in role.can_delegate or ():
            agent = role_agent(spec, name, target)
            if agent is not None:
                routes[target] = tasks_stream(namespace, agent)
        agent_spec["replicas"] = 0 if budget_exceeded else (role.replicas if role.replicas is not None else 1)
        agent_spec["env"] = _env(name, role.name, routes, list(agent_spec.get("env") or ()))
        agent_name = inline_agent_name(name, role.name)
        out[agent_name] = _body(team, agent_name, role.name, agent_spec)
    if spec.routing is not None:
        router = router_agent_name(name)
        router_spec: Obj = {
            "model": spec.routing.model,
            "systemPrompt": ROUTER_SYSTEM_PROMPT,
            "replicas": 0 if budget_exceeded else 1,
            "env": _env(name, ROUTER_ROLE, None, []),
        }
        out[router] = _body(team, router, ROUTER_ROLE, router_spec)
    return out


def member_env(
    agent: str, namespace: str, teams: list[tuple[str, ArkTeamSpec]]
) -> tuple[tuple[str, str], ...]:
    """``AGENT_TEAM_*`` of the ArkAgent ``agent`` of ``namespace``, referenced by the roles of
    ``teams`` (``(name, spec)`` pairs of that namespace)."""
    plays: list[tuple[str, str]] = []
    routes: dict[str, str] = {}
    for team, spec in sorted(teams, key=lambda item: item[0]):
        for role in spec.roles or ():
            if role.ark_agent != agent:
                continue
            plays.append((team, role.name))
            for target in role.can_delegate or ():
                target_agent = role_agent(spec, team, target)
                if target_agent is not None:
                    routes.setdefault(target, tasks_stream(namespace, target_agent))
    env: list[tuple[str, str]] = []
    if len(plays) == 1:
        env += [("AGENT_TEAM_NAME", plays[0][0]), ("AGENT_TEAM_ROLE", plays[0][1])]
    if routes:
        env.append(("AGENT_TEAM_ROUTES", json.dumps(routes, separators=(",", ":"))))
    return tuple(env)
