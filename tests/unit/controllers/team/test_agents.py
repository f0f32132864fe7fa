"""The ArkAgents a team owns: every inline role field copied, team variables, routes, budgets."""

from __future__ import annotations

import json
from typing import Any

import yaml

from ark.api import ArkAgentSpec, ArkTeamSpec
from ark.controllers.team.agents import member_env, owned_agents, role_agent

TEAM_YAML = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: desk, namespace: ops, uid: team-uid}
spec:
  entry: triage
  roles:
    - name: triage
      model: claude-haiku-4-5
      systemPrompt: You triage.
      replicas: 2
      canDelegate: [tech, billing]
      limits: {maxTokensPerCall: 1000, timeoutSeconds: 30, maxConcurrentTasks: 2}
      envFrom: [{secretRef: {name: keys}}]
      env: [{name: AGENT_TEAM_ROLE, value: custom}, {name: EXTRA, value: "1"}]
      capabilities: [{id: triage, tags: [a]}]
      livenessProbe: {type: ping}
      configRef: {name: settings}
      mcpServers: [{name: kb, url: "http://kb:8099"}]
      tools: [{name: t, url: "http://t"}]
      resources: {limits: {memory: 1Gi}}
    - name: tech
      model: m
      systemPrompt: You fix things.
    - name: billing
      arkAgent: billing-agent
"""


def _team(text: str = TEAM_YAML) -> tuple[dict[str, Any], ArkTeamSpec]:
    team = yaml.safe_load(text)
    return team, ArkTeamSpec.model_validate(team["spec"], by_alias=True, by_name=False)


def test_inline_roles_become_owned_agents_with_every_field_copied() -> None:
    team, spec = _team()
    bodies = owned_agents(team, spec)
    assert sorted(bodies) == ["desk-tech", "desk-triage"]
    triage = bodies["desk-triage"]
    assert triage["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkTeam",
            "name": "desk",
            "uid": "team-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert triage["metadata"]["labels"] == {
        "arkonis.dev/team": "desk",
        "arkonis.dev/role": "triage",
        "app.kubernetes.io/managed-by": "ark",
    }
    role = team["spec"]["roles"][0]
    for field in (
        "model",
        "systemPrompt",
        "limits",
        "envFrom",
        "capabilities",
        "livenessProbe",
        "configRef",
        "mcpServers",
        "tools",
        "resources",
        "replicas",
    ):
        assert triage["spec"][field] == role[field]
    assert "canDelegate" not in triage["spec"]
    assert "name" not in triage["spec"]
    ArkAgentSpec.model_validate(triage["spec"], by_alias=True, by_name=False)


def test_team_variables_and_routes_come_first_and_the_role_env_wins() -> None:
    team, spec = _team()
    env = owned_agents(team, spec)["desk-triage"]["spec"]["env"]
    assert env[0] == {"name": "AGENT_TEAM_NAME", "value": "desk"}
    routes = next(v for v in env if v["name"] == "AGENT_TEAM_ROUTES")
    assert list(json.loads(routes["value"]).items()) == [
        ("tech", "ark:tasks:ops:desk-tech"),
        ("billing", "ark:tasks:ops:billing-agent"),
    ]
    assert [v for v in env if v["name"] == "AGENT_TEAM_ROLE"] == [
        {"name": "AGENT_TEAM_ROLE", "value": "custom"}
    ]
    assert env[-1] == {"name": "EXTRA", "value": "1"}
    tech_env = owned_agents(team, spec)["desk-tech"]["spec"]["env"]
    assert [v["name"] for v in tech_env] == ["AGENT_TEAM_NAME", "AGENT_TEAM_ROLE"]


def test_replicas_default_to_one_and_drop_to_zero_while_the_budget_is_used_up() -> None:
    team, spec = _team()
    assert owned_agents(team, spec)["desk-tech"]["spec"]["replicas"] == 1
    spent = owned_agents(team, spec, budget_exceeded=True)
    assert {name: body["spec"]["replicas"] for name, body in spent.items()} == {
        "desk-triage": 0,
        "desk-tech": 0,
    }


def test_a_routed_team_owns_its_router() -> None:
    team, spec = _team(
        """
metadata: {name: help, namespace: ops, uid: u}
spec:
  routing: {registryRef: {name: reg}, model: small-model, fallback: generalist}
"""
    )
    ((name, body),) = owned_agents(team, spec).items()
    assert name == "help-router"
    assert body["spec"]["model"] == "small-model"
    assert "JSON only" in body["spec"]["systemPrompt"]
    assert body["spec"]["env"] == [
        {"name": "AGENT_TEAM_NAME", "value": "help"},
        {"name": "AGENT_TEAM_ROLE", "value": "router"},
    ]


def test_the_agent_playing_a_role() -> None:
    _, spec = _team()
    assert (role_agent(spec, "desk", "tech"), role_agent(spec, "desk", "billing")) == (
        "desk-tech",
        "billing-agent",
    )
    assert role_agent(spec, "desk", "nobody") is None


def test_an_agent_teams_reference_gets_their_routes_and_its_role_when_it_has_one() -> None:
    _, desk = _team()
    _, other = _team(
        """
metadata: {name: alpha, namespace: ops, uid: u2}
spec:
  entry: lead
  roles:
    - {name: lead, arkAgent: billing-agent, canDelegate: [helper, tech]}
    - {name: helper, model: m, systemPrompt: p}
    - {name: tech, arkAgent: tech-agent}
"""
    )
    assert member_env("billing-agent", "ops", [("desk", desk)]) == (
        ("AGENT_TEAM_NAME", "desk"),
        ("AGENT_TEAM_ROLE", "billing"),
    )
    both = dict(member_env("billing-agent", "ops", [("desk", desk), ("alpha", other)]))
    assert "AGENT_TEAM_ROLE" not in both
    assert json.loads(both["AGENT_TEAM_ROUTES"]) == {
        "helper": "ark:tasks:ops:alpha-helper",
        "tech": "ark:tasks:ops:tech-agent",
    }
    assert member_env("nobody", "ops", [("desk", desk)]) == ()
