"""The operator's ``ark.run`` span and its ``ark.step.result`` spans (the real OpenTelemetry SDK)."""

from __future__ import annotations

from opentelemetry import trace

from ark.controllers.run.run_span import record_result, record_run, run_context, run_ids
from ark.flow.state import RunState
from ark.runs.trace_context import with_traceparent
from ark_runtime.protocol import Result
from tests.support.spans import Spans

ROOT_TRACE, ROOT_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
RUN = with_traceparent({"metadata": {"name": "chain-x1", "uid": "uid-1"}}, f"00-{ROOT_TRACE}-{ROOT_SPAN}-01")


def _state(phase: str) -> RunState:
    return RunState(
        run_uid="uid-1", team="chain", mode="Pipeline", phase=phase, start_time=100.0, completion_time=102.5
    )  # type: ignore[arg-type]


def test_the_run_span_is_recorded_at_the_end_under_the_id_its_children_named(spans: Spans) -> None:
    parent = trace.get_current_span(run_context(RUN)).get_span_context()
    record_run(RUN, "chain", _state("Succeeded"), "Succeeded", "Succeeded")

    span = spans.named("ark.run")
    assert (span.context.trace_id, span.context.span_id) == (parent.trace_id, parent.span_id)
    assert format(span.context.trace_id, "032x") == ROOT_TRACE
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == ROOT_SPAN
    # The run's own times, not the moment the operator recorded it.
    assert (span.start_time, span.end_time) == (100_000_000_000, 102_500_000_000)
    assert dict(span.attributes or {})["ark.run.phase"] == "Succeeded"
    assert span.status.is_ok


def test_a_failed_run_is_an_error_span_and_its_ids_survive_a_restart(spans: Spans) -> None:
    # Another operator process derives the same ids from the same ArkRun.
    assert run_ids(RUN) == run_ids({**RUN, "status": {"phase": "Running"}})
    record_run(RUN, "chain", _state("Failed"), "Failed", "StepFailed")

    span = spans.named("ark.run")
    assert span.context.span_id == run_ids(RUN)[1]
    assert span.status.status_code == trace.StatusCode.ERROR
    assert span.status.description == "StepFailed"


def test_a_run_without_a_trigger_is_a_trace_of_its_own() -> None:
    plain = {"metadata": {"name": "r", "uid": "uid-2"}}
    other = {"metadata": {"name": "r", "uid": "uid-3"}}
    assert run_ids(plain)[0] != run_ids(other)[0]
    assert format(run_ids(plain)[0], "032x") != ROOT_TRACE


def test_a_recorded_result_is_a_child_of_the_run_span_linked_to_the_agents_span(spans: Spans) -> None:
    agent = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"
    result = Result(
        id="u.a.1",
        run="uid-1",
        step="a",
        status="error",
        error="boom",
        input_tokens=3,
        output_tokens=2,
        traceparent=agent,
    )
    record_result(RUN, "chain", result)

    span = spans.named("ark.step.result")
    assert span.parent is not None
    assert span.parent.span_id == run_ids(RUN)[1]
    assert [format(link.context.span_id, "016x") for link in span.links] == ["b7ad6b7169203331"]
    attributes = dict(span.attributes or {})
    assert (attributes["ark.step"], attributes["ark.result.status"]) == ("a", "error")
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (3, 2)
    assert span.status.status_code == trace.StatusCode.ERROR
