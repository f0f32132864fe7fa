"""The cluster watch view: transitions between persisted statuses read as ``ark run --watch``'s lines.

Each scenario drives the real engine; after every engine call, ``ark run``'s LineWatch gets the
engine's actions, while the cluster view gets only the status the operator would persist
(``to_status``, through its wire form). Both must print the same lines.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import yaml

from ark.cli.run_follow import RunView, transitions
from ark.cli.run_state import run_plan, run_state
from ark.cli.run_view import LineWatch
from ark.flow.actions import Action, RunFinished, StepChanged, SubmitTask
from ark.flow.engine import Engine, EngineOptions
from ark.flow.state import RunState
from ark.flow.status import to_status
from ark_runtime.protocol import Result, Task
from tests.unit.flow.support import error, ok

Obj = dict[str, Any]
Reply = Callable[[Task], Result]

PIPELINE = """
inputs: [{name: dish, required: true}]
roles:
  - {name: chef, model: m, systemPrompt: p}
  - {name: critic, model: m, systemPrompt: p}
  - {name: skipper, model: m, systemPrompt: p}
  - {name: writer, model: m, systemPrompt: p}
pipeline:
  - role: chef
    inputs: {dish: "{{ .input.dish }}"}
    outputSchema: '{"type": "object", "required": ["steps"]}'
  - role: critic
    dependsOn: [chef]
    validate: {semantic: "good?", onFailure: retry, maxRetries: 1}
  - role: skipper
    dependsOn: [chef]
    if: "{{ .input.never }}"
  - role: writer
    dependsOn: [critic]
    inputs: {previous: "{{ .steps.writer.output }}"}
    loop: {condition: '{{ not (contains "DONE" .steps.writer.output) }}', maxIterations: 3}
"""
DYNAMIC = """
entry: triage
roles:
  - {name: triage, model: m, systemPrompt: p, canDelegate: [tech]}
  - {name: tech, model: m, systemPrompt: p, canDelegate: [docs]}
  - {name: docs, model: m, systemPrompt: p}
"""


def run_object(spec: str, state: RunState | None, inputs: dict[str, str]) -> Obj:
    """An ArkRun as the API server returns it, with ``state`` persisted as the operator does."""
    obj: Obj = {
        "metadata": {"name": "t-abcde", "namespace": "ns", "uid": "r1"},
        "spec": {"teamRef": {"name": "t"}, "input": inputs, "teamSpec": yaml.safe_load(spec)},
    }
    if state is not None:
        obj["status"] = to_status(state).model_dump(mode="json", by_alias=True, exclude_none=True)
    return obj


class Both:
    """One engine run observed twice: by ``ark run``'s LineWatch and through persisted statuses."""

    def __init__(self, spec: str, inputs: dict[str, str]) -> None:
        self.spec, self.inputs = spec, inputs
        self.plan = run_plan(run_object(spec, None, inputs))
        self.engine = Engine(self.plan, EngineOptions(step_grace_seconds=5))
        self.state = self.engine.new_state("r1", inputs)
        self.local, self.cluster = io.StringIO(), io.StringIO()
        self.line = LineWatch(self.local)
        self.view = RunView(self.cluster)
        self.open: list[Task] = []
        self.now = 1000.0
        self.apply([])  # the first status seen: everything Pending

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            self.line.observe(self.state, action)
            if isinstance(action, SubmitTask):
                self.open.append(action.task)
        self.view.update(run_state(run_object(self.spec, self.state, self.inputs), self.plan), self.plan)

    def run(self, reply: Reply) -> None:
        self.apply(self.engine.start(self.state, self.now))
        while self.open and not self.state.finished:
            task = self.open.pop(0)
            self.now += 1.5
            self.apply(self.engine.on_result(self.state, reply(task), self.now))


def answers(task: Task) -> Result:
    if task.kind == "judge":
        return ok(task, "pass" if task.attempt > 1 else "fail: too short")
    if task.step == "chef":
        return ok(task, "no json" if task.attempt == 1 else '{"steps": ["boil", "serve"]}')
    if task.step == "writer":
        return ok(task, f"draft {task.attempt}" + (" DONE" if task.attempt == 2 else ""))
    return ok(task, f"answer of {task.step} #{task.attempt}")


