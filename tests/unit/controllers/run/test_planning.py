"""A run's plan from its snapshot and the cluster's agents, teams and registry."""

from __future__ import annotations

import pytest

from ark.api import ArkAgentSpec, ArkTeamSpec
from ark.api.registry import ArkRegistryStatus, IndexedCapability, RegistryPolicy
from ark.controllers.run.planning import (
    TEAM_STEP_TIMEOUT_SECONDS,
    Lookups,
    MissingAgent,
    Registry,
    plan_run,
    snapshot_problem,
)
from ark.flow.plan import AgentLimits, PlanError
from tests.unit.flow.support import team_spec

AGENTS = {
    "billing-agent": ArkAgentSpec.model_validate(
        {"model": "m", "systemPrompt": "p", "limits": {"timeoutSeconds": 7, "maxTokensPerCall": 99}},
        by_alias=True,
        by_name=False,
    ),
    "generalist": ArkAgentSpec.model_validate(
        {"model": "m", "systemPrompt": "p"}, by_alias=True, by_name=False
    ),
}
TEAMS = {
    "research": team_spec("entry: a\ntimeoutSeconds: 600\nroles: [{name: a, model: m, systemPrompt: p}]")
}


def _lookups(registry: Registry | None = None) -> Lookups:
    return Lookups(agent=AGENTS.get, team=TEAMS.get, registry=lambda name: registry)


def _snapshot(text: str) -> ArkTeamSpec:
    return team_spec(text)


def test_referenced_agents_and_teams_lend_their_limits() -> None:
    plan = plan_run(
        "t",
        _snapshot(
            """
roles:
  - {name: a, arkAgent: billing-agent}
  - {name: r, arkTeam: research}
  - {name: s, arkTeam: elsewhere}
pipeline: [{role: a}, {role: r}, {role: s}]
"""
        ),
        _lookups(),
    )
    assert plan.roles["a"].limits == AgentLimits(7.0, 99)
    assert plan.roles["r"].limits.timeout_seconds == 600.0
    assert plan.roles["s"].limits.timeout_seconds == TEAM_STEP_TIMEOUT_SECONDS


def test_a_missing_agent_fails_the_plan_naming_it() -> None:
    with pytest.raises(MissingAgent, match='ArkAgent "nobody" \\(role "a"\\) does not exist'):
        plan_run("t", _snapshot("roles: [{name: a, arkAgent: nobody}]\npipeline: [{role: a}]"), _lookups())


def test_a_cycle_is_a_plan_error() -> None:
    snapshot = _snapshot(
        """
roles: [{name: a, model: m, systemPrompt: p}, {name: b, model: m, systemPrompt: p}]
pipeline: [{role: a, dependsOn: [b]}, {role: b, dependsOn: [a]}]
"""
    )
    with pytest.raises(PlanError, match="dependency cycle"):
        plan_run("t", snapshot, _lookups())


def test_routed_runs_use_the_registry_index_and_depth() -> None:
    registry = Registry(
        ArkRegistryStatus(capabilities=[IndexedCapability(agent="generalist", id="general", tags=["x"])]),
        RegistryPolicy(max_depth=2),
    )
    plan = plan_run(
        "help", _snapshot("routing: {registryRef: {name: reg}, model: m, fallback: gone}"), _lookups(registry)
    )
    assert plan.routing is not None
    assert [(c.agent, c.id, c.tags) for c in plan.routing.capabilities] == [("generalist", "general", ("x",))]
    assert plan.max_depth == 2
    assert set(plan.agents) == {"generalist"}
    without = plan_run("help", _snapshot("routing: {registryRef: {name: reg}, model: m}"), _lookups())
    assert without.routing is not None
    assert without.routing.capabilities == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "roles: [{name: a, model: m, systemPrompt: p}]\npipeline: [{role: a}]\nentry: a",
            "spec.teamSpec.entry: entry cannot be combined with pipeline",
        ),
        ("roles: [{name: a, model: m, systemPrompt: p}]", "spec.teamSpec: a team needs one of pipeline"),
        (
            "roles: [{name: a, model: m, systemPrompt: p}]\nentry: b",
            'spec.teamSpec.entry: entry "b" is not a role',
        ),
        (
            "roles: [{name: a, model: m}]\nentry: a",
            "spec.teamSpec.roles[0].systemPrompt: an inline role needs systemPrompt or systemPromptRef",
        ),
    ],
)
def test_a_snapshot_breaking_a_rule_of_the_team_crd_is_named(text: str, problem: str) -> None:
    # The ArkRun CRD does not check its snapshot (D193): these are the ArkTeam CRD's CEL rules.
    found = snapshot_problem("t", _snapshot(text))
    assert found is not None
    assert found.startswith(problem), found


def test_a_snapshot_copied_from_a_valid_team_has_no_problem() -> None:
    snapshot = _snapshot(
        """
roles: [{name: a, model: m, systemPrompt: p}, {name: b, model: m, systemPrompt: p}]
pipeline: [{role: a}, {role: b, dependsOn: [a], inputs: {x: "{{ .steps.a.output }}"}}]
"""
    )
    assert snapshot_problem("t", snapshot) is None
