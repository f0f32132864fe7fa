"""The serialisable state of one run: what the engine knows, and nothing it could recompute.

Everything is plain data (strings, numbers, lists, dicts), so :meth:`RunState.to_dict` /
:meth:`RunState.from_dict` round-trip through JSON exactly. Times are epoch seconds (floats)
from the caller's clock; the engine never reads a clock itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

StepPhase = Literal["Pending", "Running", "Succeeded", "Failed", "Skipped"]
RunPhase = Literal["Pending", "Running", "Succeeded", "Failed"]
StepKind = Literal["step", "route", "delegate"]
RunReason = Literal[
    "Validated", "Succeeded", "StepFailed", "TimedOut", "BudgetExceeded", "Cancelled", "OutputError"
]
"""Why a run is in its phase (the ``Ready`` condition's reason): ``Validated`` while it runs."""

DONE_PHASES: frozenset[str] = frozenset({"Succeeded", "Failed", "Skipped"})
SATISFIED_PHASES: frozenset[str] = frozenset({"Succeeded", "Skipped"})
TERMINAL_RUN_PHASES: frozenset[str] = frozenset({"Succeeded", "Failed"})


@dataclass
class StepState:
    """One step of a run: a pipeline step, the entry task, a delegation hop, or the routing decision.

    ``attempt`` counts every task submitted for the step (across loop iterations), so
    ``task_id(run, step, attempt)`` never repeats; the retry counters restart with each
    iteration. While a ``validate.semantic`` judge is working, ``judging`` is true, ``task_id``
    is the judge's and ``output`` holds the answer being judged. ``retry_reason`` is why the
    current attempt is a retry; it is appended to the prompt.
    """

    name: str
    role: str
    agent: str
    kind: StepKind = "step"
    parent: str | None = None
    phase: StepPhase = "Pending"
    task_id: str | None = None
    attempt: int = 0
    iterations: int = 0
    schema_retries: int = 0
    validation_retries: int = 0
    judging: bool = False
    retry_reason: str | None = None
    output: str | None = None
    output_json: str | None = None
    message: str | None = None
    start_time: float | None = None
    completion_time: float | None = None
    submitted_at: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    resolved_agent: str | None = None
    selected_capability: str | None = None
    routing_reason: str | None = None
    delegation_id: str | None = None
    """Delegation hops: the id the delegating agent gave the call; the same call again finds this hop."""
    truncated: bool = False
    """The last answer was cut off at the token limit (the task's result said so)."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens of every call the step made."""
        return self.input_tokens + self.output_tokens

    @property
    def done(self) -> bool:
        """Succeeded, Failed or Skipped."""
        return self.phase in DONE_PHASES

    @property
    def retries(self) -> int:
        """Retries in the current iteration (outputSchema and validate)."""
        return self.schema_retries + self.validation_retries

    def data(self) -> Any:
        """The parsed JSON of the output (``.steps.<name>.data``), or None."""
        return json.loads(self.output_json) if self.output_json is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, omitting fields at their defaults."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepState:
        """The inverse of :meth:`to_dict`; unknown keys are errors."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown step state fields: {', '.join(sorted(unknown))}")
        step = cls(**data)
        if step.phase not in get_args(StepPhase):
            raise ValueError(f"step {step.name!r}: unknown phase {step.phase!r}")
        return step


@dataclass
class RunState:
    """One run: its input, its steps (in creation order) and its outcome."""

    run_uid: str
    team: str
    mode: str
    inputs: dict[str, str] = field(default_factory=dict)
    phase: RunPhase = "Pending"
    reason: RunReason | None = None
    message: str | None = None
    failed_step: str | None = None
    output: str | None = None
    start_time: float | None = None
    completion_time: float | None = None
    steps: dict[str, StepState] = field(default_factory=dict)
    scheduling: Any = field(default=None, repr=False, compare=False)
    """The engine's index of the run (:class:`ark.flow.index.RunIndex`); derived, never serialised."""

    @property
    def finished(self) -> bool:
        """Succeeded or Failed: terminal phases never change."""
        return self.phase in TERMINAL_RUN_PHASES

    @property
    def input_tokens(self) -> int:
        """Input tokens over every step."""
        return sum(step.input_tokens for step in self.steps.values())

    @property
    def output_tokens(self) -> int:
        """Output tokens over every step."""
        return sum(step.output_tokens for step in self.steps.values())

    @property
    def total_tokens(self) -> int:
        """All tokens of the run."""
        return self.input_tokens + self.output_tokens

    def running(self) -> list[StepState]:
        """Steps with a task in flight."""
        return [step for step in self.steps.values() if step.phase == "Running"]

    def step_for_task(self, task_id: str) -> StepState | None:
        """The step whose in-flight task has this id."""
        for step in self.steps.values():
            if step.task_id == task_id and step.phase == "Running":
                return step
        return None

    def duration(self, now: float | None = None) -> float | None:
        """Seconds from start to completion (or to ``now`` while running)."""
        if self.start_time is None:
            return None
        end = self.completion_time if self.completion_time is not None else now
        return None if end is None else max(0.0, end - self.start_time)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        out: dict[str, Any] = {
            "run_uid": self.run_uid,
            "team": self.team,
            "mode": self.mode,
            "inputs": dict(self.inputs),
            "phase": self.phase,
        }
        for name in ("reason", "message", "failed_step", "output", "start_time", "completion_time"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["steps"] = [step.to_dict() for step in self.steps.values()]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        """The inverse of :meth:`to_dict`."""
        body = dict(data)
        steps = [StepState.from_dict(item) for item in body.pop("steps", [])]
        state = cls(**body)
        if state.phase not in get_args(RunPhase):
            raise ValueError(f"unknown run phase {state.phase!r}")
        state.steps = {step.name: step for step in steps}
        return state

    def to_json(self) -> str:
        """Compact JSON."""
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunState:
        """Parse :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))
