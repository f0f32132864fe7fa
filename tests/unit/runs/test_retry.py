"""Retries: which steps are reused, and a new run seeded with their outputs."""

from __future__ import annotations

import pytest

from ark.api.run import ArkRunStatus, StepStatus
from ark.flow.engine import Engine
from ark.runs.retry import RetryError, reusable_steps, seed
from tests.unit.flow.support import plan_of

PIPELINE = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
  - {name: d, model: m, systemPrompt: p}
pipeline:
  - {role: a}
  - {role: b, dependsOn: [a]}
  - {role: c, dependsOn: [b]}
  - {role: d, dependsOn: [a]}
"""
DYNAMIC = """
entry: a
roles:
  - {name: a, model: m, systemPrompt: p}
"""


def _previous(**phases: str) -> ArkRunStatus:
    return ArkRunStatus(steps=[StepStatus(name=n, phase=p, output=f"out-{n}") for n, p in phases.items()])  # type: ignore[arg-type]


def test_succeeded_steps_are_reused_and_the_failed_one_runs_again() -> None:
    previous = _previous(a="Succeeded", b="Failed", c="Failed", d="Succeeded")
    assert reusable_steps(plan_of(PIPELINE), previous) == ["a", "d"]


def test_from_a_step_that_step_and_its_dependents_run_again() -> None:
    previous = _previous(a="Succeeded", b="Succeeded", c="Succeeded", d="Succeeded")
    assert reusable_steps(plan_of(PIPELINE), previous, "b") == ["a", "d"]
    assert reusable_steps(plan_of(PIPELINE), previous, "a") == []


def test_an_unknown_step_is_refused_naming_the_steps() -> None:
    with pytest.raises(RetryError, match=r"--step z: .* \(steps: a, b, c, d\)"):
        reusable_steps(plan_of(PIPELINE), _previous(a="Succeeded"), "z")
    assert reusable_steps(plan_of(DYNAMIC), _previous(a="Succeeded")) == []


def test_a_seeded_run_starts_after_the_reused_steps() -> None:
    plan = plan_of(PIPELINE)
    engine = Engine(plan)
    before = engine.new_state("old", {})
    for name in ("a", "d"):
        before.steps[name].phase = "Succeeded"
        before.steps[name].output = f"out-{name}"
    state = engine.new_state("new", {})
    seed(state, before, ["a", "d"], "t-old")
    actions = engine.start(state, 0.0)
    submitted = [a.task.step for a in actions if hasattr(a, "task")]
    assert submitted == ["b"]
    assert state.steps["a"].message == "reused from run t-old"
    assert (state.steps["a"].output, state.steps["a"].total_tokens) == ("out-a", 0)


def test_a_step_that_did_not_succeed_cannot_be_reused() -> None:
    engine = Engine(plan_of(PIPELINE))
    with pytest.raises(RetryError, match='step "b" did not succeed in run old'):
        seed(engine.new_state("n", {}), engine.new_state("o", {}), ["b"], "old")
