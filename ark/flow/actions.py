"""What the engine asks its host to do, and what it tells observers, after each transition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ark.flow.state import RunPhase, RunReason, StepPhase
from ark_runtime.protocol import Task


@dataclass(frozen=True)
class SubmitTask:
    """Put ``task`` on ``agent``'s queue. Idempotent: the same task id may be submitted again
    (after a resume) and must run at most once.

    ``team`` is set when the step's role is an ``arkTeam`` reference: the host runs that whole
    team with ``inputs`` (the step's rendered inputs) and answers with its output.
    """

    agent: str
    task: Task
    team: str | None = None
    inputs: Mapping[str, str] | None = None


@dataclass(frozen=True)
class CancelTask:
    """The task's result is no longer wanted (the run ended); stop it if possible."""

    task_id: str
    step: str


@dataclass(frozen=True)
class DelegationReply:
    """The answer to a ``delegate()`` call that is waiting for task ``task_id``."""

    task_id: str
    output: str
    error: str | None = None


@dataclass(frozen=True)
class StepChanged:
    """A step changed phase (or is being retried); for observers and status writers."""

    step: str
    phase: StepPhase
    message: str | None = None


@dataclass(frozen=True)
class RunFinished:
    """The run reached a terminal phase."""

    phase: RunPhase
    reason: RunReason
    message: str | None = None
    failed_step: str | None = None


Action = SubmitTask | CancelTask | DelegationReply | StepChanged | RunFinished
