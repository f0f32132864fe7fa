"""Between the engine and the queue: pure translations the run controller needs.

Interface::

    status = run_status(state, generation)                    # ArkRun.status after a transition
    status = failed_before_start("InvalidDAG", "why", now, generation)
    stream, result = reply_for(state, namespace, action)     # a DelegationReply for the waiting pod
    replies = owed_replies(state, namespace)                 # answers lost in a crash, sent again
    result = child_result(step, team, child_status, run_uid)  # an arkTeam step's result from its run
    result = refusal(request, why)                           # a delegate() the engine refused

``reply_for`` answers the ``delegate()`` call on the reply stream of the parent step's current
task, under the call's own id (``delegationID``); when the parent is no longer running that
task, nobody waits and there is nothing to send.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ark.api.meta import Condition
from ark.api.run import ArkRunStatus
from ark.api.shared import TokenUsage
from ark.flow.actions import DelegationReply
from ark.flow.state import RunState, StepState
from ark.flow.status import to_status
from ark_runtime.protocol import DelegationRequest, Result, reply_stream

CONSUMER = "ark-operator"


def run_status(state: RunState, generation: int | None) -> ArkRunStatus:
    """The status of the run whose state this is, for ``metadata.generation``."""
    return to_status(state).model_copy(update={"observed_generation": generation})


def failed_before_start(reason: str, message: str, now: float, generation: int | None) -> ArkRunStatus:
    """The status of a run that failed before any task was submitted (bad snapshot, missing team ...)."""
    moment = datetime.fromtimestamp(now, UTC)
    return ArkRunStatus(
        phase="Failed",
        start_time=moment,
        completion_time=moment,
        duration_seconds=0.0,
        steps=[],
        total_token_usage=TokenUsage(input_tokens=0, output_tokens=0, total_tokens=0),
        message=message,
        observed_generation=generation,
        conditions=[
            Condition(
                type="Ready", status="False", last_transition_time=moment, reason=reason, message=message
            )
        ],
    )


def _result(step: StepState, run: str, output: str, error: str | None, ident: str) -> Result:
    return Result(
        id=ident,
        run=run,
        step=step.name,
        status="ok" if error is None else "error",
        output=output if error is None else "",
        error=error or "",
        consumer=CONSUMER,
    )


def reply_for(state: RunState, namespace: str, action: DelegationReply) -> tuple[str, Result] | None:
    """Where and what to answer for ``action`` (None when no task waits for it)."""
    child = next((s for s in state.steps.values() if s.task_id == action.task_id and s.parent), None)
    if child is None or child.parent is None:
        return None
    parent = state.steps.get(child.parent)
    if parent is None or parent.phase != "Running" or not parent.task_id:
        return None
    ident = child.delegation_id or action.task_id
    return reply_stream(namespace, parent.task_id), _result(
        child, state.run_uid, action.output, action.error, ident
    )


def owed_replies(state: RunState, namespace: str) -> list[tuple[str, Result]]:
    """Answers to every finished hop whose parent still waits: after a restart the reply may never
    have been written (it is written after the status that records the hop)."""
    out: list[tuple[str, Result]] = []
    for step in state.steps.values():
        if step.kind != "delegate" or not step.done or step.task_id is None:
            continue
        error = step.message if step.phase == "Failed" else None
        reply = reply_for(state, namespace, DelegationReply(step.task_id, step.output or "", error))
        if reply is not None:
            out.append(reply)
    return out


def refusal(request: DelegationRequest, why: str) -> tuple[str, Result]:
    """The answer to a ``delegate()`` call the engine refused: a tool error the model reads."""
    return request.reply_to, Result(
        id=request.id, run=request.run, step=request.role, status="error", error=why, consumer=CONSUMER
    )


def child_result(step: StepState, team: str, child: ArkRunStatus, run_uid: str) -> Result | None:
    """The result of an ``arkTeam`` step once its run has ended (None while it runs)."""
    if child.phase not in ("Succeeded", "Failed") or step.task_id is None:
        return None
    usage = child.total_token_usage or TokenUsage(input_tokens=0, output_tokens=0, total_tokens=0)
    failed = child.phase == "Failed"
    return Result(
        id=step.task_id,
        run=run_uid,
        step=step.name,
        status="error" if failed else "ok",
        output="" if failed else child.output or "",
        error=f"team {team}: {child.message or 'the run failed'}" if failed else "",
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        consumer=CONSUMER,
    )
