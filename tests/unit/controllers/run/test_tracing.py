"""Each submitted task gets an ``ark.step.submit`` span in its run's trace (the real OpenTelemetry SDK)."""

from __future__ import annotations

from ark.controllers.run.run_span import run_ids
from ark.controllers.run.tracing import in_delegation_trace, traced_tasks
from ark.flow.actions import StepChanged, SubmitTask
from ark.runs.trace_context import with_traceparent
from ark_runtime.protocol import DelegationRequest, Task
from tests.support.spans import Spans

ROOT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ROOT_SPAN = "00f067aa0ba902b7"
RUN = with_traceparent({"metadata": {"name": "chain-x1", "uid": "u-1"}}, f"00-{ROOT_TRACE}-{ROOT_SPAN}-01")
RUN_SPAN = format(run_ids(RUN)[1], "016x")


def _ids(traceparent: str) -> tuple[str, str]:
    _, trace_id, span_id, _ = traceparent.split("-")
    return trace_id, span_id


def test_each_task_carries_its_submit_span_a_child_of_the_run_span(spans: Spans) -> None:
    a = Task(id="u.a.1", run="u", step="a", prompt="p")
    b = Task(id="u.b.1", run="u", step="b", prompt="p", kind="judge")
    out = traced_tasks(RUN, "chain", [("s-a", a), ("s-b", b)])

    assert [stream for stream, _ in out] == ["s-a", "s-b"]
    submits = [s for s in spans.finished() if s.name == "ark.step.submit"]
    assert len(submits) == 2
    for (_, task), span in zip(out, submits, strict=True):
        assert format(span.context.trace_id, "032x") == ROOT_TRACE
        assert span.parent is not None
        assert format(span.parent.span_id, "016x") == RUN_SPAN
        assert _ids(task.traceparent) == (ROOT_TRACE, format(span.context.span_id, "016x"))
        assert dict(span.attributes or {}) == {
            "ark.run": "chain-x1",
            "ark.team": "chain",
            "ark.step": task.step,
            "ark.task.id": task.id,
            "ark.task.kind": task.kind,
        }
    assert out[1][1].kind == "judge"
    assert (out[0][1].id, out[0][1].prompt) == ("u.a.1", "p")


def test_a_task_with_its_own_context_keeps_it_as_parent(spans: Spans) -> None:
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    task = Task(id="u.d.1", run="u", step="d", prompt="p", kind="delegate", traceparent=caller)
    [(_, out)] = traced_tasks(RUN, "chain", [("s", task)])

    span = spans.named("ark.step.submit")
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == "b7ad6b7169203331"
    assert _ids(out.traceparent) == ("0af7651916cd43dd8448eb211c80319c", format(span.context.span_id, "016x"))


def test_a_run_without_a_stored_context_has_a_trace_of_its_own(spans: Spans) -> None:
    plain = {"metadata": {"name": "r", "uid": "u-2", "annotations": {"arkonis.dev/traceparent": "garbage"}}}
    tasks = [
        ("s", Task(id="r.a.1", run="r", step="a", prompt="p")),
        ("s", Task(id="r.b.1", run="r", step="b", prompt="p")),
    ]
    out = traced_tasks(plain, "t", tasks)

    trace_id, span_id = run_ids(plain)
    submits = [s for s in spans.finished() if s.name == "ark.step.submit"]
    # Both tasks are in the run's one trace, under its (derived) run span.
    assert {(s.context.trace_id, s.parent.span_id if s.parent else 0) for s in submits} == {
        (trace_id, span_id)
    }
    assert {_ids(task.traceparent)[0] for _, task in out} == {format(trace_id, "032x")}


def test_a_delegated_task_takes_the_context_of_the_delegate_call() -> None:
    request = DelegationRequest(
        id="u.d.1",
        run="u",
        parent="u.a.1",
        role="d",
        prompt="p",
        reply_to="r",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate="vendor=1",
    )
    submit = SubmitTask("agent-d", Task(id="u.d.1", run="u", step="d", prompt="p", kind="delegate"))
    changed = StepChanged("d", "Running")
    stamped, same = in_delegation_trace(request, [submit, changed])

    assert same is changed
    assert isinstance(stamped, SubmitTask)
    assert (stamped.task.traceparent, stamped.task.tracestate) == (request.traceparent, "vendor=1")
    assert (stamped.agent, stamped.task.id) == ("agent-d", "u.d.1")
