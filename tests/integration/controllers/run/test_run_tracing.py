"""The run controller continues the trace the trigger stored on the ArkRun (real operator, real Redis)."""

from __future__ import annotations

import pytest

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.runs.create import run_for_team
from ark.runs.trace_context import with_traceparent
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import apply_team, finished
from tests.support.spans import Spans
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

TEAM = """
metadata: {name: traced}
spec:
  roles:
    - {name: a, model: mock, systemPrompt: p}
    - {name: b, model: mock, systemPrompt: p}
  pipeline:
    - {role: a, inputs: {prompt: "one"}}
    - {role: b, dependsOn: [a], inputs: {prompt: "two"}}
  output: "{{ .steps.b.output }}"
"""


def _recorded(spans: Spans, run: str) -> bool:
    # The span is recorded after the status write the test saw.
    return any(s.name == "ark.run" and (s.attributes or {}).get("ark.run") == run for s in spans.finished())


ROOT_TRACE, ROOT_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


async def test_step_tasks_are_submitted_in_the_runs_trace(
    start_operator: Start, namespace: str, spans: Spans
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, TEAM)
    team = await kube.get(ARK_TEAMS, "traced", namespace)
    body = run_for_team(team, {}, RunTrigger(type="manual", source="test")).body
    created = await kube.create(ARK_RUNS, with_traceparent(body, f"00-{ROOT_TRACE}-{ROOT_SPAN}-01"))
    name = created["metadata"]["name"]

    first = await pods.task("traced-a", "a")
    await pods.answer(first, "done a", tokens=1)
    second = await pods.task("traced-b", "b")
    await pods.answer(second, "done b", tokens=1)
    assert (await finished(kube, namespace, name))["phase"] == "Succeeded"
    await wait_for(lambda: _recorded(spans, name), timeout=10, message="the ark.run span")

    # A submit span ends before its task is written, so both are finished by now.
    found = [s for s in spans.finished() if s.name == "ark.step.submit"]
    by_step = {(s.attributes or {})["ark.step"]: s for s in found if (s.attributes or {})["ark.run"] == name}
    assert sorted(by_step) == ["a", "b"]
    # Under the operator's ark.run span, itself a child of the trigger's span, with the run's times.
    (run_span,) = [
        s for s in spans.finished() if s.name == "ark.run" and (s.attributes or {})["ark.run"] == name
    ]
    assert run_span.parent is not None
    assert format(run_span.parent.span_id, "016x") == ROOT_SPAN
    assert (run_span.attributes or {})["ark.run.phase"] == "Succeeded"
    assert (run_span.start_time or 0) < min(s.start_time or 0 for s in by_step.values())
    results = [
        s for s in spans.finished() if s.name == "ark.step.result" and (s.attributes or {})["ark.run"] == name
    ]
    assert sorted((s.attributes or {})["ark.step"] for s in results) == ["a", "b"]
    assert {s.parent.span_id for s in results if s.parent} == {run_span.context.span_id}
    for task in (first, second):
        span = by_step[task.step]
        assert span.parent is not None
        assert span.parent.span_id == run_span.context.span_id
        assert (span.attributes or {})["ark.team"] == "traced"
        _, trace_id, span_id, _ = task.traceparent.split("-")
        assert (trace_id, span_id) == (ROOT_TRACE, format(span.context.span_id, "016x"))
