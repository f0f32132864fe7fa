"""``ark retry``: which steps of an earlier run are reused, and seeding the new run with them. Pure.

Interface::

    names = reusable_steps(plan, previous_status, from_step=None)   # for spec.retryOf.reuse
    seed(state, previous_state, names, "blog-x4kpz")                 # before engine.start(state)

A retry runs the earlier run's snapshot and input again. In a pipeline, the steps that
Succeeded are reused (their outputs become the new run's, without calling a model) and the
others run; with ``from_step``, that step and everything that depends on it run again too.
Dynamic and routed runs have no steps that could stand alone: they run again entirely.
"""

from __future__ import annotations

from collections.abc import Sequence

from ark.api.run import ArkRunStatus
from ark.flow.plan import RunPlan
from ark.flow.state import RunState


class RetryError(ValueError):
    """The retry cannot be built as asked; the message names the step or run."""


def _dependents(plan: RunPlan, name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for child in plan.dependents.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def reusable_steps(plan: RunPlan, previous: ArkRunStatus, from_step: str | None = None) -> list[str]:
    """Pipeline steps of ``previous`` whose outputs the retry keeps, in pipeline order."""
    if from_step is not None and plan.step(from_step) is None:
        names = ", ".join(step.name for step in plan.steps) or "none: it is not a pipeline"
        raise RetryError(f"--step {from_step}: the team has no pipeline step of that name (steps: {names})")
    if not plan.steps:
        return []
    again = {from_step, *_dependents(plan, from_step)} if from_step is not None else set()
    succeeded = {s.name for s in previous.steps or () if s.phase == "Succeeded"}
    return [s.name for s in plan.steps if s.name in succeeded and s.name not in again]


def seed(state: RunState, previous: RunState, reuse: Sequence[str], previous_name: str) -> None:
    """Mark ``reuse`` Succeeded in the Pending ``state`` with ``previous``'s outputs.

    Reused steps carry no tokens (nothing was spent on them in this run).
    """
    if state.phase != "Pending":
        raise RetryError("only a run that has not started can be seeded")
    for name in reuse:
        step = state.steps.get(name)
        before = previous.steps.get(name)
        if step is None or before is None or before.phase != "Succeeded":
            raise RetryError(f'step "{name}" did not succeed in run {previous_name}, so it cannot be reused')
        step.phase = "Succeeded"
        step.output = before.output
        step.output_json = before.output_json
        step.iterations = before.iterations
        step.start_time = before.start_time
        step.completion_time = before.completion_time
        step.message = f"reused from run {previous_name}"
