"""The operator's ``ark.run`` span (a run from start to end) and its ``ark.step.result`` spans.

A run outlives a reconcile and the operator process, so its span is never held open: its ids
are derived from the run's uid (the trace id is the stored traceparent's, else derived too),
the run's submit and result spans name it as their parent while it runs, and it is recorded
once, when the run ends, with the run's own start and completion times. An operator restart
mid-run therefore loses nothing; a run that ends twice (a status write lost and redone) may
record its span twice under the same id, which backends merge.

Without the operator's own tracer provider nothing is derived (:func:`run_context` is the
stored context, as before), so agents never point at a parent nobody records.

Interface::

    parent = run_context(run)                # the parent of the run's submit and result spans
    record_result(run, team, result)         # one result the controller recorded
    record_run(run, team, state)             # the run ended (its RunState)
"""

from __future__ import annotations

import hashlib
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from ark.flow.state import RunState
from ark.runs.trace_context import stored_traceparent
from ark_runtime.protocol import Result
from ark_runtime.telemetry import chosen_ids, extract_context

Obj = dict[str, Any]
_tracer = trace.get_tracer("ark.controllers.run")


def tracing_on() -> bool:
    """Whether this process records spans (a tracer provider of the SDK is installed)."""
    from opentelemetry.sdk.trace import TracerProvider

    return isinstance(trace.get_tracer_provider(), TracerProvider)


def _derived(uid: str, what: str, bits: int) -> int:
    value = int.from_bytes(hashlib.sha256(f"{what}:{uid}".encode()).digest()[: bits // 8], "big")
    return value or 1  # all-zero ids are invalid


def run_ids(run: Obj) -> tuple[int, int]:
    """``(trace id, span id)`` of the run's ``ark.run`` span."""
    uid = str(run.get("metadata", {}).get("uid", ""))
    parent = trace.get_current_span(extract_context(stored_traceparent(run))).get_span_context()
    trace_id = parent.trace_id if parent.is_valid else _derived(uid, "trace", 128)
    return trace_id, _derived(uid, "run-span", 64)


def run_context(run: Obj) -> otel_context.Context:
    """The context the run's own spans are children of: its ``ark.run`` span when this process
    traces, else the stored trigger context (an empty one without)."""
    if not tracing_on():
        return extract_context(stored_traceparent(run))
    trace_id, span_id = run_ids(run)
    span = NonRecordingSpan(
        SpanContext(trace_id, span_id, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    )
    return trace.set_span_in_context(span)


def _attributes(run: Obj, team: str) -> dict[str, str]:
    return {"ark.run": str(run.get("metadata", {}).get("name", "")), "ark.team": team}


def record_result(run: Obj, team: str, result: Result) -> None:
    """A short ``ark.step.result`` span under the run's span, linked to the agent's task span."""
    link = trace.get_current_span(extract_context(result.traceparent)).get_span_context()
    with _tracer.start_as_current_span(
        "ark.step.result",
        context=run_context(run),
        kind=trace.SpanKind.CONSUMER,
        links=[trace.Link(link)] if link.is_valid else [],
        attributes={
            **_attributes(run, team),
            "ark.step": result.step,
            "ark.task.id": result.id,
            "ark.result.status": result.status,
            "gen_ai.usage.input_tokens": result.input_tokens,
            "gen_ai.usage.output_tokens": result.output_tokens,
        },
    ) as span:
        if result.status == "error":
            span.set_status(trace.StatusCode.ERROR, result.error[:200])


def record_run(run: Obj, team: str, state: RunState, phase: str, reason: str) -> None:
    """The ``ark.run`` span of a run that ended, from its start to its completion time."""
    if not tracing_on():
        return
    start = state.start_time if state.start_time is not None else state.completion_time
    end = state.completion_time if state.completion_time is not None else start
    if start is None or end is None:
        return
    trace_id, span_id = run_ids(run)
    with chosen_ids(trace_id, span_id):
        span = _tracer.start_span(
            "ark.run",
            context=extract_context(stored_traceparent(run)),
            kind=trace.SpanKind.INTERNAL,
            start_time=int(start * 1e9),
            attributes={
                **_attributes(run, team),
                "ark.run.phase": phase,
                "ark.run.reason": reason,
                "gen_ai.usage.input_tokens": state.input_tokens,
                "gen_ai.usage.output_tokens": state.output_tokens,
            },
        )
    if phase != "Succeeded":
        span.set_status(trace.StatusCode.ERROR, reason)
    span.end(end_time=int(end * 1e9))
