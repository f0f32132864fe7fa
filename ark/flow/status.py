"""RunState <-> ``ArkRun.status``: what the controller persists after every transition.

:func:`to_status` writes every field the engine needs; :func:`from_status` rebuilds the state
from it and the plan. The round trip is exact except for ``submitted_at`` (when the in-flight
task was sent), which is not in the API: :meth:`~ark.flow.engine.Engine.resume` restarts those
deadlines at the resume time. What is derived rather than stored:

* a step's ``kind``: ``route`` for the routing step, ``delegate`` when it has a ``parent``;
* its ``agent``: from the plan's roles, else (a routed run's dispatched step) its name;
* ``judging``: the in-flight ``taskID`` is the judge's (``{run}.{step}.judge.{attempt}``);
* ``retry_reason``: a Pending or Running step's ``message`` ``retrying: <reason>``;
* the run's ``reason``: the ``Ready`` condition's reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ark.api.meta import Condition
from ark.api.run import ArkRunStatus, StepStatus
from ark.api.shared import TokenUsage
from ark.flow.engine import JUDGE_SUFFIX, RETRY_PREFIX
from ark.flow.plan import ROUTE_STEP, RunPlan
from ark.flow.state import RunReason, RunState, StepKind, StepState
from ark_runtime.protocol import task_id

_REASON_MESSAGES = {
    "Validated": "the run is in progress",
    "Succeeded": "the run succeeded",
}


def _time(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _usage(input_tokens: int, output_tokens: int) -> TokenUsage:
    return TokenUsage(
        input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=input_tokens + output_tokens
    )


def step_status(step: StepState) -> StepStatus:
    """One step as ``status.steps[]``."""
    values: dict[str, Any] = {
        "name": step.name,
        "phase": step.phase,
        "task_id": step.task_id,
        "attempt": step.attempt or None,
        "iterations": step.iterations or None,
        "schema_retries": step.schema_retries or None,
        "validation_retries": step.validation_retries or None,
        "output": step.output,
        "output_json": step.output_json,
        "message": step.message,
        "start_time": _time(step.start_time),
        "completion_time": _time(step.completion_time),
        "token_usage": _usage(step.input_tokens, step.output_tokens) if step.total_tokens else None,
        "resolved_agent": step.resolved_agent,
        "selected_capability": step.selected_capability,
        "routing_reason": step.routing_reason,
        "delegation_id": step.delegation_id,
    }
    if step.role != step.name:
        values["role"] = step.role
    if step.parent is not None:
        values["parent"] = step.parent
    return StepStatus(**values)


def to_status(state: RunState) -> ArkRunStatus:
    """The ``status`` of the ArkRun whose state this is."""
    conditions: list[Condition] = []
    if state.reason is not None:
        when = state.completion_time if state.finished else state.start_time
        conditions.append(
            Condition(
                type="Ready",
                status="False" if state.phase == "Failed" else "True",
                last_transition_time=_time(when) or datetime.fromtimestamp(0, UTC),
                reason=state.reason,
                message=state.message or _REASON_MESSAGES.get(state.reason, state.reason),
            )
        )
    return ArkRunStatus(
        phase=state.phase,
        start_time=_time(state.start_time),
        completion_time=_time(state.completion_time),
        duration_seconds=round(state.duration() or 0.0, 3) if state.finished else None,
        output=state.output,
        steps=[step_status(step) for step in state.steps.values()],
        total_token_usage=_usage(state.input_tokens, state.output_tokens),
        failed_step=state.failed_step,
        message=state.message,
        conditions=conditions or None,
    )


def from_status(status: ArkRunStatus, plan: RunPlan, *, run_uid: str, inputs: dict[str, str]) -> RunState:
    """Rebuild the state of a run from its persisted ``status`` and its plan."""
    ready = next((c for c in status.conditions or () if c.type == "Ready"), None)
    reason: RunReason | None = ready.reason if ready is not None else None  # type: ignore[assignment]
    state = RunState(
        run_uid=run_uid,
        team=plan.team,
        mode=plan.mode,
        inputs=dict(inputs),
        phase=status.phase or "Pending",
        reason=reason,
        message=status.message,
        failed_step=status.failed_step,
        output=status.output,
        start_time=_epoch(status.start_time),
        completion_time=_epoch(status.completion_time),
    )
    for item in status.steps or ():
        step = _step_from_status(item, plan, run_uid)
        state.steps[step.name] = step
    return state


def _step_from_status(item: StepStatus, plan: RunPlan, run_uid: str) -> StepState:
    role = item.role or item.name
    kind: StepKind = "route" if item.name == ROUTE_STEP and plan.routing is not None else "step"
    if item.parent is not None:
        kind = "delegate"
    if kind == "route":
        assert plan.routing is not None
        agent = plan.routing.router_agent
    elif role in plan.roles:
        agent = plan.roles[role].agent
    else:
        agent = role
    attempt = item.attempt or 0
    judging = (
        item.phase == "Running"
        and item.task_id is not None
        and item.task_id == task_id(run_uid, item.name + JUDGE_SUFFIX, attempt)
    )
    retry_reason = None
    if item.phase in ("Pending", "Running") and item.message and item.message.startswith(RETRY_PREFIX):
        retry_reason = item.message[len(RETRY_PREFIX) :]
    usage = item.token_usage
    return StepState(
        name=item.name,
        role=role,
        agent=agent,
        kind=kind,
        parent=item.parent,
        phase=item.phase,
        task_id=item.task_id,
        attempt=attempt,
        iterations=item.iterations or 0,
        schema_retries=item.schema_retries or 0,
        validation_retries=item.validation_retries or 0,
        judging=judging,
        retry_reason=retry_reason,
        output=item.output,
        output_json=item.output_json,
        message=item.message,
        start_time=_epoch(item.start_time),
        completion_time=_epoch(item.completion_time),
        input_tokens=usage.input_tokens if usage is not None else 0,
        output_tokens=usage.output_tokens if usage is not None else 0,
        resolved_agent=item.resolved_agent,
        selected_capability=item.selected_capability,
        routing_reason=item.routing_reason,
        delegation_id=item.delegation_id,
    )
