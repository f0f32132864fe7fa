"""Helpers for engine tests: teams from YAML, scripted answers, a synchronous harness with a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ark.api.kinds import parse_object
from ark.api.team import ArkTeam, ArkTeamSpec
from ark.flow.actions import Action, CancelTask, DelegationReply, RunFinished, StepChanged, SubmitTask
from ark.flow.engine import Engine, EngineOptions
from ark.flow.plan import AgentLimits, Capability, RunPlan, build_plan
from ark.flow.state import RunState
from ark_runtime.protocol import Result, Task

Answer = Callable[[Task], "Result | str | None"]


def team_spec(text: str) -> ArkTeamSpec:
    """Parse the ``spec`` of an ArkTeam written as YAML (just the spec's body)."""
    team = parse_object(
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkTeam",
            "metadata": {"name": "t"},
            "spec": yaml.safe_load(text),
        }
    )
    assert isinstance(team, ArkTeam)
    return team.spec


def plan_of(
    text: str,
    *,
    agents: dict[str, AgentLimits] | None = None,
    capabilities: tuple[Capability, ...] = (),
    max_depth: int | None = None,
) -> RunPlan:
    """The plan of team ``t`` with the given spec."""
    return build_plan(
        "t", team_spec(text), agents=agents, capabilities=capabilities, registry_max_depth=max_depth
    )


def ok(task: Task, output: str, tokens: int = 10) -> Result:
    """A successful result for ``task`` (``tokens`` input and ``tokens`` output)."""
    return Result(
        task.id, task.run, task.step, "ok", output=output, input_tokens=tokens, output_tokens=tokens
    )


def error(task: Task, message: str) -> Result:
    """A failed result for ``task``."""
    return Result(task.id, task.run, task.step, "error", error=message)


@dataclass
class Harness:
    """Drives an engine synchronously: every submitted task is answered by ``answer`` (a Result, or
    text for an ok result, or None to leave it running), in submission order."""

    engine: Engine
    state: RunState
    now: float = 1000.0
    submitted: list[SubmitTask] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, str | None]] = field(default_factory=list)
    replies: list[DelegationReply] = field(default_factory=list)
    finished: list[RunFinished] = field(default_factory=list)
    open: list[Task] = field(default_factory=list)

    def record(self, actions: list[Action]) -> list[Task]:
        """Remember what the actions did; return the tasks they submitted."""
        tasks = []
        for action in actions:
            if isinstance(action, SubmitTask):
                self.submitted.append(action)
                tasks.append(action.task)
                self.open.append(action.task)
            elif isinstance(action, CancelTask):
                self.cancelled.append(action.task_id)
                self.open = [t for t in self.open if t.id != action.task_id]
            elif isinstance(action, StepChanged):
                self.changes.append((action.step, action.phase, action.message))
            elif isinstance(action, DelegationReply):
                self.replies.append(action)
            elif isinstance(action, RunFinished):
                self.finished.append(action)
        return tasks

    def start(self) -> list[Task]:
        """Start the run."""
        return self.record(self.engine.start(self.state, self.now))

    def answer(self, task: Task, reply: Result | str, advance: float = 1.0) -> list[Task]:
        """Deliver one result (``advance`` seconds later); return newly submitted tasks."""
        self.now += advance
        self.open = [t for t in self.open if t.id != task.id]
        result = ok(task, reply) if isinstance(reply, str) else reply
        return self.record(self.engine.on_result(self.state, result, self.now))

    def tick(self, at: float) -> list[Task]:
        """Call on_tick at time ``at``."""
        self.now = at
        return self.record(self.engine.on_tick(self.state, self.now))

    def run(self, answer: Answer, limit: int = 500) -> RunState:
        """Start and answer every task with ``answer`` until nothing is open or the run ends."""
        self.start()
        for _ in range(limit):
            if self.state.finished or not self.open:
                break
            task = self.open[0]
            reply = answer(task)
            if reply is None:
                self.open.pop(0)
                continue
            self.answer(task, reply)
        return self.state

    def phases(self) -> dict[str, str]:
        """Step name -> phase."""
        return {name: step.phase for name, step in self.state.steps.items()}

    def prompts(self, step: str) -> list[str]:
        """Prompts of every task submitted for ``step``."""
        return [s.task.prompt for s in self.submitted if s.task.step == step and s.task.kind == "step"]


def harness(
    spec: str,
    inputs: dict[str, str] | None = None,
    *,
    max_parallel: int | None = None,
    grace: float = 5.0,
    uid: str = "r1",
    **plan_args: Any,
) -> Harness:
    """A harness over a fresh run of the team ``spec``."""
    engine = Engine(
        plan_of(spec, **plan_args), EngineOptions(max_parallel=max_parallel, step_grace_seconds=grace)
    )
    return Harness(engine, engine.new_state(uid, inputs or {}))


def echo(task: Task) -> str:
    """Answer every task with a line naming its step."""
    return f"answer of {task.step}"
