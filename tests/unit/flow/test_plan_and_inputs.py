"""Plans refuse what cannot run before anything starts; inputs resolve as §3.3 and §18 #10 say."""

from __future__ import annotations

import pytest

from ark.flow.inputs import InputError, resolve_inputs, stringify_inputs
from ark.flow.plan import AgentLimits, PlanError, build_plan
from tests.unit.flow.support import plan_of, team_spec


def _pipeline(*steps: str) -> str:
    names = sorted({part.split(",")[0].split(":")[1].strip() for part in steps})
    roles = "".join(f"  - {{name: {n}, model: m, systemPrompt: p}}\n" for n in names)
    return "roles:\n" + roles + "pipeline:\n" + "".join(f"  - {{{s}}}\n" for s in steps)


def test_a_cycle_is_refused_before_start_naming_it() -> None:
    spec = _pipeline(
        "role: a, dependsOn: [c]", "role: b, dependsOn: [a]", "role: c, dependsOn: [b]", "role: d"
    )
    with pytest.raises(PlanError, match=r"^dependency cycle: a -> b -> c -> a$"):
        plan_of(spec)


def test_a_self_dependency_is_a_cycle() -> None:
    with pytest.raises(PlanError, match=r"^dependency cycle: a -> a$"):
        plan_of(_pipeline("role: a, dependsOn: [a]"))


def test_unknown_dependencies_and_roles_are_refused() -> None:
    with pytest.raises(PlanError, match='step "a" depends on unknown step "zz"'):
        plan_of(_pipeline("role: a, dependsOn: [zz]"))
    spec = "roles:\n  - {name: a, model: m, systemPrompt: p}\npipeline:\n  - {role: b}\n"
    with pytest.raises(PlanError, match='step "b" names unknown role "b"'):
        plan_of(spec)


def test_levels_are_longest_paths_and_sinks_are_the_last_steps() -> None:
    plan = plan_of(
        _pipeline(
            "role: d, dependsOn: [b, c]",
            "role: b, dependsOn: [a]",
            "role: a",
            "role: c, dependsOn: [a]",
            "role: e",
        )
    )
    assert plan.levels() == [["a", "e"], ["b", "c"], ["d"]]
    assert plan.sinks() == ["d", "e"]
    assert plan.dependents["a"] == ("b", "c")


def test_roles_map_to_agents_and_their_limits() -> None:
    spec = team_spec(
        """
roles:
  - name: inline
    model: m
    systemPrompt: p
    limits: {timeoutSeconds: 30, maxTokensPerCall: 100}
    canDelegate: [ref]
  - {name: ref, arkAgent: shared}
  - {name: sub, arkTeam: other}
pipeline:
  - {role: inline}
  - {role: ref}
  - {role: sub}
"""
    )
    plan = build_plan("team", spec, agents={"shared": AgentLimits(7, 9)})
    assert plan.mode == "Mixed"
    assert plan.roles["inline"].agent == "team-inline"
    assert plan.roles["inline"].limits == AgentLimits(30, 100)
    assert plan.roles["inline"].can_delegate == ("ref",)
    assert plan.roles["ref"].limits == AgentLimits(7, 9)
    assert (plan.roles["sub"].team, plan.roles["sub"].agent) == ("other", "other")


def test_step_inputs_are_kept_sorted_by_key() -> None:
    plan = plan_of(
        "roles: [{name: a, model: m, systemPrompt: p}]\n"
        "pipeline:\n  - {role: a, inputs: {zeta: z, alpha: a, mid: m}}\n"
    )
    assert plan.steps[0].inputs == (("alpha", "a"), ("mid", "m"), ("zeta", "z"))


def test_registry_depth_applies_else_five() -> None:
    spec = "entry: a\nroles: [{name: a, model: m, systemPrompt: p}]\n"
    assert plan_of(spec).max_depth == 5
    assert plan_of(spec, max_depth=2).max_depth == 2


def test_run_limits_come_from_the_spec() -> None:
    plan = plan_of(
        "timeoutSeconds: 9\nmaxTokens: 50\nentry: a\nroles: [{name: a, model: m, systemPrompt: p}]\n"
    )
    assert (plan.mode, plan.timeout_seconds, plan.max_tokens, plan.entry) == ("Dynamic", 9.0, 50, "a")


INPUTS = team_spec(
    """
inputs:
  - {name: dish, required: true}
  - {name: diet, default: none}
  - {name: servings, type: integer, default: "2"}
  - {name: options, type: object}
input: {diet: vegan, legacy: yes-please}
entry: a
roles: [{name: a, model: m, systemPrompt: p}]
"""
)


def test_defaults_then_legacy_input_then_the_trigger() -> None:
    resolved = resolve_inputs(INPUTS, {"dish": "soup"})
    assert resolved.values == {"dish": "soup", "diet": "vegan", "servings": "2", "legacy": "yes-please"}
    assert resolved.warnings == []
    assert resolve_inputs(INPUTS, {"dish": "soup", "diet": "keto"}).values["diet"] == "keto"


def test_a_missing_required_input_is_refused_naming_it() -> None:
    with pytest.raises(InputError, match=r'^missing required input "dish": pass --input dish=\.\.\.$'):
        resolve_inputs(INPUTS, {})


def test_undeclared_keys_pass_through_with_a_warning_when_inputs_are_declared() -> None:
    resolved = resolve_inputs(INPUTS, {"dish": "soup", "colour": "red"})
    assert resolved.values["colour"] == "red"
    assert resolved.warnings == [
        'input "colour" is not declared by the team '
        "(declared: diet, dish, legacy, options, servings); passed through"
    ]
    free_form = team_spec("entry: a\nroles: [{name: a, model: m, systemPrompt: p}]\n")
    assert resolve_inputs(free_form, {"task": "x"}).warnings == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"servings": "two"}, "input \"servings\": 'two' is not an integer"),
        ({"options": "[1]"}, "input \"options\": '[1]' is not a JSON object"),
    ],
)
def test_values_must_read_as_their_declared_type(given: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match="^" + message.replace("[", r"\[").replace("]", r"\]") + "$"):
        resolve_inputs(INPUTS, {"dish": "soup", **given})


def test_json_inputs_become_strings() -> None:
    assert stringify_inputs(
        {"a": "x", "n": 3, "f": 2.5, "b": True, "z": None, "o": {"k": [1]}, "l": [1, "2"]}
    ) == {
        "a": "x",
        "n": "3",
        "f": "2.5",
        "b": "true",
        "z": "",
        "o": '{"k":[1]}',
        "l": '[1,"2"]',
    }
