"""The ``ark.step.submit`` spans: every task a run submits continues the run's trace.

A task's parent is the context it already carries (a delegated task: the delegating agent's
``delegate`` call), else the run's ``ark.run`` span (:mod:`ark.controllers.run.run_span`; the
stored trigger context when this process does not trace). Each task gets a short producer span
and carries that span's context to its agent, so the agent's ``ark.task`` span is the submit
span's child. Without a tracer provider the spans record nothing and the parent's context is
passed on unchanged.

Interface::

    actions = in_delegation_trace(request, actions)   # the actions of a delegation
    tasks = traced_tasks(run, team, [(stream, task), ...])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace

from ark.controllers.run.run_span import run_context
from ark.flow.actions import Action, SubmitTask
from ark_runtime.protocol import DelegationRequest, Task
from ark_runtime.telemetry import extract_context, inject_context

_tracer = trace.get_tracer("ark.controllers.run")


def in_delegation_trace(request: DelegationRequest, actions: Sequence[Action]) -> list[Action]:
    """``actions`` with the tasks they submit carrying the trace context of ``request``."""
    return [
        dataclasses.replace(
            action,
            task=dataclasses.replace(
                action.task, traceparent=request.traceparent, tracestate=request.tracestate
            ),
        )
        if isinstance(action, SubmitTask)
        else action
        for action in actions
    ]


def traced_tasks(run: dict[str, Any], team: str, tasks: Sequence[tuple[str, Task]]) -> list[tuple[str, Task]]:
    """``tasks`` of the ArkRun ``run`` (of ArkTeam ``team``), each stamped with its submit span."""
    run_parent = run_context(run)
    name = run.get("metadata", {}).get("name", "")
    out = []
    for stream, task in tasks:
        parent = extract_context(task.traceparent, task.tracestate) if task.traceparent else run_parent
        with _tracer.start_as_current_span(
            "ark.step.submit",
            context=parent,
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "ark.run": name,
                "ark.team": team,
                "ark.step": task.step,
                "ark.task.id": task.id,
                "ark.task.kind": task.kind,
            },
        ):
            traceparent, tracestate = inject_context()
        out.append((stream, dataclasses.replace(task, traceparent=traceparent, tracestate=tracestate)))
    return out