def test_a_pipeline_with_retries_judge_skip_and_loop_reads_the_same() -> None:
    both = Both(PIPELINE, {"dish": "soup"})
    both.run(answers)
    assert both.state.phase == "Succeeded"
    lines = both.cluster.getvalue().splitlines()
    assert lines == both.local.getvalue().splitlines()
    assert lines == [
        "chef [running]",
        "chef [retry] output does not match outputSchema: the output is not JSON",
        "chef [retry] attempt 2",
        "chef [done] 40 tokens 3.00s",
        '  └─ {"steps": ["boil", "serve"]}',
        "critic [running]",
        "skipper [skipped] skipped: if condition evaluated to false",
        "critic [judging]",
        "critic [retry] validate.semantic: too short",
        "critic [retry] attempt 2",
        "critic [judging] attempt 2",
        "critic [done] 80 tokens 6.00s",
        "  └─ answer of critic #2",
        "writer [running]",
        "writer [loop] iteration 2 of at most 3",
        "writer [running] attempt 2",
        "writer [done] 40 tokens 3.00s",
        "  └─ draft 2 DONE",
    ]


def test_a_failing_step_reads_the_same() -> None:
    both = Both(PIPELINE, {"dish": "soup"})
    both.run(lambda task: error(task, "model down") if task.step == "chef" else ok(task, "x"))
    assert both.state.phase == "Failed"
    assert both.cluster.getvalue() == both.local.getvalue() == "chef [running]\nchef [failed] model down\n"


def test_delegation_hops_read_the_same_indented_under_their_parent() -> None:
    both = Both(DYNAMIC, {"task": "fix it"})
    both.apply(both.engine.start(both.state, both.now))
    entry = both.open[0]
    hop, actions = both.engine.delegate(both.state, entry.id, "tech", "look", both.now + 1)
    both.apply(actions)
    inner, actions = both.engine.delegate(both.state, hop, "docs", "find docs", both.now + 2)
    both.apply(actions)
    for task_id, output, at in ((inner, "the docs", 3), (hop, "tech says", 4), (entry.id, "all fixed", 5)):
        task = next(t for t in both.open if t.id == task_id)
        both.open.remove(task)
        both.apply(both.engine.on_result(both.state, ok(task, output), both.now + at))
    assert both.state.phase == "Succeeded"
    lines = both.cluster.getvalue().splitlines()
    assert lines == both.local.getvalue().splitlines()
    assert lines == [
        "triage [running]",
        "  triage/tech [running]",
        "    triage/tech/docs [running]",
        "    triage/tech/docs [done] 20 tokens 1.00s",
        "      └─ the docs",
        "  triage/tech [done] 20 tokens 3.00s",
        "    └─ tech says",
        "triage [done] 20 tokens 5.00s",
        "  └─ all fixed",
    ]


def _state(spec: str, status: Obj | None) -> RunState:
    obj = run_object(spec, None, {"dish": "soup"})
    if status is not None:
        obj["status"] = status
    return run_state(obj, run_plan(obj))


def test_a_late_look_at_a_finished_run_shows_every_step_ran_and_the_end() -> None:
    done = _state(
        PIPELINE,
        {
            "phase": "Failed",
            "failedStep": "critic",
            "message": "bad",
            "startTime": "2025-01-01T00:00:00Z",
            "steps": [
                {"name": "chef", "phase": "Succeeded", "attempt": 1, "startTime": "2025-01-01T00:00:00Z"},
                {
                    "name": "critic",
                    "phase": "Failed",
                    "attempt": 1,
                    "message": "bad",
                    "startTime": "2025-01-01T00:00:01Z",
                },
                {"name": "skipper", "phase": "Skipped", "message": "skipped: no"},
                {"name": "writer", "phase": "Pending"},
            ],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "StepFailed",
                    "lastTransitionTime": "2025-01-01T00:00:02Z",
                    "message": "bad",
                }
            ],
        },
    )
    plan = run_plan(run_object(PIPELINE, None, {}))
    assert transitions(None, done, plan) == [
        StepChanged("chef", "Running"),
        StepChanged("chef", "Succeeded", None),
        StepChanged("critic", "Running"),
        StepChanged("critic", "Failed", "bad"),
        StepChanged("skipper", "Skipped", "skipped: no"),
        RunFinished("Failed", "StepFailed", "bad", "critic"),
    ]
    assert transitions(done, done, plan) == []


def test_a_pending_run_shows_nothing_and_a_run_without_conditions_still_finishes() -> None:
    plan = run_plan(run_object(PIPELINE, None, {}))
    pending = _state(PIPELINE, None)
    assert list(pending.steps) == ["chef", "critic", "skipper", "writer"]
    assert transitions(None, pending, plan) == []
    finished = _state(PIPELINE, {"phase": "Succeeded", "steps": []})
    assert transitions(pending, finished, plan) == [RunFinished("Succeeded", "Succeeded", None, None)]
